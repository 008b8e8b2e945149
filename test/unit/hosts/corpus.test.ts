// Every real-world hosts file in the shared corpus, read in place: the block goes in and out
// without changing one byte of someone else's file. An additional suite: it runs when
// ../shared/corpus exists (always in CI); test/unit/hosts/fixtures.test.ts covers the same edge
// cases on the project's own fixtures in every clone.
import { readdirSync, readFileSync } from 'node:fs';
import { planHosts } from '../../../src/hosts';
import { corpusPath, describeCorpus } from '../../helpers/corpus';
import { expectRoundTrip, TEAM, teamBlock } from './round-trip';

describeCorpus('the hosts corpus', () => {
  const dir = corpusPath('hosts');
  const FILES = readdirSync(dir).sort();
  const read = (name: string) => readFileSync(corpusPath('hosts', name));

  it('has the files this test is about', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(40);
    expect(FILES).toContain('stevenblack-unified-hosts-2024-09-27');
  });

  it.each(FILES)('%s: add keeps every outside byte, re-plan is a no-op, remove restores the original', (name) => {
    const { next } = expectRoundTrip(read(name));
    expect(planHosts(next, TEAM).entries.find((e) => e.name === 'api.myteam.test')!.state).toBe('present');
  });

  it('uses CRLF inside the block for the CRLF corpus files', () => {
    const orig = read('windows-crlf-pwsh-prelude');
    const text = planHosts(orig, TEAM).next!.toString('latin1');
    expect(text.slice(orig.length)).toBe(`\r\n${teamBlock('\r\n')}`);
  });

  it('finds the names real files already map (shadowing) with their line numbers', () => {
    const orig = read('stevenblack-unified-hosts-2024-09-27');
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
    const orig = read('stevenblack-unified-hosts-2024-09-27');
    const many = Array.from({ length: 1000 }, (_, i) => ({ name: `svc${i}.myteam.test`, addresses: [`127.0.${i >> 8}.${i & 255}`] }));
    const next = planHosts(orig, many).next!;
    expect(next.length - orig.length).toBeGreaterThan(20000);
    expect(planHosts(next, many).next).toBeNull();
    expect(planHosts(next, null).next!.equals(orig)).toBe(true);
  });
});
