// Turns config text into one YAML document that remembers where every node came from, or into
// diagnostics that say why it cannot be one: a syntax error (with its position), several
// documents, nothing at all, something other than a mapping, or an alias bomb.
import {
  LineCounter,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { Diagnostic, Severity } from '../model';
import { MAX_YAML_ALIASES } from './schema';
import { messageOf } from '../errors';

export interface ConfigDocument {
  file: string;
  doc: Document.Parsed;
  root: YAMLMap;
  lineCounter: LineCounter;
  /** The document as plain data (what zod validates). */
  data: unknown;
}

export type ParseResult = { ok: true; value: ConfigDocument; warnings: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

export interface Position {
  line: number;
  col: number;
}

export function diagnostic(file: string, pos: Position, severity: Severity, message: string): Diagnostic {
  return { file, line: pos.line, col: pos.col, severity, message };
}

export const FILE_START: Position = { line: 1, col: 1 };

export function parseConfigDocument(file: string, text: string): ParseResult {
  const lineCounter = new LineCounter();
  const fail = (pos: Position, message: string): ParseResult => ({ ok: false, diagnostics: [diagnostic(file, pos, 'error', message)] });
  let docs: Document.Parsed[];
  try {
    // uniqueKeys off: duplicate keys are reported by rules.ts, with both positions.
    docs = Array.from(parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false }));
  } catch (e) {
    return fail(FILE_START, `cannot be parsed as YAML: ${messageOf(e)}`);
  }
  const pos = (offset: number): Position => lineCounter.linePos(offset);

  const syntax: Diagnostic[] = [];
  for (const doc of docs) {
    for (const err of doc.errors) {
      const tooDeep = /call stack/i.test(err.message);
      const message = tooDeep ? 'YAML nesting is too deep to be a config file' : `YAML syntax error: ${err.message.split('\n')[0]}`;
      // The parser gives up once per nesting level it unwinds; one report is enough.
      if (tooDeep && syntax.some((d) => d.message === message)) continue;
      syntax.push(diagnostic(file, pos(err.pos[0]), 'error', message));
    }
  }
  if (syntax.length > 0) return { ok: false, diagnostics: syntax };
  if (docs.length > 1) {
    const second = docs[1]!;
    return fail(
      pos(second.range[0]),
      `contains ${docs.length} YAML documents (separated by \`---\`); a config file holds one (put more in conf.d/ as separate files)`,
    );
  }
  const doc = docs[0];
  const contents = doc?.contents;
  if (!doc || contents === null || contents === undefined || (isScalar(contents) && contents.value === null)) {
    return fail(FILE_START, 'is empty; expected at least `version: 1`');
  }
  if (!isMap(contents)) {
    const what = isSeq(contents) ? 'a list' : isAlias(contents) ? 'an alias' : `the value ${JSON.stringify(String((contents as { value?: unknown }).value)).slice(0, 40)}`;
    return fail(nodePos(lineCounter, contents), `must be a mapping of keys such as \`version: 1\`, not ${what}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    const message = messageOf(e);
    return fail(
      FILE_START,
      /alias/i.test(message)
        ? `expands YAML aliases (*name) beyond the limit (${MAX_YAML_ALIASES} alias expansions); a config never needs that many`
        : `cannot be read as data: ${message}`,
    );
  }
  const warnings = doc.warnings.map((w) => diagnostic(file, pos(w.pos[0]), 'warning', `YAML: ${w.message.split('\n')[0]}`));
  return { ok: true, value: { file, doc, root: contents, lineCounter, data }, warnings };
}

/** 1-based position of a node (its first character), or the file start when it has none. */
export function nodePos(lc: LineCounter, node: Node | null | undefined): Position {
  const start = node?.range?.[0];
  return start === undefined ? FILE_START : lc.linePos(start);
}

/** The text a key stands for in the plain data (yaml turns keys into strings the same way). */
export function keyText(key: unknown): string {
  if (isScalar(key)) return key.value === null || key.value === undefined ? '' : String(key.value);
  if (isCollection(key) || isAlias(key)) return String(key);
  return key === null || key === undefined ? '' : String(key);
}

/** Follows a YAML alias (`*name`) to the node it names; other nodes are returned as they are. */
export function deref(doc: Document.Parsed, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? null;
  return (node as Node | null) ?? null;
}

/** The last pair of `map` whose key is `key` (the plain data keeps the last one too). */
export function findPair(map: YAMLMap, key: string): Pair<unknown, unknown> | undefined {
  let found: Pair<unknown, unknown> | undefined;
  for (const pair of map.items) if (keyText(pair.key) === key) found = pair;
  return found;
}

/**
 * The node a data path points at, or the deepest ancestor that exists (for a missing key, the map
 * that lacks it). With `wantKey`, a path ending at a map entry gives the entry's key node.
 */
export function locate(cd: ConfigDocument, path: readonly PropertyKey[], wantKey = false): Node {
  let node: Node = cd.root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isAlias(node)) return node; // point where the user wrote *name, not inside the anchor
    if (isMap(node)) {
      const pair = findPair(node, String(seg));
      if (!pair) return node;
      const last = i === path.length - 1;
      const value = pair.value as Node | null | undefined;
      // `key:` with nothing after it: the key is the thing to point at.
      const empty = !value || (isScalar(value) && value.value === null && value.range?.[0] === value.range?.[1]);
      if ((last && wantKey) || empty) return (pair.key as Node) ?? node;
      node = value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined || item === null) return node;
      node = item as Node;
    } else {
      return node;
    }
  }
  return node;
}
