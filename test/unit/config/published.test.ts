// What the project publishes about its config must match the code: the checked-in JSON Schema,
// the commented example, and the README's config reference.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configJsonSchema, loadConfig } from '../../../src/config';
import { configReferenceMarkdown, readmeReferenceSection, REFERENCE_END, REFERENCE_START } from '../../../src/config/reference';
import { KNOWN_KEYS } from '../../../src/config/schema';

const REPO = resolve(__dirname, '..', '..', '..');

describe('config/loopkeeper.schema.json', () => {
  it('equals `loopkeeper schema` (regenerate with `npm run schema:write`)', () => {
    const checkedIn = readFileSync(join(REPO, 'config', 'loopkeeper.schema.json'), 'utf8');
    expect(checkedIn).toBe(JSON.stringify(configJsonSchema(), null, 2) + '\n');
  });
  it('is a draft 2020-12 schema with an id and a title, strict at every level', () => {
    const s = configJsonSchema() as Record<string, any>;
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(typeof s.$id).toBe('string');
    expect(typeof s.title).toBe('string');
    expect(s.additionalProperties).toBe(false);
    expect(s.required).toEqual(['version']);
    expect(Object.keys(s.properties)).toEqual(KNOWN_KEYS.root);
    expect(s.properties.settings.additionalProperties).toBe(false);
    expect(Object.keys(s.properties.settings.properties)).toEqual(KNOWN_KEYS.settings);
  });
});

describe('config/loopkeeper.example.yaml', () => {
  const path = join(REPO, 'config', 'loopkeeper.example.yaml');
  const text = readFileSync(path, 'utf8');
  it('points editors at the schema on its first line', () => {
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./loopkeeper.schema.json');
  });
  it('validates with zero errors and zero warnings', async () => {
    const r = await loadConfig([path], { strictModes: false });
    expect(r.diagnostics).toEqual([]);
    expect(r.desired).not.toBeNull();
  });
  it('uses every key of the schema', () => {
    for (const key of [...KNOWN_KEYS.root, ...KNOWN_KEYS.settings, ...KNOWN_KEYS.range]) {
      expect(text).toMatch(new RegExp(`^\\s*(- )?${key}:`, 'm'));
    }
  });
});

describe('README config reference', () => {
  it(`equals configReferenceMarkdown() between ${REFERENCE_START} and ${REFERENCE_END}`, () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    expect(readmeReferenceSection(readme)).toBe(configReferenceMarkdown());
  });
  it('mentions every key and every limit', () => {
    const md = configReferenceMarkdown();
    for (const key of KNOWN_KEYS.settings) expect(md).toContain(`\`settings.${key}\``);
    for (const key of ['version', 'aliases', 'hosts', 'settings', 'aliases[].range']) expect(md).toContain(`| \`${key}\` |`);
    expect(md).toContain('65,536');
    expect(md).toContain('8 MiB');
  });
});
