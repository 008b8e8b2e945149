// Strict IP address and CIDR arithmetic shared by the config rules and, as defence in depth, by
// the platform adapters. Addresses are parsed strictly: no leading zeros ("0127.0.0.2"), no short
// forms ("127.1"), no zone ids ("fe80::1%lo0"); IPv6 is rendered in RFC 5952 canonical form so
// that the same address always compares equal as a string.
export type Family = 4 | 6;

export interface ParsedIp {
  family: Family;
  value: bigint;
}

export interface Cidr {
  family: Family;
  /** Network address (host bits cleared). */
  base: bigint;
  prefix: number;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

export function bitsOf(family: Family): number {
  return BITS[family];
}

/** Parses one address strictly; returns null for anything that is not a plain address. */
export function parseIp(text: string): ParsedIp | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 45) return null;
  const v4 = ipv4Value(text);
  if (v4 !== null) return { family: 4, value: BigInt(v4) };
  const v6 = ipv6Value(text);
  return v6 === null ? null : { family: 6, value: v6 };
}

// The parsers below are written out rather than built on node:net's isIPv4/isIPv6: those are
// regular expressions, and the IPv6 one takes 5-10 ms to compile on its first use, in every
// command that reads an address; they also work in Numbers and make one BigInt per address (a
// config of thousands of addresses is parsed in every process). test/unit/ip.test.ts checks them
// against node:net on generated addresses, near-addresses and noise.

/**
 * The value of dotted-quad IPv4 text, as node:net's isIPv4 accepts it: four decimal parts of
 * 0-255 without leading zeros (so no octal ambiguity with some C libraries), nothing else.
 */
export function ipv4Value(text: string): number | null {
  if (text.length < 7 || text.length > 15) return null;
  let value = 0;
  let parts = 0;
  let part = -1; // -1: no digit yet in this part
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (part < 0 || ++parts > 4) return null;
      value = value * 256 + part;
      part = -1;
    } else if (c >= 0x30 && c <= 0x39) {
      if (part === 0) return null; // a leading zero
      part = part < 0 ? c - 0x30 : part * 10 + (c - 0x30);
      if (part > 255) return null;
    } else return null;
  }
  return parts === 4 ? value : null;
}

/**
 * Whether `text` is an IPv6 address without a zone: groups of 1-4 hex digits split by `:`, at most
 * one `::` (standing for one or more zero groups), optionally a dotted IPv4 address as the last
 * 32 bits (RFC 4291 2.2). The same answer as node:net's isIPv6 for text without a `%zone`.
 */
export function isIpv6Text(text: string): boolean {
  return ipv6Value(text) !== null;
}

/** The 128-bit value of IPv6 text (see isIpv6Text), or null. */
function ipv6Value(text: string): bigint | null {
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  // Each half as 4-digit hex groups; an IPv4 tail becomes two of them.
  const hex: string[][] = [];
  for (let h = 0; h < halves.length; h++) {
    const groups: string[] = [];
    hex.push(groups);
    if (halves[h] === '') continue; // `::` at the start or end, or the whole address
    const parts = halves[h]!.split(':');
    for (let i = 0; i < parts.length; i++) {
      const g = parts[i]!;
      if (g.includes('.')) {
        // A dotted IPv4 part only as the very last group.
        const v4 = h === halves.length - 1 && i === parts.length - 1 ? ipv4Value(g) : null;
        if (v4 === null) return null;
        groups.push(Math.floor(v4 / 65536).toString(16).padStart(4, '0'), (v4 % 65536).toString(16).padStart(4, '0'));
      } else if (g.length === 0 || g.length > 4 || !/^[0-9A-Fa-f]+$/.test(g)) return null;
      else groups.push(g.padStart(4, '0'));
    }
  }
  const given = hex[0]!.length + (hex[1]?.length ?? 0);
  if (halves.length === 2 ? given > 7 : given !== 8) return null;
  const zeros = halves.length === 2 ? '0000'.repeat(8 - given) : '';
  return BigInt(`0x${hex[0]!.join('')}${zeros}${hex[1]?.join('') ?? ''}`);
}

/** Renders an address; IPv6 in RFC 5952 form (lowercase, longest zero run compressed). */
export function formatIp(ip: ParsedIp): string {
  if (ip.family === 4) {
    const v = Number(ip.value);
    return `${Math.floor(v / 16777216) % 256}.${Math.floor(v / 65536) % 256}.${Math.floor(v / 256) % 256}.${v % 256}`;
  }
  // One BigInt → hex conversion, then plain Numbers (BigInt shifts allocate).
  const digits = ip.value.toString(16).padStart(32, '0');
  const groups: number[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(parseInt(digits.slice(i, i + 4), 16));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

/** Canonical text of an address, or null when it is not a strict address. */
export function canonicalIp(text: string): string | null {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : null;
}

/** Parses "ADDR/PREFIX" strictly. The address may carry host bits; they are cleared. */
export function parseCidr(text: string): Cidr | null {
  if (typeof text !== 'string') return null;
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > BITS[ip.family]) return null;
  return { family: ip.family, base: ip.value & maskOf(ip.family, prefix), prefix };
}

/** Masks by family and prefix, each computed once: every alias is checked against the ranges. */
const masks = new Map<number, bigint>();

export function maskOf(family: Family, prefix: number): bigint {
  const key = family * 256 + prefix;
  const known = masks.get(key);
  if (known !== undefined) return known;
  const bits = BigInt(BITS[family]);
  const all = (1n << bits) - 1n;
  const mask = prefix === 0 ? 0n : (all >> (bits - BigInt(prefix))) << (bits - BigInt(prefix));
  if (Number.isInteger(prefix) && prefix >= 0 && prefix <= BITS[family]) masks.set(key, mask);
  return mask;
}

export function cidrContains(cidr: Cidr, ip: ParsedIp): boolean {
  return cidr.family === ip.family && (ip.value & maskOf(ip.family, cidr.prefix)) === cidr.base;
}

export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(BITS[cidr.family] - cidr.prefix);
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ family: cidr.family, value: cidr.base })}/${cidr.prefix}`;
}

/** Ranges every alias may lie in without `settings.allowAliasRanges`. */
export const LOOPBACK_ALIAS_RANGES = ['127.0.0.0/8', 'fc00::/7'] as const;

/** Addresses that always exist on the loopback interface and are never managed. */
export const ALWAYS_PRESENT = ['127.0.0.1', '::1'] as const;

export function isAlwaysPresent(canonical: string): boolean {
  return canonical === '127.0.0.1' || canonical === '::1';
}

/** True when the address lies in 127.0.0.0/8 or ::1 (what "loopback" means to the resolver). */
export function isLoopbackAddress(ip: ParsedIp): boolean {
  if (ip.family === 4) return ip.value >> 24n === 127n;
  return ip.value === 1n;
}

/**
 * True when `address` may be managed as an alias: inside the built-in loopback ranges or inside one
 * of `extraRanges` (CIDR strings; invalid ones are ignored here, the config rules report them).
 */
export function isAllowedAlias(address: string, extraRanges: readonly string[] = []): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  for (const r of [...LOOPBACK_ALIAS_RANGES, ...extraRanges]) {
    const cidr = parseCidr(r);
    if (cidr && cidrContains(cidr, ip)) return true;
  }
  return false;
}

/** Orders addresses IPv4 first, then numerically. */
export function compareIps(a: string, b: string): number {
  const pa = parseIp(a);
  const pb = parseIp(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (pa.family !== pb.family) return pa.family - pb.family;
  return pa.value < pb.value ? -1 : pa.value > pb.value ? 1 : 0;
}
