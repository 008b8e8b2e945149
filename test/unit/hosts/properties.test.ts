// Property tests on random bytes: the block comes and goes without touching anything else.
import fc from 'fast-check';
import { planHosts } from '../../../src/hosts';
import { BEGIN_MARKER, END_MARKER } from '../../../src/hosts/markers';
import type { DesiredHost } from '../../../src/model';

// Random content biased towards what matters: line ends, CRs, blanks, comments, real entries,
// arbitrary bytes (invalid UTF-8, NUL, BOM) and the occasional marker.
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('\n', '\r\n', '\r', ' ', '\t', '#', '\ufeff') },
  { weight: 3, arbitrary: fc.constantFrom('127.0.0.1 localhost', '10.0.0.1\tA.test b.test', '::1 x.test # c', 'fd00::2 a.test') },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a).toString('latin1')) },
  { weight: 1, arbitrary: fc.constantFrom(BEGIN_MARKER, END_MARKER, `${BEGIN_MARKER}\n${END_MARKER}`) },
);
const content = fc.array(piece, { maxLength: 40 }).map((parts) => Buffer.from(parts.join(''), 'latin1'));

const desired: fc.Arbitrary<DesiredHost[]> = fc
  .uniqueArray(fc.constantFrom('a.test', 'b.test', 'c.test', 'd.test', 'x.test', 'localhost'), { maxLength: 6 })
  .chain((names) =>
    fc.tuple(
      ...names.map((name) =>
        fc
          .uniqueArray(fc.constantFrom('127.0.0.2', '127.0.0.3', 'fd00::2', '10.0.0.1'), { minLength: 1, maxLength: 3 })
          .map((addresses) => ({ name, addresses })),
      ),
    ),
  );

const hasMarker = (b: Buffer) => {
  const t = b.toString('latin1');
  return t.includes('# BEGIN loopkeeper') || t.includes('# END loopkeeper');
};

describe('planner properties on random bytes', () => {
  it('add then remove gives the original byte for byte', () => {
    fc.assert(
      fc.property(content, desired, (orig, d) => {
        fc.pre(!hasMarker(orig));
        const added = planHosts(orig, d).next ?? orig;
        const removed = planHosts(added, null).next ?? added;
        expect(removed.equals(orig)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('applying twice changes nothing the second time, whatever the file held', () => {
    fc.assert(
      fc.property(content, desired, desired, (orig, d1, d2) => {
        const p1 = planHosts(orig, d1);
        if (p1.damage) {
          expect(p1.next).toBeNull();
          return;
        }
        const v1 = p1.next ?? orig;
        expect(planHosts(v1, d1).next).toBeNull();
        expect(planHosts(v1, d1).changes).toEqual([]);
        // Switching desired states and back converges too.
        const v2 = planHosts(v1, d2).next ?? v1;
        expect(planHosts(v2, d2).next).toBeNull();
        const v3 = planHosts(v2, d1).next ?? v2;
        expect(planHosts(v3, d1).next).toBeNull();
        // From a file loopkeeper wrote itself, the result depends on nothing but the desired state.
        if (!hasMarker(orig)) expect(v3.equals(v1)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps every byte before a newly added block', () => {
    fc.assert(
      fc.property(content, desired, (orig, d) => {
        fc.pre(!hasMarker(orig) && d.length > 0);
        const next = planHosts(orig, d).next!;
        expect(next.subarray(0, orig.length).equals(orig)).toBe(true);
        const rest = next.subarray(orig.length).toString('latin1');
        expect(rest).toMatch(new RegExp(`^(\\r?\\n)?${BEGIN_MARKER.replace(/[()]/g, '\\$&')}\\r?\\n`));
      }),
      { numRuns: 1000 },
    );
  });

  it('every desired name is present after applying (or shadowed by an earlier line)', () => {
    fc.assert(
      fc.property(content, desired, (orig, d) => {
        const p = planHosts(orig, d);
        fc.pre(p.damage === null);
        const after = planHosts(p.next ?? orig, d);
        for (const e of after.entries) expect(['present', 'shadowed']).toContain(e.state);
        if (p.next) expect(after.entries.every((e, i) => e.state === 'present' || p.entries[i]!.state === 'shadowed')).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
