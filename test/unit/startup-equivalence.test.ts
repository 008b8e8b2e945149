// The start-up and hot-path rewrites of issue 16 (fast CLI) against the code they replaced: each
// must answer exactly as the old one did, on generated input.
import * as fc from 'fast-check';
import { count } from '../../src/cli/render';
import { countEols, majorityEol } from '../../src/hosts/text';
import { planHosts } from '../../src/hosts/plan';
import { planHostsCached } from '../../src/hosts/plan-cache';
import { maskOf, type Family } from '../../src/net/ip';
import type { DesiredHost } from '../../src/model';

describe('count() is toLocaleString("en-US") without ICU', () => {
  it('on every size of integer, negative ones and the edges', () => {
    for (const n of [0, 1, -1, 999, 1000, -1000, 999999, 1_000_000, 4096, 65_536, 262_144, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(count(n)).toBe(n.toLocaleString('en-US'));
    }
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => count(n) === n.toLocaleString('en-US')), { numRuns: 5000 });
    fc.assert(fc.property(fc.integer({ min: -100_000, max: 10_000_000 }), (n) => count(n) === n.toLocaleString('en-US')), { numRuns: 5000 });
  });
  it('non-integers still go through toLocaleString', () => {
    for (const n of [1.5, 1234.5678, NaN, Infinity, 2 ** 60]) expect(count(n)).toBe(n.toLocaleString('en-US'));
  });
});

describe('majorityEol: the shortcut for text without CRLF answers as counting every line does', () => {
  const old = (text: string) => {
    const { lf, crlf } = countEols(text);
    return crlf > lf ? '\r\n' : '\n';
  };
  it('on generated texts of LF, CRLF, lone CR and no line ends', () => {
    const piece = fc.constantFrom('a', ' ', '\n', '\r\n', '\r', '\r\r\n', '127.0.0.1 x', '');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (ps) => {
        const t = ps.join('');
        expect(majorityEol(t)).toBe(old(t));
      }),
      { numRuns: 5000 },
    );
    for (const t of ['', 'x', '\r', 'a\r\nb\r\n', 'a\nb\r\n', 'a\nb\r\nc\r\n']) expect(majorityEol(t)).toBe(old(t));
  });
});

describe('maskOf: computed once per family and prefix, the same masks', () => {
  it('for every prefix of both families, asked twice', () => {
    for (const family of [4, 6] as Family[]) {
      const bits = BigInt(family === 4 ? 32 : 128);
      for (let p = 0; p <= Number(bits); p++) {
        const all = (1n << bits) - 1n;
        const want = p === 0 ? 0n : (all >> (bits - BigInt(p))) << (bits - BigInt(p));
        expect(maskOf(family, p)).toBe(want);
        expect(maskOf(family, p)).toBe(want);
      }
    }
  });
});

describe('planHostsCached keeps only plans with nothing to write, and always answers as planHosts', () => {
  const B = (s: string) => Buffer.from(s, 'latin1');
  const files = ['127.0.0.1 localhost\n', '127.0.0.1 localhost\r\n::1 localhost\r\n', '# a\n10.0.0.1 db.example.test\n'];
  const desired: DesiredHost[][] = [[], [{ name: 'api.team.test', addresses: ['127.0.0.2'] }], [{ name: 'db.example.test', addresses: ['127.0.0.3'] }]];
  it('over a sequence of files and desired states: the file as planned, and as written', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(files.length - 1), fc.nat(desired.length - 1), fc.boolean()), { minLength: 1, maxLength: 12 }),
        (steps) => {
          for (const [f, d, applied] of steps) {
            let content: Buffer = B(files[f]!);
            if (applied) content = planHosts(content, desired[d]!).next ?? content;
            const got = planHostsCached(content, desired[d]!);
            expect(got).toEqual(planHosts(content, desired[d]!));
            // The caller may change what it got: the next answer is not affected.
            got.entries.length = 0;
            got.changes.length = 0;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
