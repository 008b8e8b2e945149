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
 * Speed matters (a no-op reconcile reads the whole file): each token is filtered by length and
 * first/last char before any string is made, so a blocklist costs one pass over its chars.
 */
export function findEarlier(text: string, end: number, names: readonly string[]): Map<string, EarlierMapping[]> {
  const found = new Map<string, EarlierMapping[]>();
  if (names.length === 0 || end === 0) return found;
  const wanted = new Set(names);
  const keys = new Set<number>();
  for (const n of names) keys.add(tokenKey(n.length, n.charCodeAt(0), n.charCodeAt(n.length - 1)));

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
    let i = pos;
    pos = terminator + 1;
    while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
    if (i >= lineEnd || text.charCodeAt(i) === 0x23) continue; // blank or comment line
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
      const start = i;
      while (i < lineEnd) {
        c = text.charCodeAt(i);
        if (c === 0x23 || isBlank(c)) break;
        i++;
      }
      if (!keys.has(tokenKey(i - start, text.charCodeAt(start), text.charCodeAt(i - 1)))) continue;
      const name = text.slice(start, i).toLowerCase();
      if (!wanted.has(name)) continue;
      address ??= text.slice(addrStart, addrEnd);
      const key = canonicalIp(address);
      if (key === null) break; // not an address: the resolver skips the whole line
      const list = found.get(name);
      const m = { line: lineNo, address, key };
      if (list) list.push(m);
      else found.set(name, [m]);
    }
  }
  return found;
}

/** A cheap, case-folded fingerprint of a token: length and its first and last chars. */
function tokenKey(length: number, first: number, last: number): number {
  return length * 65536 + (first | 0x20) * 256 + (last | 0x20);
}
