// Reading host entries: the managed block's body (small) and the lines before it (possibly a
// 120,000-line blocklist, read on every reconcile, so that scan avoids allocating per line).
import { canonicalIp } from '../net/ip';
import { isBlank } from './text';

/** name → addresses, in the order the lines give them. Names are lower-cased. */
export type HostMap = Map<string, string[]>;

/** An address as the resolver would compare it: canonical when it parses, verbatim otherwise. */
function addressKey(token: string): string {
  return canonicalIp(token) ?? token;
}

/** The entries of a block body (or any small hosts text). Comments and junk lines are skipped. */
export function parseEntries(text: string): HostMap {
  const map: HostMap = new Map();
  for (const whole of text.split('\n')) {
    const nul = whole.indexOf('\0');
    const raw = nul < 0 ? whole : whole.slice(0, nul); // a NUL ends the line for the C library
    const hash = raw.indexOf('#');
    const line = hash < 0 ? raw : raw.slice(0, hash);
    const tokens = line.split(/[ \t\r\v\f]+/).filter((t) => t !== '');
    if (tokens.length < 2) continue;
    const address = addressKey(tokens[0]!);
    for (const t of tokens.slice(1)) {
      const name = t.toLowerCase();
      const list = map.get(name);
      if (!list) map.set(name, [address]);
      else if (!list.includes(address)) list.push(address);
    }
  }
  return map;
}

export interface EarlierMapping {
  /** 1-based line number. */
  line: number;
  /** The address as written on that line. */
  address: string;
  /** Canonical form (or the written text when it is not a strict address). */
  key: string;
}

/**
 * For each wanted name, every line in text[0, end) that maps it (case-insensitive, comments
 * stripped), in file order. Lines whose first field is not an IP address are ignored, as the
 * resolver ignores them. A NUL byte ends a line's content, as for glibc, which reads each line
 * as a C string: whatever follows it up to the newline is never looked at.
 *
 * Speed matters (a no-op reconcile reads the whole file, and a `loopkeeper` process does it with
 * code V8 has not optimized yet): the lines that can map a wanted name are found first with
 * native string search (candidateLines), and only those are read; when that does not narrow
 * things down, every line is, each token filtered by length and first/last char before any
 * string is made, so a blocklist costs one pass over its chars.
 */
export function findEarlier(
  text: string,
  end: number,
  names: readonly string[],
  /** Tests: read every line, without the native pre-filter (both ways must agree). */
  opts: { everyLine?: boolean } = {},
): Map<string, EarlierMapping[]> {
  const found = new Map<string, EarlierMapping[]>();
  if (names.length === 0 || end === 0) return found;
  const wanted = new Set(names);
  const keys = new Set<number>();
  for (const n of names) keys.add(tokenKey(n.length, n.charCodeAt(0), n.charCodeAt(n.length - 1)));

  const candidates = opts.everyLine ? null : candidateLines(text, end, names);
  if (candidates !== null) {
    // Line numbers: the newlines before each candidate, counted from the previous one.
    let counted = 0;
    let lineNo = 1;
    for (const start of candidates) {
      for (let nl = text.indexOf('\n', counted); nl >= 0 && nl < start; nl = text.indexOf('\n', nl + 1)) lineNo++;
      counted = start;
      const nl = text.indexOf('\n', start);
      scanLine(text, start, nl < 0 || nl >= end ? end : nl, lineNo, keys, wanted, found);
    }
    return found;
  }

  let pos = 0;
  let lineNo = 0;
  // The next NUL at or after `pos`, found again only once passed: one scan over the whole file.
  let nextNul = text.indexOf('\0');
  while (pos < end) {
    lineNo++;
    const nl = text.indexOf('\n', pos);
    const terminator = nl < 0 || nl >= end ? end : nl;
    if (nextNul >= 0 && nextNul < pos) nextNul = text.indexOf('\0', pos);
    const lineEnd = nextNul >= 0 && nextNul < terminator ? nextNul : terminator;
    scanLine(text, pos, lineEnd, lineNo, keys, wanted, found);
    pos = terminator + 1;
  }
  return found;
}

/** Lines with more candidates than this are read one by one instead (the filter did not filter). */
const MAX_CANDIDATES = 4096;

/**
 * The start offsets, ascending, of the lines in text[0, end) that may map a wanted name: those in
 * which the last label of one (`test` of `api.myteam.test`) ends a token. Found with indexOf over
 * the lower-cased text, a native scan per distinct label (a few, usually: the names of a team
 * share their domain). Null when this would not save work: NUL bytes in the text (they end lines
 * early), many distinct labels, or a label so common (`com` in a blocklist) that most lines hold it.
 */
function candidateLines(text: string, end: number, names: readonly string[]): number[] | null {
  const labels = new Set<string>();
  for (const n of names) {
    const label = n.slice(n.lastIndexOf('.') + 1);
    if (label === '') return null; // `name.`: nothing to search for
    labels.add(label);
  }
  if (labels.size > 8) return null;
  const nul = text.indexOf('\0');
  if (nul >= 0 && nul < end) return null;
  const lower = (end === text.length ? text : text.slice(0, end)).toLowerCase();
  const starts = new Set<number>();
  for (const label of labels) {
    for (let at = lower.indexOf(label); at >= 0; at = lower.indexOf(label, at + 1)) {
      const after = at + label.length;
      const c = after < end ? lower.charCodeAt(after) : 0x0a;
      if (c !== 0x0a && c !== 0x23 && !isBlank(c)) continue; // not the end of a token
      starts.add(lower.lastIndexOf('\n', at) + 1);
      if (starts.size > MAX_CANDIDATES) return null;
    }
  }
  return [...starts].sort((x, y) => x - y);
}

/** Reads one line, text[start, lineEnd), and records which wanted names it maps (findEarlier). */
function scanLine(
  text: string,
  start: number,
  lineEnd: number,
  lineNo: number,
  keys: ReadonlySet<number>,
  wanted: ReadonlySet<string>,
  found: Map<string, EarlierMapping[]>,
): void {
  let i = start;
  while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
  if (i >= lineEnd || text.charCodeAt(i) === 0x23) return; // blank or comment line
  const addrStart = i;
  while (i < lineEnd) {
    const c = text.charCodeAt(i);
    if (c === 0x23 || isBlank(c)) break;
    i++;
  }
  const addrEnd = i;
  let address: string | null = null;
  while (i < lineEnd) {
    let c = text.charCodeAt(i);
    if (c === 0x23) break;
    if (isBlank(c)) {
      i++;
      continue;
    }
    const tokenStart = i;
    while (i < lineEnd) {
      c = text.charCodeAt(i);
      if (c === 0x23 || isBlank(c)) break;
      i++;
    }
    if (!keys.has(tokenKey(i - tokenStart, text.charCodeAt(tokenStart), text.charCodeAt(i - 1)))) continue;
    const name = text.slice(tokenStart, i).toLowerCase();
    if (!wanted.has(name)) continue;
    address ??= text.slice(addrStart, addrEnd);
    const key = canonicalIp(address);
    if (key === null) return; // not an address: the resolver skips the whole line
    const list = found.get(name);
    const m = { line: lineNo, address, key };
    if (list) list.push(m);
    else found.set(name, [m]);
  }
}

/** A cheap, case-folded fingerprint of a token: length and its first and last chars. */
function tokenKey(length: number, first: number, last: number): number {
  return length * 65536 + (first | 0x20) * 256 + (last | 0x20);
}
