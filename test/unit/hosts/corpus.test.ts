// Every real-world hosts file in the shared corpus, read in place: the block goes in and out
// without changing one byte of someone else's file.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { planHosts } from '../../../src/hosts';
import { BEGIN_MARKER } from '../../../src/hosts/markers';
import type { DesiredHost } from '../../../src/model';
import { REPO } from '../../helpers/cli';

const CORPUS = resolve(REPO, '..', 'shared', 'corpus', 'hosts');
const FILES = readdirSync(CORPUS).sort();

const DESIRED: DesiredHost[] = [
  { name: 'api.myteam.test', addresses: ['127.0.0.2'] },
  { name: 'db.myteam.test', addresses: ['127.0.0.2'] },
  { name: 'web.myteam.test', addresses: ['127.0.0.3', 'fd00::2'] },
  { name: 'localhost', addresses: ['127.0.0.1'] },
];

describe('the hosts corpus', () => {
  it('has the files this test is about', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(40);
    expect(FILES).toContain('stevenblack-unified-hosts-2024-09-27');
  });

  it.each(FILES)('%s: add keeps every outside byte, re-plan is a no-op, remove restores the original', (name) => {
    const orig = readFileSync(join(CORPUS, name));
    const p = planHosts(orig, DESIRED);
    expect(p.damage).toBeNull();
    const next = p.next!;
    // Everything before the block is the original; only a separator may sit between.
    expect(next.subarray(0, orig.length).equals(orig)).toBe(true);
    const tail = next.subarray(orig.length).toString('latin1');
    const endsWithNewline = orig.length === 0 || orig[orig.length - 1] === 0x0a;
    const sep = tail.startsWith('\r\n') ? '\r\n' : tail.startsWith('\n') ? '\n' : '';
    expect(sep === '').toBe(endsWithNewline);
    expect(tail.slice(sep.length).startsWith(BEGIN_MARKER)).toBe(true);

    const again = planHosts(next, DESIRED);
    expect(again.next).toBeNull();
    expect(again.changes).toEqual([]);
    expect(again.entries.find((e) => e.name === 'api.myteam.test')!.state).toBe('present');

    const removed = planHosts(next, null).next!;
    expect(removed.equals(orig)).toBe(true);
  });

  it('uses CRLF inside the block for the CRLF corpus files', () => {
    const orig = readFileSync(join(CORPUS, 'windows-crlf-pwsh-prelude'));
    const text = planHosts(orig, DESIRED).next!.toString('latin1');
    expect(text.slice(orig.length)).toBe(
      '\r\n' + [BEGIN_MARKER, '127.0.0.2\tapi.myteam.test db.myteam.test', '127.0.0.3\tweb.myteam.test', 'fd00::2\tweb.myteam.test', '127.0.0.1\tlocalhost', '# END loopkeeper'].join('\r\n'),
    );
  });

  it('finds the names real files already map (shadowing) with their line numbers', () => {
    const orig = readFileSync(join(CORPUS, 'stevenblack-unified-hosts-2024-09-27'));
    const lines = orig.toString('latin1').split('\n');
    const idx = lines.findIndex((l) => /^0\.0\.0\.0 \S+$/.test(l) && l.length < 60);
    const blocked = lines[idx]!.split(' ')[1]!.toUpperCase();
    const p = planHosts(orig, [
      { name: blocked.toLowerCase(), addresses: ['127.0.0.2'] },
      { name: 'localhost', addresses: ['127.0.0.1'] },
      { name: 'fresh.myteam.test', addresses: ['127.0.0.2'] },
    ]);
    expect(p.entries[0]!.state).toBe('shadowed');
    expect(p.entries[0]!.detail).toMatch(new RegExp(`^line ${idx + 1} maps it to 0\\.0\\.0\\.0 `));
    // localhost: 127.0.0.1 and ::1 and fe80::1%lo0 lines (the latter is not an address and ignored).
    expect(p.entries[1]!.state).toBe('shadowed');
    expect(p.entries[2]!.state).toBe('missing');
  });

  it('adds 1,000 names to the 122,000-line blocklist and takes them out again', () => {
    const orig = readFileSync(join(CORPUS, 'stevenblack-unified-hosts-2024-09-27'));
    const many = Array.from({ length: 1000 }, (_, i) => ({ name: `svc${i}.myteam.test`, addresses: [`127.0.${i >> 8}.${i & 255}`] }));
    const next = planHosts(orig, many).next!;
    expect(next.length - orig.length).toBeGreaterThan(20000);
    expect(planHosts(next, many).next).toBeNull();
    expect(planHosts(next, null).next!.equals(orig)).toBe(true);
  });
});
