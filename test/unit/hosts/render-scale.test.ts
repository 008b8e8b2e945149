// The managed block's grouping rules, checked against the first (quadratic) implementation kept
// here as the reference, on random host lists that share addresses, overflow lines and declare
// the same addresses in different orders.
import fc from 'fast-check';
import type { DesiredHost } from '../../../src/model';
import { MAX_NAMES_PER_LINE } from '../../../src/hosts/markers';
import { blockLines } from '../../../src/hosts/render';

const BEGIN = '# BEGIN';
const END = '# END';

function referenceBlockLines(hosts: readonly DesiredHost[]): string[] {
  const rows: { address: string; names: string[] }[] = [];
  for (const h of hosts) {
    let prev = -1; // the row that holds this name's previous address
    for (const address of h.addresses) {
      let target = -1;
      let lastSame = -1;
      for (let i = prev + 1; i < rows.length; i++) {
        if (rows[i]!.address !== address) continue;
        lastSame = i;
        if (target < 0 && rows[i]!.names.length < MAX_NAMES_PER_LINE) target = i;
      }
      if (target >= 0) {
        if (!rows[target]!.names.includes(h.name)) rows[target]!.names.push(h.name);
      } else if (lastSame >= 0) {
        target = lastSame + 1; // continuation line, right after the full ones
        rows.splice(target, 0, { address, names: [h.name] });
      } else {
        target = rows.length;
        rows.push({ address, names: [h.name] });
      }
      prev = target;
    }
  }
  return [BEGIN, ...rows.map((r) => `${r.address}\t${r.names.join(' ')}`), END];
}

const address = fc.constantFrom('127.0.0.2', '127.0.0.3', '127.0.0.4', 'fd00::2', 'fd00::3');
const hostList = fc
  .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.uniqueArray(address, { minLength: 1, maxLength: 4 })), {
    selector: ([n]) => n,
    maxLength: 60,
  })
  .map((items): DesiredHost[] => items.map(([n, addresses]) => ({ name: `h${n}.test`, addresses })));

describe('blockLines', () => {
  it('groups exactly as the reference does (3,000 random host lists)', () => {
    fc.assert(
      fc.property(hostList, (hosts) => {
        expect(blockLines(hosts).slice(1, -1)).toEqual(referenceBlockLines(hosts).slice(1, -1));
      }),
      { numRuns: 3000, seed: 20261202 },
    );
  });

  it('keeps every name’s addresses in its declared order and at most 9 names a line', () => {
    const hosts: DesiredHost[] = [
      { name: 'a.test', addresses: ['127.0.0.2', 'fd00::2'] },
      { name: 'b.test', addresses: ['fd00::2', '127.0.0.2'] },
      ...Array.from({ length: 25 }, (_, i) => ({ name: `n${i}.test`, addresses: ['127.0.0.2'] })),
    ];
    const lines = blockLines(hosts).slice(1, -1);
    expect(lines).toEqual(referenceBlockLines(hosts).slice(1, -1));
    for (const l of lines) expect(l.split('\t')[1]!.split(' ').length).toBeLessThanOrEqual(MAX_NAMES_PER_LINE);
  });

  it('100,000 names sharing an address: every name on its lines, in its order, at most 9 a line', () => {
    const hosts = Array.from({ length: 100_000 }, (_, i) => ({ name: `h${i}.big.test`, addresses: [`127.1.${(i >> 8) & 255}.${i & 255}`, 'fd00::2'] }));
    const lines = blockLines(hosts).slice(1, -1);
    const where = new Map<string, number[]>();
    lines.forEach((l, at) => {
      const [addr, names] = l.split('\t') as [string, string];
      const list = names.split(' ');
      expect(list.length).toBeLessThanOrEqual(MAX_NAMES_PER_LINE);
      for (const n of list) where.set(n, [...(where.get(n) ?? []), at, addr === 'fd00::2' ? 6 : 4]);
    });
    expect(where.size).toBe(100_000);
    for (const [, w] of where) {
      expect(w).toHaveLength(4); // two lines: its IPv4 address, then fd00::2
      expect(w[0]!).toBeLessThan(w[2]!);
      expect([w[1], w[3]]).toEqual([4, 6]);
    }
  });
});
