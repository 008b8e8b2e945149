// YAML edge cases of the config reader (issue 11 item 10): an undefined alias is reported as such
// at its position; the alias limit allows exactly MAX_YAML_ALIASES expansions, counted as a full
// copy would expand them; the yaml library never prints a warning of its own.
import { MAX_YAML_ALIASES } from '../../../src/config/schema';
import { load, problems } from './helpers';

const V = 'version: 1\n';
const refs = (n: number, name = 'a') => Array(n).fill(`*${name}`).join(', ');
const LIMIT = `1:1 error: expands YAML aliases (*name) beyond the limit (${MAX_YAML_ALIASES} alias expansions); a config never needs that many`;

describe('YAML aliases', () => {
  it('an undefined alias is reported as undefined, at its position', async () => {
    expect(await problems(`${V}hosts:\n  a.test: *nope\n`)).toEqual([
      '3:11 error: YAML alias `*nope` is not defined: no anchor `&nope` comes before it',
    ]);
    expect(await problems(`${V}aliases: [*a, &a 127.0.0.2]\n`)).toEqual([
      '2:11 error: YAML alias `*a` is not defined: no anchor `&a` comes before it',
    ]);
  });

  it(`allows exactly ${MAX_YAML_ALIASES} expansions and refuses ${MAX_YAML_ALIASES + 1}`, async () => {
    const at = await load(`${V}aliases: [&a 127.0.0.2, ${refs(MAX_YAML_ALIASES)}]\n`);
    expect(at.diagnostics).toEqual([]);
    expect(at.desired!.aliases).toEqual(['127.0.0.2']);
    expect(await problems(`${V}aliases: [&a 127.0.0.2, ${refs(MAX_YAML_ALIASES + 1)}]\n`)).toEqual([LIMIT]);
  });

  it('counts nested aliases as a full copy expands them: 2 + 32×3 = 98 pass, 2 + 33×3 = 101 do not', async () => {
    const doc = (n: number) => `${V}aliases: [&a 127.0.0.2]\nhosts:\n  a.test: &b [*a, *a]\n${Array.from({ length: n }, (_, i) => `  h${i}.test: *b\n`).join('')}`;
    expect((await load(doc(32))).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(await problems(doc(33))).toEqual([LIMIT]);
  });

  it('an alias inside the node it names is a loop, at its position', async () => {
    expect(await problems(`${V}aliases: &a [*a]\n`)).toEqual([
      '2:14 error: YAML alias `*a` refers to a node that contains it (a loop); a config cannot be recursive',
    ]);
  });
});

describe('warnings of the yaml library', () => {
  it('a list or mapping as a key is a diagnostic at the key, and nothing is printed by the library', async () => {
    const emitted: unknown[] = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation((w: unknown) => void emitted.push(w));
    try {
      expect(await problems(`${V}? [a]\n: 1\nhosts:\n  ? {x: 1}\n  : 127.0.0.2\nsettings:\n  ? [p]\n  : true\n`)).toEqual([
        '2:3 error: a key must be a plain word such as `version`, not a YAML list',
        '5:5 error: a host name must be a plain name such as api.myteam.test, not a YAML mapping',
        '8:5 error: a key must be a plain word such as `version`, not a YAML list',
      ]);
      expect(await problems(`${V}x: &k [a]\n? *k\n: 1\n`)).toEqual([
        '3:3 error: a key must be a plain word such as `version`, not a YAML list',
      ]);
    } finally {
      spy.mockRestore();
    }
    expect(emitted).toEqual([]);
  });

  it('a document warning (an unknown tag) stays a warning with its position', async () => {
    expect(await problems(`${V}aliases: [!weird 127.0.0.2]\n`)).toEqual(['2:11 warning: YAML: Unresolved tag: !weird']);
  });
});

describe('positions after a token the parser could not make sense of', () => {
  it('a scalar that swallowed a line break does not shift later positions (found by fuzzing)', async () => {
    expect(await problems(`${V}}---\n<<: *a\n`)).toEqual([
      '2:1 error: YAML syntax error: Unexpected flow-map-end token in YAML stream: "}"',
      '2:2 error: YAML syntax error: Unexpected scalar token in YAML stream: "---\\n<<"',
      '3:3 error: YAML syntax error: Unexpected map-value-ind token in YAML stream: ":"',
      '3:5 error: YAML syntax error: Unexpected alias token in YAML stream: "*a"',
    ]);
  });

  it('a key with a line break in it is shown on one line', async () => {
    expect(await problems('{"a\\n\\nb": 1, "version": 1}\n')).toEqual(['1:2 error: unknown key `a\\n\\nb`; allowed keys: version, aliases, hosts, settings']);
  });
});
