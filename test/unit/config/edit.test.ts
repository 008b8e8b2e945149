// Editing one desired-state file in place: only the entry's own bytes change; comments, layout,
// quoting, line endings and a missing final newline are kept; what the layout cannot take is
// refused instead of guessed.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { NEW_FILE_TEXT, addAlias, removeAliases, removeHost, setHost, type EditResult } from '../../../src/config/edit';
import { declarationsOf } from '../../../src/config/edit-index';

const EXAMPLE = readFileSync(join(resolve(__dirname, '..', '..', '..'), 'config', 'loopkeeper.example.yaml'), 'utf8');

function text(r: EditResult): string {
  if (!r.ok) throw new Error(`edit refused: ${r.message}`);
  return r.text;
}

describe('setHost', () => {
  it('a new file gets a hosts mapping', () => {
    expect(text(setHost(NEW_FILE_TEXT, 'api.test', ['127.0.0.2']))).toBe('version: 1\nhosts:\n  api.test: 127.0.0.2\n');
    expect(text(setHost(NEW_FILE_TEXT, 'web.test', ['127.0.0.3', 'fd00::3']))).toBe('version: 1\nhosts:\n  web.test: [127.0.0.3, fd00::3]\n');
  });

  it('the example config: one line added after the last host, every other byte kept', () => {
    const after = text(setHost(EXAMPLE, 'new.myteam.test', ['127.0.0.9']));
    const anchor = '  printer.myteam.test: [127.0.0.5, fd00::5]\n';
    expect(after).toBe(EXAMPLE.replace(anchor, `${anchor}  new.myteam.test: 127.0.0.9\n`));
  });

  it('an existing name gets new addresses in the style it had (scalar, flow list, block list), comments kept', () => {
    expect(text(setHost(EXAMPLE, 'API.myteam.test', ['127.0.0.7']))).toBe(EXAMPLE.replace('  api.myteam.test: 127.0.0.2\n', '  api.myteam.test: 127.0.0.7\n'));
    expect(text(setHost(EXAMPLE, 'web.myteam.test', ['127.0.0.8']))).toBe(EXAMPLE.replace('[127.0.0.3, fd00::2]', '[127.0.0.8]'));
    const block = 'version: 1\nhosts:\n  a.test:   # two\n    - 127.0.0.2\n    - fd00::2   # six\nx: 1\n';
    expect(text(setHost(block, 'a.test', ['127.0.0.4', 'fd00::4', '127.0.0.5']))).toBe(
      'version: 1\nhosts:\n  a.test:   # two\n    - 127.0.0.4\n    - fd00::4\n    - 127.0.0.5   # six\nx: 1\n',
    );
  });

  it('keeps CRLF, tabs in comments, 4-space indentation and a missing final newline', () => {
    expect(text(setHost('version: 1\r\nhosts:\r\n    a.test: 127.0.0.2\t# tab\r\n', 'b.test', ['127.0.0.3']))).toBe(
      'version: 1\r\nhosts:\r\n    a.test: 127.0.0.2\t# tab\r\n    b.test: 127.0.0.3\r\n',
    );
    expect(text(setHost('version: 1\nhosts:\n  a.test: 127.0.0.2', 'b.test', ['127.0.0.3']))).toBe('version: 1\nhosts:\n  a.test: 127.0.0.2\n  b.test: 127.0.0.3');
    expect(text(setHost('version: 1', 'b.test', ['127.0.0.3']))).toBe('version: 1\nhosts:\n  b.test: 127.0.0.3');
  });

  it('a JSON file stays JSON', () => {
    const json = '{"version": 1, "hosts": {"a.test": "127.0.0.2"}}\n';
    const after = text(setHost(json, 'b.test', ['127.0.0.3', 'fd00::3']));
    expect(after).toBe('{"version": 1, "hosts": {"a.test": "127.0.0.2", "b.test": ["127.0.0.3", "fd00::3"]}}\n');
    expect(JSON.parse(after)).toEqual({ version: 1, hosts: { 'a.test': '127.0.0.2', 'b.test': ['127.0.0.3', 'fd00::3'] } });
    expect(text(setHost('{"version": 1}', 'b.test', ['127.0.0.3']))).toBe('{"version": 1, "hosts": {"b.test": "127.0.0.3"}}');
  });

  it('an empty `hosts: {}` (what removing the last host leaves) becomes a block again, its comment kept', () => {
    expect(text(setHost('version: 1\nhosts: {}   # none yet\nsettings:\n  prune: true\n', 'a.test', ['127.0.0.2']))).toBe(
      'version: 1\nhosts:   # none yet\n  a.test: 127.0.0.2\nsettings:\n  prune: true\n',
    );
    expect(text(setHost('version: 1\nhosts:\naliases: []\n', 'a.test', ['127.0.0.2']))).toBe('version: 1\nhosts:\n  a.test: 127.0.0.2\naliases: []\n');
  });

  it('hostile names and addresses are written as YAML scalars that read back exactly (validation judges them)', () => {
    for (const name of ['bad name', 'x#y', 'a: b', "it's", '"q"', 'line\nbreak', 'true', '- x', '[x]', '\u00e9.test', 'a'.repeat(300)]) {
      const after = text(setHost(NEW_FILE_TEXT, name, ['127.0.0.2', '1.2.3.4,5']));
      expect(parse(after)).toEqual({ version: 1, hosts: { [name]: ['127.0.0.2', '1.2.3.4,5'] } });
      // The same inside flow collections, where `,` `[` `]` `{` `}` also end a plain scalar.
      const flow = text(setHost('version: 1\nhosts: {a.test: 127.0.0.2}\n', name, ['x,y]']));
      expect(parse(flow).hosts).toEqual({ 'a.test': '127.0.0.2', [name]: 'x,y]' });
      const alias = text(addAlias('version: 1\naliases: [127.0.0.2]\n', { address: name }));
      expect(parse(alias).aliases).toEqual(['127.0.0.2', name]);
    }
  });
  it('a file of 20,000 hosts takes one more and loses one, and nothing else moves', () => {
    const big = `version: 1\nhosts:\n${Array.from({ length: 20000 }, (_, i) => `  h${i}.test: 127.0.${i >> 8}.${(i & 255) + 1}\n`).join('')}`;
    const added = text(setHost(big, 'new.test', ['127.0.0.2']));
    expect(added).toBe(`${big}  new.test: 127.0.0.2\n`);
    expect(text(removeHost(added, 'h5000.test'))).toBe(added.replace('  h5000.test: 127.0.19.137\n', ''));
  });

  it('refuses what it cannot edit without guessing: not YAML, not a mapping, an alias, a name declared twice', () => {
    expect(setHost('version: [1\n', 'a.test', ['127.0.0.2'])).toMatchObject({ ok: false, message: expect.stringContaining('not valid YAML') });
    expect(setHost('- 1\n', 'a.test', ['127.0.0.2'])).toMatchObject({ ok: false, message: expect.stringContaining('not a mapping') });
    expect(setHost('version: 1\nbase: &b {a.test: 127.0.0.2}\nhosts: *b\n', 'c.test', ['127.0.0.2'])).toMatchObject({ ok: false, message: expect.stringContaining('alias') });
    expect(setHost('version: 1\nhosts:\n  a.test: 1\n  A.test: 2\n', 'a.test', ['127.0.0.2'])).toMatchObject({ ok: false, message: expect.stringContaining('more than once') });
    expect(setHost('version: 1\nhosts: [a]\n', 'a.test', ['127.0.0.2'])).toMatchObject({ ok: false, message: expect.stringContaining('not a mapping') });
  });
});

describe('removeHost', () => {
  it('takes out exactly the entry\'s line (its end-of-line comment with it), keeps comments above', () => {
    expect(text(removeHost(EXAMPLE, 'queue.myteam.test'))).toBe(EXAMPLE.replace('  queue.myteam.test: 127.0.0.4\n', ''));
    expect(text(removeHost('version: 1\nhosts:\n  a.test:\n    - 127.0.0.2\n    - fd00::2  # six\n  b.test: 1\n', 'A.TEST'))).toBe('version: 1\nhosts:\n  b.test: 1\n');
  });
  it('the last entry leaves `hosts: {}` (an empty `hosts:` would be invalid), and adding it back gives the block again', () => {
    const one = text(setHost(NEW_FILE_TEXT, 'api.test', ['127.0.0.2']));
    const none = text(removeHost(one, 'api.test'));
    expect(none).toBe('version: 1\nhosts: {}\n');
    expect(text(setHost(none, 'api.test', ['127.0.0.2']))).toBe(one);
  });
  it('flow mappings lose the pair and one comma', () => {
    const json = '{"version": 1, "hosts": {"a.test": "1", "b.test": "2", "c.test": "3"}}';
    expect(text(removeHost(json, 'a.test'))).toBe('{"version": 1, "hosts": {"b.test": "2", "c.test": "3"}}');
    expect(text(removeHost(json, 'c.test'))).toBe('{"version": 1, "hosts": {"a.test": "1", "b.test": "2"}}');
    expect(text(removeHost('{"version": 1, "hosts": {"a.test": "1"}}', 'a.test'))).toBe('{"version": 1, "hosts": {}}');
  });
  it('a name that is not there changes nothing', () => {
    expect(removeHost(EXAMPLE, 'nope.test')).toEqual({ ok: true, text: EXAMPLE, changed: false });
  });
});

describe('addAlias / removeAliases', () => {
  it('a block list gets a line with its own `- ` prefix; a range is a `range:` entry', () => {
    const anchor = '  - 10.99.0.5                       # outside loopback: allowed by settings.allowAliasRanges below\n';
    expect(text(addAlias(EXAMPLE, { range: '127.0.9.0/30' }))).toBe(EXAMPLE.replace(anchor, `${anchor}  - range: 127.0.9.0/30\n`));
    expect(text(addAlias('version: 1\naliases:\n- 127.0.0.2\n', { address: 'fd00::2' }))).toBe('version: 1\naliases:\n- 127.0.0.2\n- fd00::2\n');
    expect(text(addAlias(NEW_FILE_TEXT, { range: '127.0.1.10-127.0.1.20' }))).toBe('version: 1\naliases:\n  - range: 127.0.1.10-127.0.1.20\n');
  });
  it('flow lists: appended inside, in JSON style in a JSON file', () => {
    expect(text(addAlias('version: 1\naliases: [127.0.0.2]\n', { range: '127.0.0.5-127.0.0.6' }))).toBe('version: 1\naliases: [127.0.0.2, {range: 127.0.0.5-127.0.0.6}]\n');
    expect(text(addAlias('{"version": 1, "aliases": []}', { address: '127.0.0.2' }))).toBe('{"version": 1, "aliases": ["127.0.0.2"]}');
    expect(text(addAlias('{"version": 1}', { range: '127.0.0.5-127.0.0.6' }))).toBe('{"version": 1, "aliases": [{"range": "127.0.0.5-127.0.0.6"}]}');
  });
  it('removes every matching entry, a range entry with its comment; the last one leaves `aliases: []`', () => {
    expect(text(removeAliases(EXAMPLE, (e) => e === '127.0.0.3'))).toBe(EXAMPLE.replace('  - 127.0.0.3\n', ''));
    expect(text(removeAliases(EXAMPLE, (e) => (e as { range?: string }).range === '127.0.2.0/28'))).toBe(
      EXAMPLE.replace('  - range: 127.0.2.0/28             # a CIDR block: all 16 addresses (at most 65,536 per range)\n', ''),
    );
    expect(text(removeAliases('version: 1\naliases:\n  - 127.0.0.2\n  - 127.0.0.2\n', (e) => e === '127.0.0.2'))).toBe('version: 1\naliases: []\n');
    expect(text(removeAliases('version: 1\naliases: [127.0.0.2, 127.0.0.3, 127.0.0.2]\n', (e) => e === '127.0.0.2'))).toBe('version: 1\naliases: [127.0.0.3]\n');
  });
});

describe('edits, as properties', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}\.test$/);
  const addr = fc.tuple(fc.integer({ min: 2, max: 254 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => `127.0.${b}.${a}`);
  const comment = fc.constantFrom('', '   # c', '\t# tab');
  const file = fc.record({
    eol: fc.constantFrom('\n', '\r\n'),
    indent: fc.constantFrom('  ', '    '),
    flowHosts: fc.boolean(),
    hosts: fc.uniqueArray(fc.tuple(name, fc.array(addr, { minLength: 1, maxLength: 3 }), comment), { minLength: 1, maxLength: 6, selector: (h) => h[0] }),
    aliases: fc.array(fc.tuple(addr, comment), { minLength: 1, maxLength: 5 }),
    finalNewline: fc.boolean(),
    header: fc.constantFrom('', '# team config\n', '---\n'),
  });
  type File = typeof file extends fc.Arbitrary<infer T> ? T : never;
  function render(f: File): string {
    const lines = [`${f.header.trimEnd()}`, 'version: 1  # format'].filter((l) => l !== '');
    if (f.flowHosts) lines.push(`hosts: {${f.hosts.map(([n, a]) => `${n}: [${a.join(', ')}]`).join(', ')}}`);
    else {
      lines.push('hosts:');
      for (const [n, a, c] of f.hosts) lines.push(`${f.indent}${n}: ${a.length === 1 ? a[0] : `[${a.join(', ')}]`}${c}`);
    }
    lines.push('aliases:');
    for (const [a, c] of f.aliases) lines.push(`${f.indent}- ${a}${c}`);
    const body = lines.join(f.eol);
    return f.finalNewline ? body + f.eol : body;
  }

  it('add then remove a new name gives back the original byte for byte', () => {
    fc.assert(
      fc.property(file, name, fc.array(addr, { minLength: 1, maxLength: 2 }), (f, n, a) => {
        fc.pre(!f.hosts.some(([h]) => h === n));
        const original = render(f);
        const added = text(setHost(original, n, a));
        expect(parse(added).hosts[n]).toEqual(a.length === 1 ? a[0] : a);
        expect(text(removeHost(added, n))).toBe(original);
      }),
      { numRuns: 300 },
    );
  });

  it('add then remove an alias gives back the original; every other line is kept as it was', () => {
    fc.assert(
      fc.property(file, addr, (f, a) => {
        const original = render(f);
        fc.pre(!f.aliases.some(([x]) => x === a));
        const added = text(addAlias(original, { address: a }));
        const kept = original.split(f.eol).filter((l) => l !== '');
        const now = added.split(f.eol);
        expect(kept.every((l) => now.includes(l))).toBe(true);
        expect(text(removeAliases(added, (e) => e === a))).toBe(original);
      }),
      { numRuns: 300 },
    );
  });

  it('removing an existing name changes only its lines, and the declarations index agrees', () => {
    fc.assert(
      fc.property(file, fc.nat(), (f, i) => {
        const original = render(f);
        const [n] = f.hosts[i % f.hosts.length]!;
        const after = text(removeHost(original, n));
        const data = parse(after);
        expect(Object.keys(data.hosts)).toEqual(f.hosts.map(([h]) => h).filter((h) => h !== n));
        expect(declarationsOf('x.yaml', after).hosts.map((h) => h.name)).toEqual(Object.keys(data.hosts));
      }),
      { numRuns: 200 },
    );
  });
});
