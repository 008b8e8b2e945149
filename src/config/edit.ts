// Edits of one desired-state file that keep everything else in it as it was: comments, blank
// lines, key order, quoting, indentation, line endings, a missing final newline.
//
// Why splicing and not Document#toString(): the yaml package keeps comments through its Document
// API, but printing a document re-formats it (measured on config/loopkeeper.example.yaml: aligned
// end-of-line comments lose their alignment, `[a, b]` becomes `[ a, b ]`, a comment after
// `key:` moves to its own line, CRLF becomes LF). So the Document is used to find the nodes and
// their source ranges, and only the bytes of the entry being added or removed change; the new
// entry is written in the style of its neighbours (indentation, `- ` prefix, flow or block,
// JSON quoting in a JSON file). Every edit is then parsed back and must mean exactly the
// intended change — if the layout is too unusual for that, the edit is refused, not guessed.
import { isDeepStrictEqual } from 'node:util';
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, stringify, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { keyText } from './document';

export type EditResult = { ok: true; text: string; changed: boolean } | { ok: false; message: string };

/** An alias entry as written under `aliases:`. */
export type AliasItem = { address: string } | { range: string };

/** The text of a new desired-state file. */
export const NEW_FILE_TEXT = 'version: 1\n';

interface Source {
  text: string;
  doc: Document.Parsed;
  root: YAMLMap;
  eol: string;
  /** A JSON file (flow root with double-quoted keys): new scalars are JSON strings. */
  json: boolean;
  data: Record<string, unknown>;
}

interface Splice {
  at: number;
  /** Characters removed at `at`. */
  remove: number;
  insert: string;
}

type Opened = { ok: true; src: Source } | { ok: false; message: string };

function open(text: string): Opened {
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  } catch (e) {
    return { ok: false, message: `it cannot be parsed as YAML (${(e as Error).message}); fix it first (loopkeeper validate)` };
  }
  if (doc.errors.length > 0) return { ok: false, message: 'it is not valid YAML; fix it first (loopkeeper validate shows where)' };
  const root = doc.contents;
  if (!isMap(root)) return { ok: false, message: 'it is not a mapping of keys such as `version: 1`; fix it first (loopkeeper validate)' };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, message: `it cannot be read as data (${(e as Error).message})` };
  }
  const first = root.items[0]?.key;
  const json = Boolean(root.flow) && isScalar(first) && first.type === 'QUOTE_DOUBLE';
  return { ok: true, src: { text, doc, root, eol: majorityEol(text), json, data: (data ?? {}) as Record<string, unknown> } };
}

function majorityEol(text: string): string {
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1 - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

// ---- positions ----

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

/** The offset just past the line that holds `pos` (its terminator included), or the text's end. */
function lineEndAfter(text: string, pos: number): number {
  if (pos > 0 && text[pos - 1] === '\n') return pos;
  const nl = text.indexOf('\n', pos);
  return nl < 0 ? text.length : nl + 1;
}

/** Where the last value inside `node` ends (before any comment after it). */
function contentEnd(node: Node | Pair): number {
  if (isPair(node)) {
    const value = node.value as Node | null;
    if (!value || (isScalar(value) && value.value === null && value.range && value.range[0] === value.range[1])) return contentEnd(node.key as Node);
    return contentEnd(value);
  }
  if ((isMap(node) || isSeq(node)) && !node.flow && node.items.length > 0) return contentEnd(node.items[node.items.length - 1] as Node);
  return node.range![1];
}

function startOf(node: Node | Pair): number {
  return isPair(node) ? (node.key as Node).range![0] : node.range![0];
}

/** The offset of the `:` after a block mapping key. */
function colonAfter(text: string, key: Node): number | null {
  let i = key.range![1];
  while (text[i] === ' ' || text[i] === '\t') i++;
  return text[i] === ':' ? i : null;
}

/** What comes before an entry on its line, when the entry begins the line (spaces, or spaces and `- `). */
function entryPrefix(text: string, start: number, seqItem: boolean): string | null {
  const prefix = text.slice(lineStart(text, start), start);
  return (seqItem ? /^ *- +$/ : /^ *$/).test(prefix) ? prefix : null;
}

// ---- rendering in the file's style ----

/** `value` as one YAML scalar; `flow`: inside `[...]`/`{...}`, where `,` and brackets also end a plain scalar. */
function scalar(src: Source, value: string, flow = false): string {
  if (src.json) return JSON.stringify(value);
  const opts = { lineWidth: 0, blockQuote: false, flowCollectionPadding: false } as const;
  const text = flow ? stringify([value], { ...opts, collectionStyle: 'flow' }).trim().slice(1, -1) : stringify(value, opts).replace(/\n$/, '');
  return text.includes('\n') ? JSON.stringify(value) : text;
}

function flowList(src: Source, values: readonly string[]): string {
  return `[${values.map((v) => scalar(src, v, true)).join(', ')}]`;
}

/** A host's value; `flow`: it goes inside a flow mapping. */
function hostValue(src: Source, addresses: readonly string[], asList: boolean, flow = false): string {
  return addresses.length === 1 && !asList ? scalar(src, addresses[0]!, flow) : flowList(src, addresses);
}

function aliasItemText(src: Source, item: AliasItem, flow: boolean): string {
  if ('address' in item) return scalar(src, item.address, flow);
  return flow ? `{${scalar(src, 'range', true)}: ${scalar(src, item.range, true)}}` : `range: ${scalar(src, item.range)}`;
}

/** The indentation step of the file's block mappings (2 unless the file shows another). */
function indentStep(src: Source): string {
  for (const pair of src.root.items) {
    const v = pair.value;
    if (isMap(v) && !v.flow && v.items.length > 0) {
      const parent = (pair.key as Node).range![0] - lineStart(src.text, (pair.key as Node).range![0]);
      const child = startOf(v.items[0]!) - lineStart(src.text, startOf(v.items[0]!));
      if (child > parent) return ' '.repeat(child - parent);
    }
  }
  return '  ';
}

/** How the file writes a block list item under a top-level key (`  - ` unless it shows another). */
function seqPrefix(src: Source): string {
  for (const pair of src.root.items) {
    const v = pair.value;
    if (isSeq(v) && !v.flow && v.items.length > 0) {
      const prefix = entryPrefix(src.text, startOf(v.items[0] as Node), true);
      if (prefix !== null) return prefix;
    }
  }
  return `${indentStep(src)}- `;
}

// ---- generic insertion and removal ----

/** Lines inserted after the line where `after` ends; keeps a missing final newline missing. */
function insertLines(src: Source, after: number, lines: readonly string[]): Splice {
  const at = lineEndAfter(src.text, after);
  const atEofWithoutNewline = at === src.text.length && !src.text.endsWith('\n');
  const body = lines.join(src.eol);
  return atEofWithoutNewline ? { at, remove: 0, insert: src.eol + body } : { at, remove: 0, insert: body + src.eol };
}

/** A new top-level key with its block content (or a flow pair in a flow root). */
function addTopLevel(src: Source, key: string, blockLines: (indent: string) => string[], flowValue: string): Splice[] | string {
  const root = src.root;
  if (root.flow) {
    const pair = `${scalar(src, key, true)}: ${flowValue}`;
    const last = root.items[root.items.length - 1];
    if (!last) return [{ at: root.range![0] + 1, remove: 0, insert: pair }];
    return [{ at: contentEnd(last), remove: 0, insert: `, ${pair}` }];
  }
  const last = root.items[root.items.length - 1];
  if (!last) return 'it has no keys';
  const keyLine = entryPrefix(src.text, startOf(last), false);
  if (keyLine === null) return 'its top-level keys do not start their lines';
  return [insertLines(src, contentEnd(last), [`${keyLine}${scalar(src, key)}:`, ...blockLines(keyLine)])];
}

/**
 * Adds one entry to the collection under a top-level key. `block(prefix)` gives the entry's block
 * line for a sibling prefix; `flow` its text inside `[...]`/`{...}`.
 */
function addToCollection(
  src: Source,
  pair: Pair,
  kind: 'map' | 'seq',
  entry: { block: (prefix: string) => string; flow: string },
): Splice[] | string {
  const keyNode = pair.key as Node;
  const value = pair.value as Node | null;
  const keyCol = keyNode.range![0] - lineStart(src.text, keyNode.range![0]);
  const childPrefix = ' '.repeat(keyCol) + (kind === 'map' ? indentStep(src) : seqPrefix(src));
  const isEmptyScalar = isScalar(value) && value.value === null;
  if (!value || isEmptyScalar) {
    if (src.root.flow) return 'its layout is unusual (an empty value in a flow mapping)';
    const splices: Splice[] = [];
    if (value && value.range && value.range[1] > value.range[0]) splices.push({ at: value.range[0], remove: value.range[1] - value.range[0], insert: '' });
    splices.push(insertLines(src, keyNode.range![1], [entry.block(childPrefix)]));
    return splices;
  }
  if (isAlias(value)) return `its \`${keyText(pair.key)}\` is a YAML alias (*name)`;
  const right = kind === 'map' ? isMap(value) : isSeq(value);
  if (!right) return `its \`${keyText(pair.key)}\` is not a ${kind === 'map' ? 'mapping' : 'list'}`;
  const coll = value as YAMLMap | YAMLSeq;
  if (coll.flow) {
    const last = coll.items[coll.items.length - 1] as Node | Pair | undefined;
    if (last) return [{ at: contentEnd(last), remove: 0, insert: `, ${entry.flow}` }];
    const oneLine = !src.text.slice(coll.range![0], coll.range![1]).includes('\n');
    const colon = colonAfter(src.text, keyNode);
    if (!src.root.flow && oneLine && colon !== null) {
      // `hosts: {}` in a block file (what removing the last entry leaves): back to a block.
      return [
        { at: colon + 1, remove: coll.range![1] - colon - 1, insert: '' },
        insertLines(src, coll.range![1], [entry.block(childPrefix)]),
      ];
    }
    return [{ at: coll.range![0] + 1, remove: 0, insert: entry.flow }];
  }
  const first = coll.items[0] as Node | Pair | undefined;
  if (!first) return 'its layout is unusual (an empty block collection)';
  const prefix = entryPrefix(src.text, startOf(first), kind === 'seq');
  if (prefix === null) return `its \`${keyText(pair.key)}\` entries do not start their lines`;
  return [insertLines(src, contentEnd(coll.items[coll.items.length - 1] as Node | Pair), [entry.block(prefix)])];
}

/** Removes entry `index` of the collection under `pair` (a top-level key). */
function removeFromCollection(src: Source, pair: Pair, coll: YAMLMap | YAMLSeq, index: number): Splice[] | string {
  const item = coll.items[index] as Node | Pair;
  const start = startOf(item);
  const end = contentEnd(item);
  if (coll.flow) {
    const next = coll.items[index + 1] as Node | Pair | undefined;
    if (next) return [{ at: start, remove: startOf(next) - start, insert: '' }];
    const prev = coll.items[index - 1] as Node | Pair | undefined;
    if (prev) {
      const from = contentEnd(prev);
      return [{ at: from, remove: end - from, insert: '' }];
    }
    return [{ at: start, remove: end - start, insert: '' }];
  }
  const prefix = entryPrefix(src.text, start, isSeq(coll));
  if (prefix === null) return `its \`${keyText(pair.key)}\` entries do not start their lines`;
  let from = lineStart(src.text, start);
  const to = lineEndAfter(src.text, end);
  if (to === src.text.length && !src.text.endsWith('\n') && from > 0) {
    // The last line of a file without a final newline: the line end before it goes, so the
    // file still has none.
    from -= src.text[from - 2] === '\r' ? 2 : 1;
  }
  const rest = src.text.slice(end, to).trim();
  if (rest !== '' && !rest.startsWith('#')) return 'another entry shares a line with the one to remove';
  const splices: Splice[] = [{ at: from, remove: to - from, insert: '' }];
  if (coll.items.length === 1) {
    // The last entry: an empty `key:` would be null, which is not a valid value; write `{}` / `[]`.
    const colon = colonAfter(src.text, pair.key as Node);
    if (colon === null) return 'its layout is unusual';
    splices.push({ at: colon + 1, remove: 0, insert: isMap(coll) ? ' {}' : ' []' });
  }
  return splices;
}

function applySplices(text: string, splices: readonly Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.at - a.at)) out = out.slice(0, s.at) + s.insert + out.slice(s.at + s.remove);
  return out;
}

// ---- meaning checks ----

/** The data with every host's value as a list, for comparing what two texts mean. */
function normalize(data: unknown): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  const d = { ...(data as Record<string, unknown>) };
  if (d.hosts && typeof d.hosts === 'object' && !Array.isArray(d.hosts)) {
    d.hosts = Object.fromEntries(Object.entries(d.hosts as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
  }
  return d;
}

function finish(before: Source, splices: readonly Splice[], expected: unknown): EditResult {
  const text = applySplices(before.text, splices);
  const after = open(text);
  if (!after.ok || !isDeepStrictEqual(normalize(after.src.data), normalize(expected))) {
    return { ok: false, message: 'its layout is too unusual to edit without changing anything else; edit it by hand' };
  }
  return { ok: true, text, changed: text !== before.text };
}

function topPair(src: Source, key: string): Pair | undefined {
  let found: Pair | undefined;
  for (const pair of src.root.items) if (keyText(pair.key) === key) found = pair;
  return found;
}

function hostPairs(map: YAMLMap, name: string): number[] {
  const lower = name.toLowerCase();
  return map.items.flatMap((p, i) => (keyText(p.key).toLowerCase() === lower ? [i] : []));
}

// ---- the edits ----

/**
 * Declares `name` → `addresses` in this file: a new entry after the last host, or the existing
 * entry's value replaced (in its own style: a scalar, `[a, b]`, or a block list).
 */
export function setHost(text: string, name: string, addresses: readonly string[]): EditResult {
  const opened = open(text);
  if (!opened.ok) return opened;
  const src = opened.src;
  const expectedHosts: Record<string, unknown> = {};
  const oldHosts = src.data.hosts;
  // Replacing keeps the key as the file spells it (names are case-insensitive).
  let key = name;
  if (oldHosts && typeof oldHosts === 'object' && !Array.isArray(oldHosts)) {
    for (const [k, v] of Object.entries(oldHosts)) {
      if (k.toLowerCase() !== name.toLowerCase()) expectedHosts[k] = v;
      else key = k;
    }
  }
  expectedHosts[key] = [...addresses];
  const expected = { ...src.data, hosts: expectedHosts };

  const pair = topPair(src, 'hosts');
  if (!pair) {
    const splices = addTopLevel(
      src,
      'hosts',
      (indent) => [`${indent}${indentStep(src)}${scalar(src, name)}: ${hostValue(src, addresses, false)}`],
      `{${scalar(src, name, true)}: ${hostValue(src, addresses, false, true)}}`,
    );
    return typeof splices === 'string' ? { ok: false, message: splices } : finish(src, splices, expected);
  }
  const map = pair.value;
  if (isMap(map)) {
    const existing = hostPairs(map, name);
    if (existing.length > 1) return { ok: false, message: `it declares \`${name}\` more than once; keep one (loopkeeper validate shows where)` };
    if (existing.length === 1) {
      const old = map.items[existing[0]!]!;
      const splices = replaceHostValue(src, old, addresses, Boolean(map.flow));
      return typeof splices === 'string' ? { ok: false, message: splices } : finish(src, splices, expected);
    }
  }
  const entry = {
    block: (prefix: string) => `${prefix}${scalar(src, name)}: ${hostValue(src, addresses, false)}`,
    flow: `${scalar(src, name, true)}: ${hostValue(src, addresses, false, true)}`,
  };
  const splices = addToCollection(src, pair, 'map', entry);
  return typeof splices === 'string' ? { ok: false, message: splices } : finish(src, splices, expected);
}

function replaceHostValue(src: Source, pair: Pair, addresses: readonly string[], inFlow: boolean): Splice[] | string {
  const value = pair.value as Node | null;
  if (!value || isAlias(value) || (isScalar(value) && value.value === null)) return `the value of \`${keyText(pair.key)}\` is empty or a YAML alias`;
  const range = value.range!;
  if (isScalar(value)) return [{ at: range[0], remove: range[1] - range[0], insert: hostValue(src, addresses, false, inFlow) }];
  if (isSeq(value) && value.flow) return [{ at: range[0], remove: range[1] - range[0], insert: hostValue(src, addresses, true) }];
  if (isSeq(value) && value.items.length > 0) {
    const first = value.items[0] as Node;
    const prefix = entryPrefix(src.text, first.range![0], true);
    if (prefix === null) return `the addresses of \`${keyText(pair.key)}\` do not start their lines`;
    const body = addresses.map((a) => scalar(src, a)).join(`${src.eol}${prefix}`);
    return [{ at: first.range![0], remove: contentEnd(value) - first.range![0], insert: body }];
  }
  return `the value of \`${keyText(pair.key)}\` is not an address or a list of addresses`;
}

/** Takes every entry for `name` (case-insensitive) out of this file's `hosts`. */
export function removeHost(text: string, name: string): EditResult {
  return removeRepeatedly(text, (src) => {
    const pair = topPair(src, 'hosts');
    const map = pair?.value;
    if (!pair || !isMap(map)) return null;
    const index = hostPairs(map, name)[0];
    return index === undefined ? null : { pair, coll: map, index };
  }, (data) => {
    const hosts = data.hosts as Record<string, unknown>;
    return { ...data, hosts: Object.fromEntries(Object.entries(hosts).filter(([k]) => k.toLowerCase() !== name.toLowerCase())) };
  });
}

/** Appends one alias entry (an address, or `range: …`) to this file's `aliases`. */
export function addAlias(text: string, item: AliasItem): EditResult {
  const opened = open(text);
  if (!opened.ok) return opened;
  const src = opened.src;
  const plain = 'address' in item ? item.address : { range: item.range };
  const oldList = Array.isArray(src.data.aliases) ? src.data.aliases : [];
  const expected = { ...src.data, aliases: [...oldList, plain] };
  const pair = topPair(src, 'aliases');
  if (!pair) {
    const prefix = seqPrefix(src);
    const splices = addTopLevel(src, 'aliases', (indent) => [`${indent}${prefix}${aliasItemText(src, item, false)}`], `[${aliasItemText(src, item, true)}]`);
    return typeof splices === 'string' ? { ok: false, message: splices } : finish(src, splices, expected);
  }
  const splices = addToCollection(src, pair, 'seq', {
    block: (prefix) => `${prefix}${aliasItemText(src, item, false)}`,
    flow: aliasItemText(src, item, true),
  });
  return typeof splices === 'string' ? { ok: false, message: splices } : finish(src, splices, expected);
}

/** Takes every `aliases` entry for which `matches(entry)` holds (the entry as plain data) out of this file. */
export function removeAliases(text: string, matches: (entry: unknown) => boolean): EditResult {
  return removeRepeatedly(text, (src) => {
    const pair = topPair(src, 'aliases');
    const seq = pair?.value;
    if (!pair || !isSeq(seq)) return null;
    const index = seq.items.findIndex((item) => matches(isScalar(item) ? item.value : (item as Node).toJSON()));
    return index < 0 ? null : { pair, coll: seq, index };
  }, (data) => ({ ...data, aliases: (data.aliases as unknown[]).filter((e) => !matches(e)) }));
}

/**
 * One entry at a time, re-parsing in between (neighbouring removals in a flow collection would
 * otherwise overlap), then one check of the whole result against the intended data.
 */
function removeRepeatedly(
  text: string,
  find: (src: Source) => { pair: Pair; coll: YAMLMap | YAMLSeq; index: number } | null,
  expect: (data: Record<string, unknown>) => unknown,
): EditResult {
  const opened = open(text);
  if (!opened.ok) return opened;
  const first = opened.src;
  let src = first;
  for (let guard = 0; ; guard++) {
    const hit = find(src);
    if (!hit) break;
    if (guard > 10_000) return { ok: false, message: 'too many entries to remove' };
    const splices = removeFromCollection(src, hit.pair, hit.coll, hit.index);
    if (typeof splices === 'string') return { ok: false, message: splices };
    const next = open(applySplices(src.text, splices));
    if (!next.ok) return { ok: false, message: 'its layout is too unusual to edit without changing anything else; edit it by hand' };
    src = next.src;
  }
  if (src === first) return { ok: true, text, changed: false };
  return finish(first, [{ at: 0, remove: text.length, insert: src.text }], expect(first.data));
}
