// The pause record (STATE_DIR/paused) is a file a user could edit: whatever is in it, reading it
// never throws and never ends the pause; only `up` (clearPause) does.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  clearPause,
  describePause,
  MAX_PAUSE_BYTES,
  parsePause,
  pausedMessage,
  pauseNow,
  pausePath,
  readPause,
  renderPause,
  writePause,
} from '../../../src/state/pause';

describe('parsePause', () => {
  it('reads the record down writes', () => {
    const text = renderPause({ at: '2026-12-02T03:00:00.000Z', by: 0, user: 'alice' });
    expect(text).toBe('{"at":"2026-12-02T03:00:00.000Z","by":0,"user":"alice"}\n');
    expect(parsePause(text)).toEqual({ paused: true, at: '2026-12-02T03:00:00.000Z', by: 0, user: 'alice', problem: null });
  });

  it.each([
    ['empty', ''],
    ['not JSON', '{"at": '],
    ['an array', '[1,2]'],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"paused"'],
  ])('is still a pause when the file is %s, and says the record is broken', (_what, text) => {
    const p = parsePause(text, '/var/lib/loopkeeper/paused');
    expect(p).toMatchObject({ paused: true, at: null, by: null, user: null });
    expect(p.problem).toMatch(/^\/var\/lib\/loopkeeper\/paused is not (valid JSON|a JSON object); the pause holds anyway \(`loopkeeper up` ends it\)$/);
  });

  it('keeps what is sound and names what is not', () => {
    const p = parsePause(JSON.stringify({ at: 'yesterday-ish', by: -1, user: 'ok' }));
    expect(p).toMatchObject({ paused: true, at: null, by: null, user: 'ok' });
    expect(p.problem).toMatch(/"at" is not a time, "by" is not a uid/);
    expect(parsePause(JSON.stringify({ at: '2026-12-02T03:00:00Z', by: 1.5 })).by).toBeNull();
    expect(parsePause(JSON.stringify({ at: '2026-12-02T03:00:00Z', by: 2 ** 32 })).by).toBeNull();
    expect(parsePause(JSON.stringify({ at: '2026-12-02T03:00:00Z', by: '0' })).by).toBeNull();
    expect(parsePause(JSON.stringify({ at: 'x'.repeat(10000), by: 0 })).at).toBeNull();
    // normalised: whatever time notation was written, status shows one
    expect(parsePause(JSON.stringify({ at: '2026-12-02T04:00:00+01:00', by: 0 })).at).toBe('2026-12-02T03:00:00.000Z');
  });

  it('never shows a hostile user name (terminal escapes, newlines, huge)', () => {
    for (const user of ['\u001b]0;pwned\u0007', 'a\nb', 'x'.repeat(1000), '', ' root', 'ro ot', '$(id)', '../etc']) {
      const p = parsePause(JSON.stringify({ at: '2026-12-02T03:00:00Z', by: 0, user }));
      expect(p.user).toBeNull();
      expect(p.problem).toMatch(/"user" is not a login name/);
      expect(describePause(p)).toBe('since 2026-12-02T03:00:00.000Z by uid 0');
    }
    expect(parsePause(JSON.stringify({ at: '2026-12-02T03:00:00Z', by: 0, user: 'MACHINE$' })).user).toBe('MACHINE$');
  });

  it('ignores unknown keys and prototype tricks', () => {
    const p = parsePause('{"__proto__": {"paused": false}, "constructor": 1, "at": "2026-12-02T03:00:00Z", "by": 0, "extra": [1]}');
    expect(p).toEqual({ paused: true, at: '2026-12-02T03:00:00.000Z', by: 0, user: null, problem: null });
    expect(({} as Record<string, unknown>).paused).toBeUndefined();
  });

  it('never throws and is always a pause, for any text (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
        const p = parsePause(text);
        expect(p.paused).toBe(true);
        expect(typeof describePause(p)).toBe('string');
      }),
      { numRuns: 500 },
    );
  });

  it('a deeply nested document is a broken record, not a crash', () => {
    expect(parsePause('['.repeat(100000) + ']'.repeat(100000)).paused).toBe(true);
  });
});

describe('readPause / writePause / clearPause', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lk-pause-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('no file: not paused; write, read, clear round-trip; clear again says there was none', () => {
    expect(readPause(dir)).toEqual({ paused: false });
    writePause(dir, { at: '2026-12-02T03:00:00.000Z', by: 0 });
    expect(statSync(pausePath(dir)).mode & 0o777).toBe(0o644);
    expect(readPause(dir)).toEqual({ paused: true, at: '2026-12-02T03:00:00.000Z', by: 0, user: null, problem: null });
    expect(clearPause(dir)).toBe(true);
    expect(readPause(dir)).toEqual({ paused: false });
    expect(clearPause(dir)).toBe(false);
  });

  it('creates a missing state dir, and refuses one others can write (nothing written)', () => {
    const state = join(dir, 'a', 'b');
    writePause(state, pauseNow(new Date('2026-12-02T03:00:00Z')));
    expect(JSON.parse(readFileSync(pausePath(state), 'utf8'))).toMatchObject({ at: '2026-12-02T03:00:00.000Z', by: process.getuid!() });
    const open = join(dir, 'open');
    mkdirSync(open, { mode: 0o777 });
    execFileSync('chmod', ['0777', open]);
    expect(() => writePause(open, pauseNow())).toThrow(/writable/);
    expect(readPause(open)).toEqual({ paused: false });
  });

  it('a state dir that is a file, or missing, reads as not paused', () => {
    writeFileSync(join(dir, 'file'), 'x');
    expect(readPause(join(dir, 'file'))).toEqual({ paused: false });
    expect(readPause(join(dir, 'nope'))).toEqual({ paused: false });
  });

  it('a huge file is a pause that is not read', () => {
    writeFileSync(pausePath(dir), Buffer.alloc(MAX_PAUSE_BYTES + 1, 'x'));
    const p = readPause(dir);
    expect(p).toMatchObject({ paused: true, at: null, by: null });
    expect(p.paused && p.problem).toMatch(/is more than 65536 bytes \(not read\); the pause holds anyway/);
  });

  it('a symlink, a directory or a FIFO in its place is a pause; nothing is followed or blocked on', () => {
    writeFileSync(join(dir, 'target'), JSON.stringify({ at: '2026-12-02T03:00:00Z', by: 0 }));
    symlinkSync(join(dir, 'target'), pausePath(dir));
    expect(readPause(dir)).toMatchObject({ paused: true, at: null, problem: expect.stringMatching(/symbolic link \(not followed\)/) });
    expect(clearPause(dir)).toBe(true); // the link goes, not its target
    expect(readFileSync(join(dir, 'target'), 'utf8')).toContain('"by":0');

    execFileSync('mkfifo', [pausePath(dir)]);
    expect(readPause(dir)).toMatchObject({ paused: true, problem: expect.stringMatching(/not a regular file/) });
    expect(clearPause(dir)).toBe(true);

    mkdirSync(pausePath(dir));
    expect(readPause(dir)).toMatchObject({ paused: true, problem: expect.stringMatching(/not a regular file/) });
    expect(() => clearPause(dir)).toThrow(/is a directory, not loopkeeper's record — remove it \(rm -r .*paused\)/);
  });

  it('says since when, by whom, and how to end it', () => {
    const p = parsePause(renderPause({ at: '2026-12-02T03:00:00.000Z', by: 0, user: 'alice' }));
    expect(pausedMessage(p)).toBe('paused by `loopkeeper down` since 2026-12-02T03:00:00.000Z by uid 0 (alice): nothing is added or repaired until `loopkeeper up`');
    expect(pauseNow(new Date(0), { SUDO_USER: 'bob' }).user).toBe(process.getuid!() === 0 ? 'bob' : expect.any(String));
  });
});
