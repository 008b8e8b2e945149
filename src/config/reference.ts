// The README's "Config reference", generated from the JSON Schema (itself generated from the zod
// schema) and the limits, so that the documentation cannot drift from what is enforced. A test
// compares it with the README section between the config-reference markers.
import { MAX_DIAGNOSTICS_PER_FILE } from './load';
import { configJsonSchema } from './json-schema';
import { MAX_FILE_BYTES, MAX_RANGE_SIZE, MAX_TOTAL_ALIASES, MAX_YAML_ALIASES } from './schema';
import { MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from './names';

interface JsonSchema {
  type?: string;
  const?: unknown;
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
}

export const REFERENCE_START = '<!-- config-reference:start -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

const n = (v: number): string => v.toLocaleString('en-US');

export function configReferenceMarkdown(): string {
  const root = configJsonSchema() as JsonSchema;
  const rows: string[] = [];
  const row = (key: string, schema: JsonSchema, required: boolean): void => {
    const def = required ? 'required' : schema.default === undefined ? '—' : `\`${JSON.stringify(schema.default)}\``;
    rows.push(`| \`${key}\` | ${typeText(schema)} | ${def} | ${escapeCell(schema.description ?? '')} |`);
  };
  const walk = (prefix: string, schema: JsonSchema): void => {
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      row(path, child, (schema.required ?? []).includes(key));
      if (child.properties) walk(path, child);
      const range = child.items?.anyOf?.find((b) => b.properties);
      if (range) for (const [k, v] of Object.entries(range.properties ?? {})) row(`${path}[].${k}`, v, false);
    }
  };
  walk('', root);

  return [
    '### Config reference',
    '',
    `Generated from the config schema (\`loopkeeper schema\`, \`config/loopkeeper.schema.json\`). ${root.description ?? ''}`,
    '',
    '| key | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    'Rules and limits (each broken one is reported as `FILE:LINE:COL: message`; warnings never fail):',
    '',
    '- Unknown keys are errors; `version` must be `1`. Several files merge in order; the same alias twice is fine.',
    '- Aliases lie in `127.0.0.0/8` or `fc00::/7` unless inside `settings.allowAliasRanges`; `127.0.0.1` and `::1` are always present and ignored.',
    `- Addresses are strict: four decimal parts without leading zeros (not \`127.1\`, not \`0127.0.0.2\`), no zone ids, no IPv4-mapped IPv6 (\`::ffff:10.0.0.1\`), no \`/prefix\` on a plain address (use \`range:\`).`,
    `- A \`range:\` is \`FIRST-LAST\` (inclusive) or a CIDR block and expands to at most ${n(MAX_RANGE_SIZE)} addresses; all aliases together to at most ${n(MAX_TOTAL_ALIASES)}.`,
    `- Host names follow RFC 1123: labels of 1–${MAX_LABEL_LENGTH} letters, digits and hyphens (not at either end), at most ${MAX_NAME_LENGTH} characters; an internationalised name is written in its \`xn--\` form. A name that is itself an address is refused, because the resolver never looks it up in the hosts file: \`1.2.3.4\`, \`::1\`, the short forms the C library reads as addresses (\`127.1\`, \`0x7f.1\`, \`1234\`), and any name of only digits and dots. Names are case-insensitive and unique: the same name with different addresses in two files is an error naming both places.`,
    '- Warnings: a name ending in `.local` without an IPv6 address (macOS asks mDNS first: 5-second lookups); a host address that could be an alias but is not one while `aliasesFromHosts` is false.',
    "- When loopkeeper runs as root, a config file is checked before it is read (like OpenSSH StrictModes): the file, every directory up to `/`, every directory a symlink on the way sits in, and the symlinks themselves must be owned by root (or the daemon's user) and not writable by group or others (a root-owned sticky directory such as `/tmp` is fine above it). A refused file is not read, so no message quotes it; the message gives the `chown`/`chmod go-w PATH` that fixes it. See [docs/SECURITY.md](docs/SECURITY.md).",
    `- A file is one YAML document, UTF-8 text (no NUL or control characters), at most ${n(MAX_FILE_BYTES / 1024 / 1024)} MiB, with at most ${MAX_YAML_ALIASES} YAML alias expansions (counted as a full copy expands them; every \`*name\` needs an \`&name\` before it); at most ${MAX_DIAGNOSTICS_PER_FILE} problems are listed per file.`,
    '- `settings.schedule` is checked with node-cron; in a directory (`conf.d/` or a `--config DIR`) the `*.yaml` and `*.yml` files are read in lexical order, dotfiles skipped.',
  ].join('\n');
}

function typeText(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.anyOf) return s.anyOf.map(typeText).join(' or ');
  switch (s.type) {
    case 'array':
      return s.items ? `list of ${typeText(s.items)}` : 'list';
    case 'object':
      if (s.properties && Object.keys(s.properties).length === 1) return `\`{${Object.keys(s.properties)[0]}}\``;
      if (typeof s.additionalProperties === 'object') return `map of name → ${typeText(s.additionalProperties)}`;
      return 'mapping';
    default:
      return s.type ?? 'any';
  }
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The text between the markers in a README, or null when the markers are missing. */
export function readmeReferenceSection(readme: string): string | null {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start < 0 || end < start) return null;
  return readme.slice(start + REFERENCE_START.length, end).trim();
}
