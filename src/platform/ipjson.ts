// Parser for `ip -j addr show` (iproute2 JSON). The Linux adapter observes through
// os.networkInterfaces(); this is for diagnostics and for tests that check the real interface.
import { canonicalIp } from '../net/ip';
import type { IfconfigInterface, IfconfigAddress } from './ifconfig';

export type IpJsonInterface = IfconfigInterface & { label: Record<string, string> };

/** Throws SyntaxError on text that is not JSON; skips entries that are not interfaces. */
export function parseIpJson(text: string): IpJsonInterface[] {
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data)) return [];
  const out: IpJsonInterface[] = [];
  for (const item of data) {
    if (!item || typeof item !== 'object') continue;
    const o = item as Record<string, unknown>;
    if (typeof o.ifname !== 'string') continue;
    const flags = Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : [];
    const addresses: IfconfigAddress[] = [];
    const label: Record<string, string> = {};
    for (const a of Array.isArray(o.addr_info) ? o.addr_info : []) {
      if (!a || typeof a !== 'object') continue;
      const info = a as Record<string, unknown>;
      const family = info.family === 'inet' ? 4 : info.family === 'inet6' ? 6 : null;
      const c = typeof info.local === 'string' ? canonicalIp(info.local) : null;
      if (family === null || c === null) continue;
      const prefix = typeof info.prefixlen === 'number' && Number.isInteger(info.prefixlen) ? info.prefixlen : null;
      addresses.push({ family, address: c, prefixLength: prefix });
      if (typeof info.label === 'string') label[c] = info.label;
    }
    out.push({ name: o.ifname, flags, up: flags.includes('UP'), addresses, label });
  }
  return out;
}
