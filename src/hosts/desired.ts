// The desired hosts as the planner uses them: checked so that nothing rendered can break the file.
import type { DesiredHost } from '../model';
import { canonicalIp } from '../net/ip';

// A name goes into the file verbatim: whitespace, '#' or a line break would corrupt the line
// structure of someone else's file. The config layer enforces RFC 1123; this is the last guard.
const SAFE_NAME = /^[a-z0-9_](?:[a-z0-9_.-]{0,252})$/;

/**
 * Lower-cases names, canonicalises addresses, drops repeated names (first wins) and repeated
 * addresses. Throws on a name or address that cannot be written safely.
 */
export function normalizeDesired(desired: readonly DesiredHost[]): DesiredHost[] {
  const seen = new Set<string>();
  const out: DesiredHost[] = [];
  for (const h of desired) {
    const name = h.name.toLowerCase();
    if (!SAFE_NAME.test(name)) throw new Error(`refusing to write host name ${JSON.stringify(h.name)}: not a plain host name`);
    if (seen.has(name)) continue;
    seen.add(name);
    const addresses: string[] = [];
    for (const a of h.addresses) {
      const c = canonicalIp(a);
      if (c === null) throw new Error(`refusing to write address ${JSON.stringify(a)} for ${name}: not an IP address`);
      if (!addresses.includes(c)) addresses.push(c);
    }
    if (addresses.length > 0) out.push({ name, addresses });
  }
  return out;
}
