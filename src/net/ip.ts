// Strict IP address and CIDR arithmetic shared by the config rules and, as defence in depth, by
// the platform adapters. Addresses are parsed strictly: no leading zeros ("0127.0.0.2"), no short
// forms ("127.1"), no zone ids ("fe80::1%lo0"); IPv6 is rendered in RFC 5952 canonical form so
// that the same address always compares equal as a string.
import { isIPv4, isIPv6 } from 'node:net';

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
  if (isIPv4(text)) {
    let value = 0n;
    for (const part of text.split('.')) {
      if (part.length > 1 && part.startsWith('0')) return null; // ambiguous (octal in some libcs)
      value = (value << 8n) | BigInt(Number(part));
    }
    return { family: 4, value };
  }
  if (text.includes('%') || !isIPv6(text)) return null;
  return { family: 6, value: parseIpv6(text) };
}

function parseIpv6(text: string): bigint {
  let head = text;
  let tailV4: bigint | null = null;
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const v4 = maybeV4.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
    tailV4 = v4;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const leftGroups = left ? left.split(':') : [];
  const rightGroups = right !== undefined && right !== '' ? right.split(':') : [];
  const missing = right === undefined ? 0 : 8 - leftGroups.length - rightGroups.length;
  const groups = [...leftGroups, ...Array<string>(missing).fill('0'), ...rightGroups];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** Renders an address; IPv6 in RFC 5952 form (lowercase, longest zero run compressed). */
export function formatIp(ip: ParsedIp): string {
  if (ip.family === 4) {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
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

export function maskOf(family: Family, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  const all = (1n << bits) - 1n;
  return prefix === 0 ? 0n : (all >> (bits - BigInt(prefix))) << (bits - BigInt(prefix));
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
