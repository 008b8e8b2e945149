// Parser for BSD/macOS `ifconfig` output (and the net-tools 2.x shape that copies it). Used by the
// macOS adapter only when os.networkInterfaces() cannot answer (an interface that is down or
// missing), and by doctor-style diagnostics. Lenient by design: lines it does not understand are
// skipped, addresses that are not strict IPs (redacted, garbage) are dropped, never guessed at.
import { canonicalIp, parseIp } from '../net/ip';

export interface IfconfigAddress {
  family: 4 | 6;
  /** Canonical address (src/net/ip.ts), without any %zone. */
  address: string;
  /** From netmask (hex or dotted), CIDR or prefixlen; null when the line gives none. */
  prefixLength: number | null;
  /** The %zone of a link-local IPv6 address, e.g. "lo0". */
  zone?: string;
}

export interface IfconfigInterface {
  name: string;
  flags: string[];
  up: boolean;
  addresses: IfconfigAddress[];
}

// "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384", "en0.1: flags=…", "stf0: flags=0<> …"
const HEADER = /^([^\s:]+):\s+flags=(?:0x)?[0-9a-fA-F]*<([^>]*)>/;

export function parseIfconfig(text: string): IfconfigInterface[] {
  const out: IfconfigInterface[] = [];
  let current: IfconfigInterface | null = null;
  for (const line of String(text).split(/\r?\n|\r/)) {
    if (line.trim() === '') continue;
    const indented = line[0] === ' ' || line[0] === '\t';
    if (!indented) {
      const m = HEADER.exec(line);
      if (m) {
        const flags = m[2]!.split(',').filter((f) => f !== '');
        current = { name: m[1]!, flags, up: flags.includes('UP'), addresses: [] };
        out.push(current);
      } else {
        current = null; // a block this parser does not know (e.g. old net-tools "lo  Link encap:")
      }
      continue;
    }
    if (!current) continue;
    const address = parseAddressLine(line.trim().split(/\s+/));
    if (address) current.addresses.push(address);
  }
  return out;
}

function parseAddressLine(tokens: string[]): IfconfigAddress | null {
  const kind = tokens[0];
  if (kind !== 'inet' && kind !== 'inet6') return null;
  let text = tokens[1] ?? '';
  let prefixLength: number | null = null;
  let zone: string | undefined;
  const slash = text.indexOf('/');
  if (slash >= 0) {
    prefixLength = prefixOf(text.slice(slash + 1), kind === 'inet' ? 32 : 128);
    if (prefixLength === null) return null;
    text = text.slice(0, slash);
  }
  if (kind === 'inet6') {
    const pct = text.indexOf('%');
    if (pct >= 0) {
      zone = text.slice(pct + 1);
      text = text.slice(0, pct);
    }
  }
  const ip = parseIp(text);
  if (!ip || ip.family !== (kind === 'inet' ? 4 : 6)) return null;
  for (let i = 2; i < tokens.length - 1; i++) {
    const key = tokens[i];
    const value = tokens[i + 1]!;
    if (kind === 'inet' && key === 'netmask') prefixLength = netmaskPrefix(value);
    if (kind === 'inet6' && key === 'prefixlen') prefixLength = prefixOf(value, 128);
  }
  const result: IfconfigAddress = { family: ip.family, address: canonicalIp(text)!, prefixLength };
  if (zone !== undefined && zone !== '') result.zone = zone;
  return result;
}

function prefixOf(text: string, max: number): number | null {
  if (!/^\d{1,3}$/.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

/** 0xffffff00 or 255.255.255.0 -> 24; a non-contiguous or malformed mask -> null. */
export function netmaskPrefix(mask: string): number | null {
  let value: number;
  if (/^0x[0-9a-fA-F]{1,8}$/.test(mask)) value = Number.parseInt(mask.slice(2), 16);
  else {
    const ip = parseIp(mask);
    if (!ip || ip.family !== 4) return null;
    value = Number(ip.value);
  }
  let prefix = 0;
  while (prefix < 32 && (value & (0x80000000 >>> prefix)) !== 0) prefix++;
  const expected = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return value >>> 0 === expected ? prefix : null;
}
