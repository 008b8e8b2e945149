// The hosts engine on the project's own fixtures (test/fixtures/hosts, described in
// test/fixtures/README.md): every edge case the real-world corpus taught, in files small enough
// to read, present in every clone. The corpus itself is an additional suite (corpus.test.ts).
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { applyHosts, planHosts } from '../../../src/hosts';
import { BEGIN_MARKER, END_MARKER } from '../../../src/hosts/markers';
import type { DesiredHost } from '../../../src/model';
import { generateBlocklist, STEVENBLACK_LINES } from '../../fixtures/blocklist';
import { expectRoundTrip, TEAM, teamBlock } from './round-trip';
import { lineList } from '../../../src/lines';

const FIXTURES = resolve(__dirname, '..', '..', 'fixtures');
const HOSTS = join(FIXTURES, 'hosts');
const list = (kind: string) => readdirSync(join(HOSTS, kind)).sort();
const read = (kind: string, name: string) => readFileSync(join(HOSTS, kind, name));
const plain = (name: string) => read('plain', name);
const latin1 = (b: Buffer) => b.toString('latin1');

/** Plans TEAM plus `names` (each wanting 127.0.0.2) and returns name → "state: detail". */
function judged(orig: Buffer, names: string[]): Record<string, string> {
  const desired: DesiredHost[] = [...TEAM, ...names.map((name) => ({ name, addresses: ['127.0.0.2'] }))];
  const p = planHosts(orig, desired);
  return Object.fromEntries(p.entries.map((e) => [e.name, `${e.state}: ${e.detail}`]));
}

describe('the fixture set', () => {
  it('is described file by file in test/fixtures/README.md, and every file it names exists', () => {
    const readme = readFileSync(join(FIXTURES, 'README.md'), 'utf8');
    const described = new Set([...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!));
    const files = [
      ...['plain', 'managed', 'damaged'].flatMap((k) => list(k).map((f) => `hosts/${k}/${f}`)),
      ...readdirSync(join(FIXTURES, 'ifconfig')).map((f) => `ifconfig/${f}`),
      ...readdirSync(join(FIXTURES, 'ip')).map((f) => `ip/${f}`),
      'blocklist.js',
    ];
    expect(files.filter((f) => !described.has(f))).toEqual([]);
    expect([...described].filter((f) => !files.includes(f))).toEqual([]);
  });

  it('keeps its bytes: CRLF, a BOM, NUL, lone CR and missing final newlines survive git', () => {
    expect(latin1(plain('windows-crlf-tabs'))).toMatch(/^[^\n]*\r\n(?:[^\n]*\r\n)+$/);
    expect(plain('windows-utf8-bom-crlf-no-eol').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(plain('nul-byte-line').includes(0)).toBe(true);
    expect(latin1(plain('lone-cr-field-separator'))).toMatch(/\r[^\n]/);
    expect(latin1(plain('simple-no-final-newline')).endsWith('\n')).toBe(false);
  });
});

describe('hosts files without a loopkeeper block (test/fixtures/hosts/plain)', () => {
  it.each(list('plain'))('%s: add keeps every outside byte, re-plan is a no-op, remove restores the original', (name) => {
    expectRoundTrip(plain(name));
  });

  it('CRLF files get a CRLF block; LF files an LF block; a missing final newline gets a separator in the file\'s ending', () => {
    expect(expectRoundTrip(plain('windows-crlf-tabs')).tail).toBe(`${teamBlock('\r\n')}\r\n`);
    expect(expectRoundTrip(plain('debian-default')).tail).toBe(`${teamBlock('\n')}\n`);
    const bom = expectRoundTrip(plain('windows-utf8-bom-crlf-no-eol'));
    expect(bom.sep).toBe('\r\n');
    expect(bom.tail).toBe(teamBlock('\r\n')); // the missing final newline moved to END
    const lf = expectRoundTrip(plain('debian-ipv6-no-final-newline'));
    expect(lf.sep).toBe('\n');
    expect(lf.tail).toBe(teamBlock('\n'));
  });

  it('mixed line endings: the block follows the majority; a lone CR is no line end', () => {
    expect(expectRoundTrip(plain('mixed-endings-crlf-majority')).tail).toBe(`${teamBlock('\r\n')}\r\n`);
    expect(expectRoundTrip(plain('mixed-endings-lf-majority')).tail).toBe(`${teamBlock('\n')}\n`);
    expect(expectRoundTrip(plain('lone-cr-field-separator')).tail).toBe(`${teamBlock('\n')}\n`);
  });

  it('a UTF-8 BOM stays the first bytes and is never repeated; invalid UTF-8 survives', () => {
    for (const name of ['utf8-bom-lf', 'windows-utf8-bom-crlf-no-eol']) {
      const next = expectRoundTrip(plain(name)).next;
      expect(next.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect(next.indexOf(Buffer.from([0xef, 0xbb, 0xbf]), 1)).toBe(-1);
    }
    const bytes = plain('non-ascii-invalid-utf8');
    expect(expectRoundTrip(bytes).next.subarray(0, bytes.length)).toEqual(bytes);
  });

  it('empty and blank files get just the block', () => {
    expect(expectRoundTrip(plain('empty')).next.toString('latin1')).toBe(`${teamBlock('\n')}\n`);
    expect(expectRoundTrip(plain('only-newline')).next.toString('latin1')).toBe(`\n${teamBlock('\n')}\n`);
    expect(expectRoundTrip(plain('whitespace-only')).tail).toBe(`${teamBlock('\n')}\n`);
  });

  it('other tools\' blocks are someone else\'s lines: kept, and the names they map are reported', () => {
    expect(judged(plain('docker-desktop'), ['kubernetes.docker.internal', 'host.docker.internal'])).toMatchObject({
      'kubernetes.docker.internal': expect.stringMatching(/^shadowed: line 1 maps it to 127\.0\.0\.1 .*\(and 1 more earlier line/),
      'host.docker.internal': expect.stringMatching(/^shadowed: line 4 maps it to 192\.168\.65\.2 /),
    });
    // The Docker marker lost its '#': "Added by Docker Desktop" is a junk line, not an entry.
    expect(judged(plain('docker-broken-marker-flywheel'), ['kubernetes.docker.internal', 'garden.local', 'by'])).toMatchObject({
      'kubernetes.docker.internal': expect.stringMatching(/^shadowed: line 9 /),
      'garden.local': expect.stringMatching(/^shadowed: line 13 maps it to ::1 .*\(and 1 more/),
      by: expect.stringMatching(/^missing: /),
    });
    // hostctl: an enabled profile maps names, a disabled one is all comments.
    expect(judged(plain('hostctl-profiles'), ['web.dev.loc', 'web.staging.loc'])).toMatchObject({
      'web.dev.loc': expect.stringMatching(/^shadowed: line 9 maps it to 127\.0\.0\.1 /),
      'web.staging.loc': expect.stringMatching(/^missing: /),
    });
    expect(judged(plain('switchhosts-content'), ['app.test', 'wide.test', 'b.test', 'e.test'])).toMatchObject({
      'app.test': expect.stringMatching(/^shadowed: line 5 maps it to 127\.0\.0\.1 .*\(and 1 more/),
      'wide.test': expect.stringMatching(/^shadowed: line 7 /),
      'b.test': expect.stringMatching(/^missing: /), // only named in a comment
      'e.test': expect.stringMatching(/^missing: /),
    });
    expect(judged(plain('wsl2hosts-docker-empty-block'), ['ubuntu.wsl', 'localhost'])).toMatchObject({
      'ubuntu.wsl': expect.stringMatching(/^shadowed: line 6 maps it to 172\.20\.24\.199 /),
      localhost: expect.stringMatching(/^missing: /), // the Windows localhost lines are comments
    });
    expect(judged(plain('vagrant-tailscale-blocks'), ['db.vagrant.test', 'laptop.tail1234.ts.net', 'laptop.tail1234.ts.net.'])).toMatchObject({
      'db.vagrant.test': expect.stringMatching(/^shadowed: line 5 maps it to 192\.168\.56\.11 /),
      'laptop.tail1234.ts.net': expect.stringMatching(/^missing: /), // Tailscale writes the trailing dot
      'laptop.tail1234.ts.net.': expect.stringMatching(/^shadowed: line 12 /),
    });
    expect(judged(plain('unchecky-block'), ['cdn.ads.example', '0.0.0.0'])).toMatchObject({
      'cdn.ads.example': expect.stringMatching(/^shadowed: line 7 maps it to 0\.0\.0\.0 /),
    });
  });

  it('inline comments end the names; a name only in a comment is not mapped', () => {
    expect(judged(plain('inline-comments-mvps'), ['ads.example.net', 'tracker.example.net', 'pixel.example.net', 'beacon.example.net'])).toMatchObject({
      'api.myteam.test': expect.stringMatching(/^missing: /),
      'db.myteam.test': expect.stringMatching(/^missing: /),
      'ads.example.net': expect.stringMatching(/^shadowed: line 9 maps it to 0\.0\.0\.0 /),
      'tracker.example.net': expect.stringMatching(/^shadowed: line 10 /), // "name#[glued comment]"
      'pixel.example.net': expect.stringMatching(/^shadowed: line 11 /),
      'beacon.example.net': expect.stringMatching(/^shadowed: line 12 /),
      localhost: expect.stringMatching(/^shadowed: line 6 maps it to ::1 /),
    });
  });

  it('IPv6 lines: full, long and mapped forms are addresses; a %zone line is not', () => {
    expect(judged(plain('ipv6-lines'), ['dual.example', 'long-form.example', 'mapped.example', 'bridge.example', 'full-form-loopback.example'])).toMatchObject({
      'dual.example': expect.stringMatching(/^shadowed: line 4 maps it to 2001:db8::10 .*\(and 1 more/),
      'long-form.example': expect.stringMatching(/^shadowed: line 6 maps it to 2001:0db8:0000:0000:0000:0000:0000:0011 /),
      'mapped.example': expect.stringMatching(/^shadowed: line 7 maps it to ::ffff:127\.0\.0\.2 /),
      'bridge.example': expect.stringMatching(/^missing: /), // fe80::1%en1: the resolver skips it
      'full-form-loopback.example': expect.stringMatching(/^shadowed: line 3 /),
    });
  });

  it('junk lines are skipped as the resolver skips them', () => {
    const j = judged(plain('junk-lines'), ['too-big.example', 'five-octets.example', 'not-an-address.example', 'bang.example', 'octet-333.example', 'localhost.localdomain', 'lan-resource.local']);
    for (const name of ['too-big.example', 'five-octets.example', 'not-an-address.example', 'bang.example', 'octet-333.example', 'lan-resource.local']) {
      expect(`${name} ${j[name]}`).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')} missing: `));
    }
    expect(j['localhost.localdomain']).toMatch(/^shadowed: line 17 maps it to 127\.0\.0\.1 /);
  });

  it('a NUL byte: the bytes survive, and a name wholly after it is not mapped (as in glibc)', () => {
    expect(judged(plain('nul-byte-line'), ['after.example', 'after-nul.example'])).toMatchObject({
      'after.example': expect.stringMatching(/^missing: /),
      'after-nul.example': expect.stringMatching(/^shadowed: line 4 maps it to 10\.0\.0\.1 /), // the NUL-only line counts as a line
    });
  });

  it('reports shadowing names with their line numbers, case-insensitively, comments and non-addresses skipped', () => {
    expect(judged(plain('shadowing'), [])).toEqual({
      'api.myteam.test': expect.stringMatching(/^shadowed: line 3 maps it to 10\.9\.9\.9 before the managed block; the resolver uses the first match$/),
      'db.myteam.test': 'missing: not in the managed block',
      'web.myteam.test': expect.stringMatching(/^shadowed: line 5 maps it to 10\.7\.7\.7 before/),
      localhost: expect.stringMatching(/^shadowed: line 2 maps it to ::1 .*\(and 1 more earlier line\(s\)\)/),
    });
    expect(judged(plain('tabs-blocklist'), ['ads1.tabbed.example', 'last.tabbed.example'])).toMatchObject({
      localhost: expect.stringMatching(/^shadowed: line 2 maps it to 0\.0\.0\.0 /),
      'ads1.tabbed.example': expect.stringMatching(/^shadowed: line 3 /),
      'last.tabbed.example': expect.stringMatching(/^shadowed: line 43 /),
    });
  });

  it('lines that only look like markers are not markers (no damage, left alone)', () => {
    const orig = plain('marker-lookalikes');
    const { tail } = expectRoundTrip(orig);
    expect(tail).toBe(`${teamBlock('\n')}\n`);
  });
});

describe('hosts files that already hold a loopkeeper block (test/fixtures/hosts/managed)', () => {
  it.each(list('managed'))('%s: updated where it stands; outside bytes kept; remove leaves the same outside bytes', (name) => {
    const orig = read('managed', name);
    const outside = planHosts(orig, null).next ?? orig;
    expect(latin1(outside)).not.toContain('# BEGIN loopkeeper');
    const p = planHosts(orig, TEAM);
    expect(p.damage).toBeNull();
    const next = p.next ?? orig;
    expect(planHosts(next, TEAM).next).toBeNull();
    const removed = planHosts(next, null).next!;
    expect(removed.equals(outside)).toBe(true);
    // Exactly one block, holding what TEAM renders to (in the file's line ending).
    const text = latin1(next);
    expect(text.split(BEGIN_MARKER).length).toBe(2);
    expect(text.replace(/\r\n/g, '\n')).toContain(teamBlock('\n'));
  });

  it('replaces a block in the middle and keeps the lines after it', () => {
    const next = latin1(planHosts(read('managed', 'block-in-middle'), TEAM).next!);
    expect(next).toBe(`127.0.0.1\tlocalhost\n${teamBlock('\n')}\n# added after the block by someone else\n10.0.0.1 later.example\n`);
  });

  it('keeps CRLF in a CRLF file and no final newline after an END that had none', () => {
    expect(latin1(planHosts(read('managed', 'block-crlf'), TEAM).next!)).toBe(`127.0.0.1\tlocalhost\r\n::1\tlocalhost\r\n${teamBlock('\r\n')}\r\n`);
    const noEol = read('managed', 'block-at-end-no-eol');
    expect(latin1(planHosts(noEol, TEAM).next!)).toBe(`127.0.0.1 localhost\n# last line of the user\n${teamBlock('\n')}`);
    expect(latin1(planHosts(noEol, null).next!)).toBe('127.0.0.1 localhost\n# last line of the user');
  });

  it('recognises markers with trailing blanks and a stray CR (as editors leave them)', () => {
    const orig = read('managed', 'block-markers-trailing-blanks');
    const p = planHosts(orig, [{ name: 'api.myteam.test', addresses: ['127.0.0.2'] }]);
    expect(p.damage).toBeNull();
    expect(p.entries[0]!.state).toBe('present');
    expect(latin1(planHosts(orig, null).next!)).toBe('127.0.0.1 localhost\n');
  });

  it('a hand-edited block is drift: reported, then rewritten to exactly the desired block', () => {
    const orig = read('managed', 'block-hand-edited');
    const p = planHosts(orig, TEAM);
    expect(p.entries.find((e) => e.name === 'api.myteam.test')).toMatchObject({ state: 'missing', detail: 'the managed block maps it to 127.0.0.77' });
    expect(latin1(p.next!)).toBe(`127.0.0.1 localhost\n${teamBlock('\n')}\n10.0.0.1 after.example\n`);
  });
});

describe('damaged loopkeeper blocks (test/fixtures/hosts/damaged): nothing is changed, the message says where', () => {
  const cases: [string, string, number[]][] = [
    ['begin-without-end', 'a BEGIN marker without an END marker', [2]],
    ['end-without-begin', 'an END marker without a BEGIN marker', [3]],
    ['two-begins', '2 BEGIN markers (nested or repeated blocks)', [2, 4, 6]],
    ['two-ends', '2 END markers for one BEGIN marker', [2, 4, 6]],
    ['end-before-begin', 'the END marker comes before the BEGIN marker', [2, 4]],
    ['two-blocks', '2 BEGIN markers (nested or repeated blocks)', [1, 3, 5, 7]],
  ];

  it('covers every damaged fixture', () => {
    expect(cases.map((c) => c[0]).sort()).toEqual(list('damaged'));
  });

  it.each(cases)('%s', async (name, what, lines) => {
    const orig = read('damaged', name);
    for (const desired of [TEAM, null]) {
      const p = planHosts(orig, desired);
      expect(p.next).toBeNull();
      expect(p.damage).toEqual({ message: `the loopkeeper block is damaged: ${what}`, lines });
    }
    expect(planHosts(orig, TEAM).entries[0]!.detail).toBe(`the loopkeeper block is damaged: ${what} (${lineList(lines)}); nothing is changed until it is fixed`);
    // Through the writer too: not one byte written, no backup taken.
    const dir = mkdtempSync(join(tmpdir(), 'lk-fixture-damaged-'));
    const file = join(dir, 'hosts');
    writeFileSync(file, orig);
    const out = await applyHosts(file, TEAM, { stateDir: join(dir, 'state') });
    expect(out.written).toBe(false);
    expect(readFileSync(file).equals(orig)).toBe(true);
    expect(readdirSync(dir)).toEqual(['hosts']);
  });
});

describe('a large generated blocklist (StevenBlack shape, 121,944 lines)', () => {
  let big: Buffer;
  beforeAll(() => {
    big = generateBlocklist();
  });

  it('is deterministic: the same bytes on every machine, the line count of the real file', () => {
    const text = latin1(big);
    expect(text.split('\n').length - 1).toBe(STEVENBLACK_LINES);
    expect(text.endsWith('\n')).toBe(true);
    expect(createHash('sha256').update(big).digest('hex')).toBe('6008f3ab541e03ddc0fb92411fe936f960e7b28ea25ed5b926b104d3854c94f2');
    expect(generateBlocklist({ lines: 5000 }).toString('latin1').split('\n').length - 1).toBe(5000);
    // The shapes the real file has: a zone line, 0.0.0.0 0.0.0.0, inline comments, tabs, trailing blanks.
    expect(text).toContain('\nfe80::1%lo0 localhost\n');
    expect(text).toContain('\n0.0.0.0 0.0.0.0\n');
    expect(text).toMatch(/\n0\.0\.0\.0 \S+ # [^\n]+\n/);
    expect(text).toMatch(/\n0\.0\.0\.0\t\S+\n/);
    expect(text).toMatch(/\n0\.0\.0\.0 \S+ \n/);
    expect(text).toMatch(/\n\t+# [^\n]+\n/);
  });

  it('takes the block in and out without changing a byte of it', () => {
    expectRoundTrip(big);
  });

  it('finds a name it already blocks (shadowing) with its line number', () => {
    const lines = latin1(big).split('\n');
    const idx = lines.findIndex((l, i) => i > 1000 && /^0\.0\.0\.0 \S+$/.test(l));
    const blocked = lines[idx]!.split(' ')[1]!;
    const p = planHosts(big, [
      { name: blocked.toUpperCase(), addresses: ['127.0.0.2'] },
      { name: 'localhost', addresses: ['127.0.0.1'] },
      { name: 'fresh.myteam.test', addresses: ['127.0.0.2'] },
    ]);
    expect(p.entries[0]!.state).toBe('shadowed');
    expect(p.entries[0]!.detail).toMatch(new RegExp(`^line ${idx + 1} maps it to 0\\.0\\.0\\.0 `));
    // localhost: 127.0.0.1 and ::1 lines (the fe80::1%lo0 line is not an address and ignored).
    expect(p.entries[1]!.state).toBe('shadowed');
    expect(p.entries[2]!.state).toBe('missing');
  });

  it('adds 1,000 names and takes them out again', () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ name: `svc${i}.myteam.test`, addresses: [`127.0.${i >> 8}.${i & 255}`] }));
    const next = planHosts(big, many).next!;
    expect(next.length - big.length).toBeGreaterThan(20000);
    expect(latin1(next.subarray(big.length)).endsWith(`${END_MARKER}\n`)).toBe(true);
    expect(planHosts(next, many).next).toBeNull();
    expect(planHosts(next, null).next!.equals(big)).toBe(true);
  });
});
