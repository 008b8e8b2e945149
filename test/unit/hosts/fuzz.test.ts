// Fuzzing the hosts planner and writer with fixed seeds (part of `npm test`): random bytes, mixed
// line endings, BOMs, NULs, huge lines, marker fragments and mutations of realistic files. For
// every readable file: planning never throws; a damaged block is never written; every byte
// outside the block is kept; applying the result again is a no-op; what is written parses back.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { applyHosts, planHosts } from '../../../src/hosts';
import { BEGIN_MARKER, END_MARKER } from '../../../src/hosts/markers';
import type { DesiredHost } from '../../../src/model';

const B = (s: string) => Buffer.from(s, 'latin1');

/** Realistic shapes: what other tools, OSes and people put in hosts files. */
const REALISTIC = [
  '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\n',
  '##\r\n# Host Database\r\n##\r\n127.0.0.1\tlocalhost\r\n255.255.255.255\tbroadcasthost\r\n::1             localhost\r\n',
  '\xef\xbb\xbf# BOM first\n127.0.0.1 localhost # inline comment\n10.0.0.5   db.internal\tdb  # tab\n',
  '# Added by Docker Desktop\n192.168.65.2 host.docker.internal\n# To allow the same kube context to work on the host and the container:\n127.0.0.1 kubernetes.docker.internal\n# End of section\n',
  '# ---- hostctl dev ----\n127.0.0.1 dev.test\n# end\n0.0.0.0 ads.example 0.0.0.0 tracker.example',
  `127.0.0.1 localhost\n${BEGIN_MARKER}\n127.0.0.2\tapi.myteam.test\n${END_MARKER}\n10.1.1.1 after.test\n`,
  `127.0.0.1 localhost\r\n${BEGIN_MARKER}\n127.0.0.2\tapi.myteam.test\n${END_MARKER}`,
  '0.0.0.0 a.example\n'.repeat(200),
];

const token = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('\n', '\r\n', '\r', ' ', '\t', '\v', '\f', '#', '\0', '\ufeff', '\xef\xbb\xbf') },
  { weight: 4, arbitrary: fc.constantFrom('127.0.0.1', '127.0.0.2', '::1', 'fd00::2', '10.0.0.1', '0.0.0.0', 'localhost', 'api.myteam.test', 'a.test', 'A.TEST') },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a).toString('latin1')) },
  { weight: 1, arbitrary: fc.constantFrom(BEGIN_MARKER, END_MARKER, `${BEGIN_MARKER} \t`, `${END_MARKER}\r`, '# BEGIN loopkeeper', '# END loopkeeperX') },
);
const randomFile = fc.array(token, { maxLength: 60 }).map((parts) => B(parts.join('')));
const rawBytes = fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a));
/** A realistic file with a few random edits: bytes inserted, deleted or replaced anywhere. */
const mutated = fc
  .tuple(
    fc.constantFrom(...REALISTIC),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 6 }), fc.array(token, { maxLength: 3 })), { minLength: 1, maxLength: 6 }),
  )
  .map(([base, edits]) => {
    let s = base;
    for (const [at, del, ins] of edits) {
      const i = at % (s.length + 1);
      s = s.slice(0, i) + ins.join('') + s.slice(i + del);
    }
    return B(s);
  });
const anyFile = fc.oneof({ weight: 3, arbitrary: randomFile }, { weight: 2, arbitrary: mutated }, { weight: 1, arbitrary: rawBytes });

const desired: fc.Arbitrary<DesiredHost[] | null> = fc.option(
  fc
    .uniqueArray(fc.constantFrom('api.myteam.test', 'a.test', 'b.test', 'localhost', 'x-1.test', 'db.internal'), { maxLength: 5 })
    .chain((names) =>
      fc.tuple(
        ...names.map((name) =>
          fc
            .uniqueArray(fc.constantFrom('127.0.0.2', '127.0.0.3', 'fd00::2', '10.0.0.1', '::1'), { minLength: 1, maxLength: 3 })
            .map((addresses) => ({ name, addresses })),
        ),
      ),
    ),
  { freq: 4 },
);

/** The file as `down` leaves it: without the block (for a file with one valid block or none). */
const outside = (b: Buffer) => planHosts(b, null).next ?? b;

/** Runs counted per property, for the report. */
const counts: Record<string, number> = {};
afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`hosts fuzz cases: ${JSON.stringify(counts)}`);
});

describe('hosts planner fuzz (fixed seeds)', () => {
  it('never throws, never writes a damaged file, keeps every byte outside the block, converges at once', () => {
    counts.planner = 0;
    fc.assert(
      fc.property(anyFile, desired, (file, d) => {
        counts.planner!++;
        const p = planHosts(file, d);
        if (p.damage) {
          expect(p.next).toBeNull();
          expect(p.damage.lines.length).toBeGreaterThan(0);
          return;
        }
        const next = p.next ?? file;
        const again = planHosts(next, d);
        expect(again.damage).toBeNull();
        expect(again.next).toBeNull();
        expect(again.changes).toEqual([]);
        expect(outside(next).equals(outside(file))).toBe(true);
        // Down, then the same desired state again: converged at once, the same bytes outside.
        const down = planHosts(next, null).next ?? next;
        const back = planHosts(down, d).next ?? down;
        expect(planHosts(back, d).next).toBeNull();
        expect(outside(back).equals(outside(file))).toBe(true);
      }),
      { numRuns: 5000, seed: 20261111 },
    );
  });

  it('a file without markers: add then remove gives it back byte for byte', () => {
    counts.roundTrip = 0;
    fc.assert(
      fc.property(anyFile, desired, (file, d) => {
        const t = file.toString('latin1');
        fc.pre(!t.includes('# BEGIN loopkeeper') && !t.includes('# END loopkeeper'));
        counts.roundTrip!++;
        const added = planHosts(file, d).next ?? file;
        expect((planHosts(added, null).next ?? added).equals(file)).toBe(true);
      }),
      { numRuns: 4000, seed: 20261112 },
    );
  });

  it('huge lines (up to 1 MiB, with NULs and CRs) plan, keep their bytes and converge', () => {
    counts.hugeLines = 0;
    const huge = fc
      .tuple(fc.constantFrom('x', '\0', '\r', ' ', 'a.test ', '#'), fc.integer({ min: 1, max: 1 << 20 }), fc.constantFrom('', '\n', '\r\n'), fc.constantFrom(...REALISTIC))
      .map(([c, n, eol, base]) => B(base + c.repeat(Math.ceil(n / c.length)) + eol));
    fc.assert(
      fc.property(huge, desired, (file, d) => {
        counts.hugeLines!++;
        const p = planHosts(file, d);
        const next = p.next ?? file;
        expect(planHosts(next, d).next).toBeNull();
        expect(outside(next).equals(outside(file))).toBe(true);
      }),
      { numRuns: 40, seed: 20261113 },
    );
  });
});

describe('hosts writer fuzz (fixed seed, real files)', () => {
  it('what it writes is what was planned, a second apply writes nothing, and down restores the bytes outside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-hosts-fuzz-'));
    const state = join(dir, 'state');
    counts.writer = 0;
    await fc.assert(
      fc.asyncProperty(anyFile, desired, async (file, d) => {
        counts.writer!++;
        const path = join(dir, `hosts-${counts.writer}`);
        writeFileSync(path, file);
        const planned = planHosts(file, d);
        const out = await applyHosts(path, d, { stateDir: state });
        const now = readFileSync(path);
        expect(now.equals(planned.next ?? file)).toBe(true);
        expect(out.written).toBe(planned.next !== null);
        expect((await applyHosts(path, d, { stateDir: state })).written).toBe(false);
        if (!planned.damage) {
          await applyHosts(path, null, { stateDir: state });
          expect(readFileSync(path).equals(outside(file))).toBe(true);
        }
      }),
      { numRuns: 150, seed: 20261114 },
    );
  });
});
