// Turns config text into one YAML document that remembers where every node came from, or into
// diagnostics that say why it cannot be one: a syntax error (with its position), several
// documents, nothing at all, something other than a mapping, or an alias bomb.
import {
  LineCounter,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Alias,
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
  const lineCounter = lineCounterOf(text);
  const fail = (pos: Position, message: string): ParseResult => ({ ok: false, diagnostics: [diagnostic(file, pos, 'error', message)] });
  let docs: Document.Parsed[];
  try {
    // uniqueKeys off: duplicate keys are reported by rules.ts, with both positions. logLevel
    // 'error': the library would print some warnings itself (process.emitWarning, e.g. "Keys
    // with collection values will be stringified"), straight to stderr past every formatter;
    // each case it warns about is a diagnostic of ours instead (collection keys, below), and its
    // document warnings (an unknown tag) are kept in doc.warnings and reported as warnings.
    docs = Array.from(parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, logLevel: 'error' }));
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
  const structural = checkStructure(file, doc, lineCounter);
  if (structural.length > 0) return { ok: false, diagnostics: structural };
  let data: unknown;
  try {
    // The alias limit was enforced above, exactly (the library's own count multiplies nesting
    // factors and refuses the 100th expansion already): here it would only disagree.
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (e) {
    return fail(FILE_START, `cannot be read as data: ${messageOf(e)}`);
  }
  const warnings = doc.warnings.map((w) => diagnostic(file, pos(w.pos[0]), 'warning', `YAML: ${w.message.split('\n')[0]}`));
  return { ok: true, value: { file, doc, root: contents, lineCounter, data }, warnings };
}

/**
 * What must hold before the document is turned into data, each problem at its position:
 * - every alias (`*name`) names an anchor (`&name`) set before it, and none refers to a node that
 *   contains it (a loop);
 * - the document expands at most MAX_YAML_ALIASES aliases in total, counted as a full copy would
 *   expand them (an alias of a node holding aliases costs them all again): a "billion laughs"
 *   is refused without being expanded;
 * - every mapping key is a plain scalar: a list or mapping as a key cannot name anything here.
 */
function checkStructure(file: string, doc: Document.Parsed, lc: LineCounter): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (node: Node | null | undefined) => nodePos(lc, node);
  const anchors = new Map<string, Node>();
  const sourceOf = new Map<Alias, Node>();
  const keyProblems: Diagnostic[] = [];

  // Document order, a node before its children: the order in which YAML sets anchors.
  const walk = (node: unknown, path: readonly string[]): void => {
    if (isAlias(node)) {
      const source = anchors.get(node.source);
      if (source) sourceOf.set(node, source);
      else out.push(diagnostic(file, at(node), 'error', `YAML alias \`*${node.source}\` is not defined: no anchor \`&${node.source}\` comes before it`));
      return;
    }
    if (!isNode(node)) return;
    if (node.anchor) anchors.set(node.anchor, node);
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key;
        if (isCollection(key) || (isAlias(key) && isCollection(anchors.get(key.source)))) {
          const what = isSeq(key) || (isAlias(key) && isSeq(anchors.get(key.source))) ? 'list' : 'mapping';
          const message =
            path.length === 1 && path[0] === 'hosts'
              ? `a host name must be a plain name such as api.myteam.test, not a YAML ${what}`
              : `a key must be a plain word such as \`version\`, not a YAML ${what}`;
          keyProblems.push(diagnostic(file, at(key as Node), 'error', message));
        }
        walk(key, path);
        walk(pair.value, [...path, keyText(key)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, String(i)]));
    }
  };
  walk(doc.contents, []);
  if (out.length > 0) return out;
  // No alias anywhere (every one met is in sourceOf): nothing expands, nothing loops.
  if (sourceOf.size === 0) return keyProblems;

  // Expansions as a full copy would make them, memoised per anchored node; capped just past the
  // limit so the sums stay small whatever the nesting.
  const cap = MAX_YAML_ALIASES + 1;
  const costOf = new Map<Node, number>();
  const open = new Set<Node>();
  let loop: Alias | null = null;
  const expansions = (node: unknown): number => {
    if (loop) return cap;
    if (isAlias(node)) {
      const source = sourceOf.get(node)!;
      if (open.has(source)) {
        loop = node;
        return cap;
      }
      let cost = costOf.get(source);
      if (cost === undefined) {
        open.add(source);
        cost = expansions(source);
        open.delete(source);
        costOf.set(source, cost);
      }
      return Math.min(cap, 1 + cost);
    }
    let sum = 0;
    if (isMap(node)) for (const pair of node.items) sum = Math.min(cap, sum + expansions(pair.key) + expansions(pair.value));
    else if (isSeq(node)) for (const item of node.items) sum = Math.min(cap, sum + expansions(item));
    return sum;
  };
  const total = expansions(doc.contents);
  if (loop !== null) {
    const alias: Alias = loop;
    return [diagnostic(file, at(alias), 'error', `YAML alias \`*${alias.source}\` refers to a node that contains it (a loop); a config cannot be recursive`)];
  }
  if (total > MAX_YAML_ALIASES) {
    return [
      diagnostic(file, FILE_START, 'error', `expands YAML aliases (*name) beyond the limit (${MAX_YAML_ALIASES} alias expansions); a config never needs that many`),
    ];
  }
  return keyProblems;
}

/**
 * Line starts taken from the text itself. The parser's own LineCounter learns a line break only
 * when its lexer reads one as such: after a token it could not make sense of (a scalar that
 * swallowed a newline), every later position came out on the wrong line, past its end (fuzzing).
 */
function lineCounterOf(text: string): LineCounter {
  const lc = new LineCounter();
  lc.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lc.addNewLine(i + 1);
  return lc;
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

/**
 * A key as a message shows it: on one line (a quoted key may hold line breaks or tabs, which
 * would break the FILE:LINE:COL format), and at most 60 characters.
 */
export function shownKey(key: string): string {
  const oneLine = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(key) ? JSON.stringify(key).slice(1, -1) : key;
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}…` : oneLine;
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
