// What the config accepts as an address and as a `range:`, with messages that say how to write it
// instead. Pure functions on top of src/net/ip.ts; rules.ts adds positions.
import {
  LOOPBACK_ALIAS_RANGES,
  cidrContains,
  cidrSize,
  formatCidr,
  formatIp,
  parseCidr,
  parseIp,
  type Cidr,
  type Family,
  type ParsedIp,
} from '../net/ip';

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** An inclusive run of consecutive addresses of one family. */
export interface AddressRange {
  family: Family;
  first: bigint;
  last: bigint;
}

const MAPPED_PREFIX = 0xffffn; // ::ffff:0:0/96

function isMapped(ip: ParsedIp): boolean {
  return ip.family === 6 && ip.value >> 32n === MAPPED_PREFIX;
}

/** One plain address, strictly: no short forms, leading zeros, zone ids, CIDRs or IPv4-mapped IPv6. */
export function checkAddress(text: string): Checked<ParsedIp> {
  const ip = parseIp(text);
  if (ip) {
    if (isMapped(ip)) {
      const v4 = formatIp({ family: 4, value: ip.value & 0xffffffffn });
      return { ok: false, message: `\`${text}\` is an IPv4-mapped IPv6 address; write the IPv4 address ${v4} instead` };
    }
    return { ok: true, value: ip };
  }
  if (text.includes('/')) {
    return {
      ok: false,
      message: parseCidr(text)
        ? `\`${text}\` is a CIDR block, not an address; write \`range: ${text}\` for every address of the block, or the address alone`
        : `\`${text}\` is not an address (and not a valid CIDR block either)`,
    };
  }
  if (/^[^-]+-[^-]+$/.test(text) && text.split('-').every((p) => parseIp(p.trim()))) {
    return { ok: false, message: `\`${text}\` is a range, not an address; write \`range: ${text}\`` };
  }
  if (text.includes('%')) return { ok: false, message: `\`${text}\` has a zone id (%…); zone ids are not allowed` };
  if (/^[0-9.]+$/.test(text)) {
    return {
      ok: false,
      message: `\`${text}\` is not a valid IPv4 address: write four decimal numbers 0-255 without leading zeros (e.g. 127.0.0.2)`,
    };
  }
  return { ok: false, message: `\`${text}\` is not a valid IP address (e.g. 127.0.0.2 or fd00::2)` };
}

export interface ParsedRange {
  range: AddressRange;
  /** Set when a CIDR was written with host bits: the block it actually means. */
  normalizedCidr?: string;
}

/** `FIRST-LAST` (inclusive, same family, FIRST ≤ LAST) or `ADDR/PREFIX`. */
export function checkRange(text: string): Checked<ParsedRange> {
  const trimmed = text.trim();
  if (trimmed.includes('/')) {
    const cidr = parseCidr(trimmed);
    if (!cidr) {
      return {
        ok: false,
        message: `range \`${text}\` is not a valid CIDR block (e.g. 127.0.2.0/28 or fd00::/120; prefix 0-32 for IPv4, 0-128 for IPv6)`,
      };
    }
    const addr = checkAddress(trimmed.slice(0, trimmed.indexOf('/')));
    if (!addr.ok) return { ok: false, message: `range \`${text}\`: ${addr.message}` };
    const range = cidrRange(cidr);
    const normalized = formatCidr(cidr);
    const written = `${formatIp(addr.value)}/${cidr.prefix}`;
    return { ok: true, value: normalized === written ? { range } : { range, normalizedCidr: normalized } };
  }
  const parts = trimmed.split('-');
  if (parts.length !== 2) {
    return {
      ok: false,
      message: `range \`${text}\` must be FIRST-LAST (e.g. 127.0.1.10-127.0.1.20) or a CIDR block (e.g. 127.0.2.0/28)`,
    };
  }
  const first = checkAddress(parts[0]!.trim());
  if (!first.ok) return { ok: false, message: `range \`${text}\`: ${first.message}` };
  const last = checkAddress(parts[1]!.trim());
  if (!last.ok) return { ok: false, message: `range \`${text}\`: ${last.message}` };
  if (first.value.family !== last.value.family) {
    return { ok: false, message: `range \`${text}\` mixes IPv4 and IPv6; both ends must be of one family` };
  }
  if (first.value.value > last.value.value) {
    return { ok: false, message: `range \`${text}\` ends before it starts; write the lower address first` };
  }
  return { ok: true, value: { range: { family: first.value.family, first: first.value.value, last: last.value.value } } };
}

export function cidrRange(cidr: Cidr): AddressRange {
  return { family: cidr.family, first: cidr.base, last: cidr.base + cidrSize(cidr) - 1n };
}

export function rangeSize(r: AddressRange): bigint {
  return r.last - r.first + 1n;
}

/** Canonical text of every address of `r`, in order. The caller bounds the size first. */
export function expandRange(r: AddressRange): string[] {
  const out: string[] = [];
  if (r.family === 4) {
    // Plain numbers are exact below 2^32 and several times faster than bigint formatting.
    const last = Number(r.last);
    for (let v = Number(r.first); v <= last; v++) {
      out.push(`${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`);
    }
    return out;
  }
  for (let v = r.first; v <= r.last; v++) out.push(formatIp({ family: 6, value: v }));
  return out;
}

/** The ranges aliases may lie in: the built-in loopback ranges plus `extra` (valid CIDRs only). */
export function allowedAliasCidrs(extra: readonly string[]): Cidr[] {
  const out: Cidr[] = [];
  for (const text of [...LOOPBACK_ALIAS_RANGES, ...extra]) {
    const c = parseCidr(text);
    if (c) out.push(c);
  }
  return out;
}

export function isInside(ip: ParsedIp, cidrs: readonly Cidr[]): boolean {
  return cidrs.some((c) => cidrContains(c, ip));
}

/** The first address of `r` outside every allowed block, or null when all of `r` is allowed. */
export function firstDisallowed(r: AddressRange, cidrs: readonly Cidr[]): ParsedIp | null {
  let v = r.first;
  while (v <= r.last) {
    const ip = { family: r.family, value: v };
    const block = cidrs.find((c) => cidrContains(c, ip));
    if (!block) return ip;
    // Skip to the end of the block that contains v: a range is checked block by block, not per address.
    v = cidrRange(block).last + 1n;
  }
  return null;
}

/** "127.0.0.0/8, fc00::/7" plus the extra ranges, for messages. */
export function describeAllowed(extra: readonly string[]): string {
  return [...LOOPBACK_ALIAS_RANGES, ...extra].join(', ');
}
