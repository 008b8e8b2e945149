// A block that ends the file without a final newline: the separator before it is taken away with
// the block only when loopkeeper could have put it there (layout.ts). Found by fuzzing: a CRLF
// file whose (hand-made) block uses LF got a stray CR before the block, and `down` lost a byte.
import fc from 'fast-check';
import { planHosts } from '../../../src/hosts';
import { BEGIN_MARKER, END_MARKER } from '../../../src/hosts/markers';
import { majorityEol } from '../../../src/hosts/text';
import type { DesiredHost } from '../../../src/model';

const B = (s: string) => Buffer.from(s, 'latin1');
const T = (b: Buffer | null) => (b === null ? null : b.toString('latin1'));
const D: DesiredHost[] = [{ name: 'a.test', addresses: ['127.0.0.2'] }];
/** What `down` leaves: the file without the block. */
const outside = (b: Buffer) => planHosts(b, null).next ?? b;

describe('the separator before an unterminated block at the end of the file', () => {
  const crlfFileLfBlock = `a\r\nb\r\n${BEGIN_MARKER}\n127.0.0.2\ta.test\n${END_MARKER}`;

  it('a CRLF file with an LF block at its end: down keeps every byte of the CRLF lines', () => {
    expect(T(planHosts(B(crlfFileLfBlock), null).next)).toBe('a\r\nb\r\n');
  });

  it('updating that block leaves no stray CR before it, and down still keeps every byte', () => {
    const updated = planHosts(B(crlfFileLfBlock), D).next!;
    expect(T(updated)).toBe(`a\r\nb\r\n${BEGIN_MARKER}\r\n127.0.0.2\ta.test\r\n${END_MARKER}\r\n`);
    expect(T(updated)).not.toContain('\r\r');
    expect(planHosts(updated, D).next).toBeNull();
    expect(T(outside(updated))).toBe('a\r\nb\r\n');
  });

  it('an LF file with a CRLF block at its end: no blank line is inserted when it is updated', () => {
    const lfFileCrlfBlock = `a\nb\n${BEGIN_MARKER}\r\n127.0.0.2\ta.test\r\n${END_MARKER}`;
    const updated = planHosts(B(lfFileCrlfBlock), D).next!;
    expect(T(updated)).toBe(`a\nb\n${BEGIN_MARKER}\n127.0.0.2\ta.test\n${END_MARKER}\n`);
    expect(T(outside(updated))).toBe('a\nb\n');
  });

  it('still takes its own separator: a mostly-LF file that ended in a lone CR gets it back', () => {
    const orig = 'x\ny\nlast\r';
    const added = planHosts(B(orig), D).next!;
    expect(T(added)).toBe(`${orig}\n${BEGIN_MARKER}\n127.0.0.2\ta.test\n${END_MARKER}`);
    expect(T(outside(added))).toBe(orig);
  });

  it('still takes its own separator in a CRLF file without a final newline', () => {
    const orig = 'a\r\nb';
    const added = planHosts(B(orig), D).next!;
    expect(T(added)).toBe(`${orig}\r\n${BEGIN_MARKER}\r\n127.0.0.2\ta.test\r\n${END_MARKER}`);
    expect(T(outside(added))).toBe(orig);
  });
});

// Files built from the pieces that decide line endings: LF, CRLF, lone CR, a BOM, text, and an
// optional final newline (or not).
const piece = fc.constantFrom('\n', '\r\n', '\r', '\ufeff', '\xef\xbb\xbf', 'x', '127.0.0.1 localhost', ' ', '\t', '# c');
const file = fc
  .tuple(fc.option(fc.constant('\xef\xbb\xbf')), fc.array(piece, { maxLength: 14 }), fc.constantFrom('', '\n', '\r\n', '\r'))
  .map(([bom, parts, tail]) => B((bom ?? '') + parts.join('') + tail));
const desired: fc.Arbitrary<DesiredHost[]> = fc
  .uniqueArray(fc.constantFrom('a.test', 'b.test', 'c.test'), { minLength: 1, maxLength: 3 })
  .map((names) => names.map((name, i) => ({ name, addresses: [`127.0.0.${i + 2}`] })));
/** A block somebody else made: either line ending, terminated or not, at the end or in the middle. */
const handBlock = fc
  .tuple(fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([eol, terminated]) => `${BEGIN_MARKER}${eol}127.0.0.9\tz.test${eol}${END_MARKER}${terminated ? eol : ''}`);

describe('add → remove restores the bytes (fixed seed)', () => {
  it('for 6,000 files mixing line endings, BOMs and missing final newlines', () => {
    let runs = 0;
    fc.assert(
      fc.property(file, desired, desired, (orig, d1, d2) => {
        runs++;
        const v1 = planHosts(orig, d1).next!;
        expect(planHosts(v1, d1).next).toBeNull();
        const v2 = planHosts(v1, d2).next ?? v1;
        expect(T(planHosts(v2, null).next ?? v2)).toBe(T(orig));
      }),
      { numRuns: 6000, seed: 0x11f11e5 },
    );
    expect(runs).toBe(6000);
  });

  it('for 6,000 files that already hold a hand-made block: what lies outside it never changes', () => {
    fc.assert(
      fc.property(file, handBlock, file, desired, (head, block, tail, d) => {
        // A terminated block may sit anywhere; an unterminated one can only end the file.
        const endsFile = !block.endsWith('\n');
        const text = T(head)! + (T(head)!.endsWith('\n') || head.length === 0 ? '' : '\n') + block + (endsFile ? '' : T(tail)!);
        const before = outside(B(text));
        const applied = planHosts(B(text), d).next ?? B(text);
        expect(T(outside(applied))).toBe(T(before));
        // The bug's shape: the line before the block ends in CRLF in a mostly-CRLF file, so no
        // LF separator can be ours. Then down keeps that CRLF whole, never half of it.
        const h = T(head)!;
        if (endsFile && block.includes(`${BEGIN_MARKER}\n`) && h.endsWith('\r\n') && majorityEol(h.slice(0, -1)) === '\r\n') {
          expect(T(before)).toBe(h);
        }
        expect(planHosts(applied, d).next).toBeNull();
      }),
      { numRuns: 6000, seed: 0x11f11e6 },
    );
  });
});
