// Where each host name and alias is declared: file, line and column of every entry, read from
// the same YAML documents the loader parses. The CLI's `list`, `remove` and `profile list` use it
// to name places; the merged meaning (conflicts, limits) stays with rules.ts.
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { checkAddress, checkRange, rangeSize, type AddressRange } from './addresses';
import { deref, findPair, keyText, nodePos, parseConfigDocument, type ConfigDocument } from './document';
import { formatIp } from '../net/ip';

export interface Place {
  file: string;
  line: number;
  col: number;
}

export interface HostDeclaration extends Place {
  /** Lower-case, as the rules compare names. */
  name: string;
  /** The key as the file spells it. */
  written: string;
  /** The addresses as written (strings only; other values are the loader's to report). */
  addresses: string[];
}

export interface AliasDeclaration extends Place {
  kind: 'address' | 'range';
  /** The entry as written: the address, or the `range:` text. */
  text: string;
  /** The addresses it stands for; null when the entry is not a valid address or range. */
  range: AddressRange | null;
  /** Number of addresses (0 when invalid). */
  size: number;
}

export interface FileDeclarations {
  file: string;
  /** False when the file is not a YAML mapping (then it declares nothing the CLI can name). */
  parsed: boolean;
  hosts: HostDeclaration[];
  aliases: AliasDeclaration[];
}

/** The declarations of one file's text. */
export function declarationsOf(file: string, text: string): FileDeclarations {
  const parsed = parseConfigDocument(file, text);
  if (!parsed.ok) return { file, parsed: false, hosts: [], aliases: [] };
  const cd = parsed.value;
  return { file, parsed: true, hosts: hostsOf(cd), aliases: aliasesOf(cd) };
}

function place(cd: ConfigDocument, node: Node | null | undefined): Place {
  const pos = nodePos(cd.lineCounter, node);
  return { file: cd.file, line: pos.line, col: pos.col };
}

function hostsOf(cd: ConfigDocument): HostDeclaration[] {
  const pair = findPair(cd.root, 'hosts');
  const map = pair ? deref(cd.doc, pair.value) : null;
  if (!isMap(map)) return [];
  return map.items.map((p) => {
    const value = deref(cd.doc, p.value);
    const items: unknown[] = isSeq(value) ? value.items : [value];
    const addresses = items.flatMap((i) => {
      const n = deref(cd.doc, i);
      return isScalar(n) && typeof n.value === 'string' ? [n.value] : [];
    });
    const written = keyText(p.key);
    return { ...place(cd, p.key as Node), name: written.toLowerCase(), written, addresses };
  });
}

function aliasesOf(cd: ConfigDocument): AliasDeclaration[] {
  const pair = findPair(cd.root, 'aliases');
  const seq = pair ? deref(cd.doc, pair.value) : null;
  if (!isSeq(seq)) return [];
  const out: AliasDeclaration[] = [];
  for (const raw of seq.items) {
    const item = deref(cd.doc, raw);
    if (isScalar(item) && typeof item.value === 'string') {
      const ip = checkAddress(item.value);
      const range = ip.ok ? { family: ip.value.family, first: ip.value.value, last: ip.value.value } : null;
      out.push({ ...place(cd, raw as Node), kind: 'address', text: item.value, range, size: range ? 1 : 0 });
      continue;
    }
    if (!isMap(item)) continue;
    const r = findPair(item, 'range');
    const node = r ? deref(cd.doc, r.value) : null;
    if (!isScalar(node) || typeof node.value !== 'string') continue;
    const parsed = checkRange(node.value);
    const range = parsed.ok ? parsed.value.range : null;
    out.push({ ...place(cd, raw as Node), kind: 'range', text: node.value, range, size: range ? Number(rangeSize(range)) : 0 });
  }
  return out;
}

/** An address or `FIRST-LAST` / CIDR argument as the range of addresses it stands for. */
export function parseAliasArgument(text: string): { kind: 'address' | 'range'; range: AddressRange; canonical: string } | { error: string } {
  if (text.includes('-') || text.includes('/')) {
    const r = checkRange(text);
    if (!r.ok) return { error: r.message };
    return { kind: 'range', range: r.value.range, canonical: text.trim() };
  }
  const ip = checkAddress(text);
  if (!ip.ok) return { error: `alias ${ip.message}` };
  return { kind: 'address', range: { family: ip.value.family, first: ip.value.value, last: ip.value.value }, canonical: formatIp(ip.value) };
}

export function sameRange(a: AddressRange, b: AddressRange): boolean {
  return a.family === b.family && a.first === b.first && a.last === b.last;
}

export function covers(outer: AddressRange, inner: AddressRange): boolean {
  return outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;
}

export function placeText(p: Place): string {
  return `${p.file}:${p.line}:${p.col}`;
}
