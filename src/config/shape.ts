// Validates a document's shape with the zod schema and turns each zod issue into a diagnostic at
// the YAML node it is about, with a message that names the key or value and what is expected.
import type * as z from 'zod/mini';
import type { Diagnostic } from '../model';
import { diagnostic, locate, nodePos, shownKey, type ConfigDocument } from './document';
import { KNOWN_KEYS, configFileSchema } from './schema';

type Issue = z.core.$ZodIssue;

export function shapeDiagnostics(cd: ConfigDocument): Diagnostic[] {
  const result = configFileSchema.safeParse(cd.data, { reportInput: true });
  if (result.success) return [];
  const issues = flattenUnions(result.error.issues, []);
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    if (isRedundantMissingKey(issue, issues)) continue;
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(issue.path);
      for (const key of issue.keys) {
        const node = locate(cd, [...issue.path, key], true);
        const suggestion = closest(key, allowed);
        const hint = suggestion ? ` (did you mean \`${suggestion}\`?)` : '';
        out.push(
          diagnostic(cd.file, nodePos(cd.lineCounter, node), 'error', `unknown key \`${shownKey(key)}\`${placeOf(issue.path)}${hint}; allowed keys: ${allowed.join(', ')}`),
        );
      }
      continue;
    }
    const node = locate(cd, issue.path);
    out.push(diagnostic(cd.file, nodePos(cd.lineCounter, node), 'error', messageFor(issue)));
  }
  return out;
}

/**
 * A union issue says only "invalid input". When the value clearly meant one branch (an object for
 * `{range: …}`, a list for a host's addresses), report that branch's own issues instead.
 */
function flattenUnions(issues: readonly Issue[], prefix: readonly PropertyKey[]): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      const meant = issue.errors.filter((branch) => !(branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0));
      if (meant.length === 1) {
        out.push(...flattenUnions(meant[0]!, path));
        continue;
      }
    }
    out.push({ ...issue, path } as Issue);
  }
  return out;
}

/** "missing `range`" adds nothing when the same mapping has an unknown key that suggests `range`. */
function isRedundantMissingKey(issue: Issue, all: readonly Issue[]): boolean {
  if (issue.code !== 'invalid_type' || issue.input !== undefined) return false;
  const missing = String(issue.path[issue.path.length - 1]);
  const parent = issue.path.slice(0, -1);
  return all.some(
    (o) =>
      o.code === 'unrecognized_keys' &&
      samePath(o.path, parent) &&
      o.keys.some((k) => closest(k, allowedKeysAt(parent)) === missing),
  );
}

function samePath(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
  return a.length === b.length && a.every((s, i) => String(s) === String(b[i]));
}

function allowedKeysAt(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return KNOWN_KEYS.root;
  if (path[0] === 'settings') return KNOWN_KEYS.settings;
  if (path[0] === 'aliases') return KNOWN_KEYS.range;
  return [];
}

function placeOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '';
  if (path[0] === 'settings') return ' in settings';
  if (path[0] === 'aliases') return ' in an alias range entry';
  return ` in ${label(path)}`;
}

/** A readable name for a data path: `settings.prune`, `aliases[2].range`, host `api.test`. */
function label(path: readonly PropertyKey[]): string {
  if (path[0] === 'hosts' && path.length >= 2) {
    const host = `host \`${String(path[1])}\``;
    return path.length >= 3 ? `address ${Number(path[2]) + 1} of ${host}` : host;
  }
  let text = '';
  for (const seg of path) text += typeof seg === 'number' ? `[${seg}]` : text === '' ? String(seg) : `.${String(seg)}`;
  return `\`${text}\``;
}

function messageFor(issue: Issue): string {
  const path = issue.path;
  const last = path[path.length - 1];
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) {
        if (path.length === 1 && last === 'version') return 'missing `version: 1` (the file format version)';
        return `missing required key \`${String(last)}\`${placeOf(path.slice(0, -1))}`;
      }
      return `${label(path)} must be ${expectedText(issue.expected, path)}, not ${describeValue(issue.input)}${booleanHint(issue)}${path[0] === 'settings' ? '' : numberHint(issue.input)}`;
    case 'invalid_value':
      if (issue.input === undefined && path.length === 1 && last === 'version') return 'missing `version: 1` (the file format version)';
      if (path.length === 1 && last === 'version') return `\`version\` must be 1 (the only file format version), not ${describeValue(issue.input)}`;
      return `${label(path)} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, not ${describeValue(issue.input)}`;
    case 'too_small':
      if (path[0] === 'hosts' && path.length === 2) return `${label(path)} needs at least one address`;
      return `${label(path)}: ${issue.message}`;
    case 'invalid_union':
      if (path[0] === 'aliases') {
        return `${label(path)} must be an address (e.g. 127.0.0.2) or \`range: FIRST-LAST | CIDR\`, not ${describeValue(issue.input)}${numberHint(issue.input)}`;
      }
      if (path[0] === 'hosts') {
        return `${label(path)} must map to an address or a list of addresses, not ${describeValue(issue.input)}${numberHint(issue.input)}`;
      }
      return `${label(path)} is not valid: ${issue.message}`;
    default:
      return `${label(path)}: ${issue.message}`;
  }
}

function expectedText(expected: string, path: readonly PropertyKey[]): string {
  if (path.length === 1 && path[0] === 'hosts') return 'a mapping of host name to address(es)';
  if (path.length === 1 && path[0] === 'aliases') return 'a list of addresses';
  switch (expected) {
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a mapping';
    default:
      return expected;
  }
}

/** YAML reads `127.1` as a number: say what an address looks like instead. */
function numberHint(input: unknown): string {
  return typeof input === 'number' ? ' (an IPv4 address has four parts, e.g. 127.0.0.2)' : '';
}

function booleanHint(issue: Issue): string {
  if (issue.code !== 'invalid_type' || issue.expected !== 'boolean' || typeof issue.input !== 'string') return '';
  return /^(yes|no|on|off|y|n)$/i.test(issue.input) ? ' (YAML 1.2 reads yes/no/on/off as strings; write true or false)' : '';
}

function describeValue(v: unknown): string {
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'binary data';
  switch (typeof v) {
    case 'string':
      return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
    case 'bigint':
      return `the number ${String(v)}`;
    case 'boolean':
      return String(v);
    case 'object':
      return 'a mapping';
    default:
      return typeof v;
  }
}

/** The allowed key nearest to a typo (case-insensitive, edit distance ≤ 2), if any. */
export function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
