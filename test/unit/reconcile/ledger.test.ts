import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLedger, readLedger, renderLedger, sameLedger, writeLedger } from '../../../src/reconcile/ledger';

const tmp = () => mkdtempSync(join(tmpdir(), 'lk-ledger-'));

describe('ownership ledger', () => {
  it('a missing ledger is empty, with no problem', async () => {
    expect(await readLedger(join(tmp(), 'nope'))).toEqual({ ledger: { version: 1, owned: [] }, problem: null, exists: false, corrupt: false });
  });

  it('round-trips: atomic write (0644 in a 0755 dir, no temp left), then read', async () => {
    const dir = join(tmp(), 'state', 'deep');
    await writeLedger(dir, { version: 1, interface: 'lo', owned: ['127.0.0.10', 'fd00::2', '127.0.0.2'], updatedAt: '2025-01-01T00:00:00.000Z' });
    expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o644);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(
      '{\n  "version": 1,\n  "interface": "lo",\n  "owned": [\n    "127.0.0.2",\n    "127.0.0.10",\n    "fd00::2"\n  ],\n  "updatedAt": "2025-01-01T00:00:00.000Z"\n}\n',
    );
    const r = await readLedger(dir);
    expect(r).toMatchObject({ problem: null, exists: true, corrupt: false });
    expect(r.ledger).toEqual({ version: 1, interface: 'lo', owned: ['127.0.0.2', '127.0.0.10', 'fd00::2'], updatedAt: '2025-01-01T00:00:00.000Z' });
  });

  it('replaces the previous file by rename (a reader never sees half a file)', async () => {
    const dir = tmp();
    await writeLedger(dir, { version: 1, owned: ['127.0.0.2'] });
    const before = statSync(join(dir, 'state.json')).ino;
    await writeLedger(dir, { version: 1, owned: ['127.0.0.3'] });
    expect(statSync(join(dir, 'state.json')).ino).not.toBe(before);
    expect((await readLedger(dir)).ledger.owned).toEqual(['127.0.0.3']);
  });

  it.each([
    ['not JSON', '{"version": 1, "owned": [', /is not valid JSON/],
    ['empty', '', /is not valid JSON/],
    ['an array', '[]', /is not a JSON object/],
    ['wrong version', '{"version": 2, "owned": ["127.0.0.2"]}', /has version 2, expected 1/],
    ['no version', '{"owned": ["127.0.0.2"]}', /has version undefined, expected 1/],
    ['owned not a list', '{"version": 1, "owned": "127.0.0.2"}', /has no "owned" list/],
  ])('a corrupt ledger (%s) owns nothing and says why', (_name, text, why) => {
    const r = parseLedger(text, '/var/lib/loopkeeper/state.json');
    expect(r.ledger).toEqual({ version: 1, owned: [] });
    expect(r.corrupt).toBe(true);
    expect(r.problem).toMatch(why);
    expect(r.problem).toMatch(/owning no aliases \(none will be removed\)/);
  });

  it('drops entries it never records (garbage, 127.0.0.1, ::1), canonicalises the rest and says so', () => {
    const r = parseLedger(JSON.stringify({ version: 1, owned: ['127.0.0.2', 'FD00::0002', 'x', 7, '127.0.0.1', '::1', '127.0.0.2', { __proto__: 1 }] }));
    expect(r.ledger.owned).toEqual(['127.0.0.2', 'fd00::2']);
    expect(r.corrupt).toBe(false);
    expect(r.problem).toMatch(/ignored 5 entries/);
  });

  it('a directory where the file should be, or a huge file, is corrupt', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'state.json'));
    expect(await readLedger(dir)).toMatchObject({ corrupt: true, problem: expect.stringMatching(/not a regular file/) });
    const dir2 = tmp();
    writeFileSync(join(dir2, 'state.json'), Buffer.alloc(33 * 1024 * 1024, 0x20));
    expect(await readLedger(dir2)).toMatchObject({ corrupt: true, problem: expect.stringMatching(/far larger/) });
  });

  it('leaves no temp file behind when the write fails', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'state.json'));
    writeFileSync(join(dir, 'state.json', 'x'), 'occupied'); // rename onto a non-empty directory fails
    await expect(writeLedger(dir, { version: 1, owned: [] })).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('compares owned sets regardless of order, and the interface', () => {
    expect(sameLedger({ version: 1, owned: ['a', 'b'] }, { version: 1, owned: ['b', 'a'] })).toBe(true);
    expect(sameLedger({ version: 1, owned: ['a'] }, { version: 1, owned: ['a'], interface: 'lo' })).toBe(false);
    expect(renderLedger({ version: 1, owned: ['127.0.0.2', '127.0.0.2'] })).toBe('{\n  "version": 1,\n  "owned": [\n    "127.0.0.2"\n  ]\n}\n');
  });
});
