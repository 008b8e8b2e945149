// Fuzzing the config pipeline with fixed seeds (part of `npm test`): valid files mutated, random
// YAML-ish text, random bytes, and configs generated valid by construction. Whatever the input:
// loading never throws, every problem has FILE:LINE:COL inside the file and a one-line message,
// and a desired state comes out exactly when there is no error.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadConfig } from '../../../src/config';
import type { LoadedConfig } from '../../../src/config';
import { REPO } from '../../helpers/cli';
import { tempDir } from './helpers';

const EXAMPLE = readFileSync(join(REPO, 'config', 'loopkeeper.example.yaml'), 'utf8');
const SEEDS = [
  EXAMPLE,
  'version: 1\naliases: [127.0.0.2, fd00::2]\nhosts:\n  a.test: 127.0.0.2\n',
  '{"version": 1, "aliases": ["127.0.0.2", {"range": "127.0.3.0/30"}], "hosts": {"b.test": ["127.0.0.3", "fd00::2"]}}\n',
  'version: 1\naliases:\n  - &lo 127.0.0.2\n  - range: 127.0.1.1-127.0.1.4\nhosts:\n  api.test: *lo\n  web.test: [*lo, fd00::9]\nsettings:\n  prune: false\n  schedule: "*/2 * * * *"\n',
  '\ufeffversion: 1 # BOM and comments\r\nhosts:\r\n  x.test: 127.0.0.5\r\n',
];

const TOKENS = [
  ':', ': ', '- ', '-', '[', ']', '{', '}', ',', '&a ', '*a', '&b ', '*b', '!!str ', '!tag ', '"', "'", '#', '\t', '\n', '\r\n', ' ', '  ',
  '? ', '|', '>', '%YAML 1.1\n---\n', '---\n', '...\n', '<<: *a\n', '@', '`', 'version', 'aliases', 'hosts', 'settings', 'range',
  '127.0.0.2', '10.0.0.1', '::1', 'fd00::2', '127.0.0.0/8', '0.0.0.0/0', '127.0.0.1-127.0.0.9', '1.2.3.4', 'a.test', 'é', '😀',
  'true', 'null', '~', '1e999', '0x10', '-1', '* * * * *', 'prune', 'schedule', '\u0085', '\u2028',
];
const token = fc.constantFrom(...TOKENS);

/** A valid file with a few random edits: insert tokens, delete a span, duplicate, swap or re-indent lines. */
const mutatedText = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(
      fc.oneof(
        fc.tuple(fc.constant('insert' as const), fc.nat(), fc.array(token, { minLength: 1, maxLength: 3 })),
        fc.tuple(fc.constant('delete' as const), fc.nat(), fc.integer({ min: 1, max: 12 })),
        fc.tuple(fc.constant('dup' as const), fc.nat(), fc.nat()),
        fc.tuple(fc.constant('swap' as const), fc.nat(), fc.nat()),
        fc.tuple(fc.constant('indent' as const), fc.nat(), fc.integer({ min: -4, max: 4 })),
      ),
      { minLength: 1, maxLength: 5 },
    ),
  )
  .map(([seed, edits]) => {
    let s = seed;
    for (const edit of edits) {
      const lines = s.split('\n');
      if (edit[0] === 'insert') {
        const i = edit[1] % (s.length + 1);
        s = s.slice(0, i) + edit[2].join('') + s.slice(i);
      } else if (edit[0] === 'delete') {
        const i = edit[1] % (s.length + 1);
        s = s.slice(0, i) + s.slice(i + edit[2]);
      } else if (edit[0] === 'dup') {
        const i = edit[1] % lines.length;
        lines.splice(i, 0, lines[i]!);
        s = lines.join('\n');
      } else if (edit[0] === 'swap') {
        const i = edit[1] % lines.length;
        const j = edit[2] % lines.length;
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        s = lines.join('\n');
      } else {
        const i = edit[1] % lines.length;
        lines[i] = edit[2] >= 0 ? ' '.repeat(edit[2]) + lines[i] : lines[i]!.replace(new RegExp(`^ {0,${-edit[2]}}`), '');
        s = lines.join('\n');
      }
    }
    return Buffer.from(s, 'utf8');
  });
const randomText = fc.array(token, { maxLength: 40 }).map((t) => Buffer.from(`version: 1\n${t.join('')}`, 'utf8'));
const randomBytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const anyUnicode = fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8'));

/** Every invariant a load result must keep, whatever the input. */
function checkResult(bytes: Buffer, file: string, r: LoadedConfig): void {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  for (const d of r.diagnostics) {
    expect(d.file).toBe(file);
    expect(['error', 'warning']).toContain(d.severity);
    expect(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines.length).toBe(true);
    expect(Number.isInteger(d.col) && d.col >= 1 && d.col <= (lines[d.line - 1]?.length ?? 0) + 1).toBe(true);
    expect(d.message.length).toBeGreaterThan(0);
    expect(d.message).not.toMatch(/\n|\n\s+at |TypeError|undefined is not|Cannot read prop/);
  }
  const hasError = r.diagnostics.some((d) => d.severity === 'error');
  expect(r.desired === null).toBe(hasError);
}

const counts: Record<string, number> = {};
afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`config fuzz cases: ${JSON.stringify(counts)}`);
});

describe('config fuzz (fixed seeds)', () => {
  const file = join(tempDir('lk-config-fuzz-'), 'loopkeeper.yaml');
  const load = async (bytes: Buffer): Promise<LoadedConfig> => {
    writeFileSync(file, bytes);
    return loadConfig([file], { strictModes: false, platform: 'linux' });
  };

  it.each([
    ['mutated valid files', mutatedText, 2000, 11],
    ['random YAML-ish text', randomText, 1500, 12],
    ['random bytes', randomBytes, 500, 13],
    ['random Unicode', anyUnicode, 500, 14],
  ] as const)('%s: never a crash, every problem at FILE:LINE:COL inside the file', async (name, arb, numRuns, seed) => {
    counts[name] = 0;
    await fc.assert(
      fc.asyncProperty(arb as fc.Arbitrary<Buffer>, async (bytes) => {
        counts[name]!++;
        checkResult(bytes, file, await load(bytes));
      }),
      { numRuns, seed },
    );
  });

  it('configs generated valid load without an error, with the aliases and hosts they declare', async () => {
    const octet = fc.integer({ min: 2, max: 254 });
    const v4 = fc.tuple(octet, octet).map(([a, b]) => `127.0.${a}.${b}`);
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
    const config = fc.record({
      aliases: fc.uniqueArray(v4, { maxLength: 8 }),
      hosts: fc.uniqueArray(fc.tuple(label, fc.array(v4, { minLength: 1, maxLength: 3 })), { selector: ([n]) => n, maxLength: 6 }),
      prune: fc.boolean(),
      style: fc.constantFrom('block', 'flow', 'json'),
    });
    counts.generatedValid = 0;
    await fc.assert(
      fc.asyncProperty(config, async (c) => {
        counts.generatedValid!++;
        const hosts = Object.fromEntries(c.hosts.map(([n, a]) => [`${n}.test`, [...new Set(a)]]));
        const doc = { version: 1, aliases: c.aliases, hosts, settings: { prune: c.prune } };
        const text =
          c.style === 'json'
            ? JSON.stringify(doc, null, 2)
            : c.style === 'flow'
              ? `version: 1\naliases: [${c.aliases.join(', ')}]\nhosts: {${Object.entries(hosts).map(([n, a]) => `${n}: [${a.join(', ')}]`).join(', ')}}\nsettings: {prune: ${c.prune}}\n`
              : `version: 1\naliases:${c.aliases.length === 0 ? ' []\n' : `\n${c.aliases.map((a) => `  - ${a}\n`).join('')}`}` +
                `hosts:${c.hosts.length === 0 ? ' {}\n' : `\n${Object.entries(hosts).map(([n, a]) => `  ${n}: [${a.join(', ')}]\n`).join('')}`}` +
                `settings:\n  prune: ${c.prune}\n`;
        const r = await load(Buffer.from(text));
        checkResult(Buffer.from(text), file, r);
        expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(r.desired!.hosts.map((h) => h.name)).toEqual(Object.keys(hosts));
        for (const a of c.aliases) expect(r.desired!.aliases).toContain(a);
      }),
      { numRuns: 500, seed: 15 },
    );
  });
});
