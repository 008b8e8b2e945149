// Defence in depth: whatever the config layer let through, the adapters themselves refuse to touch
// an address outside the loopback alias ranges (or the user's explicit allowAliasRanges), and never
// touch 127.0.0.1 / ::1, which the system owns.
import { cidrContains, formatIp, isAlwaysPresent, LOOPBACK_ALIAS_RANGES, parseCidr, parseIp, type Cidr } from '../net/ip';

export interface Guard {
  /** null when `address` may be added/removed; otherwise why not, in words a user can act on. */
  refusalOf(address: string): string | null;
  /** Splits a request into addresses that may be changed (canonical, de-duplicated) and refusals. */
  screen(addresses: readonly string[]): { allowed: string[]; refused: { address: string; error: string }[] };
  /** A whole change request: the work to do (adds first) and a failed result per refused address. */
  screenRequest(request: { add: readonly string[]; remove: readonly string[] }): {
    work: { action: 'add' | 'remove'; address: string }[];
    refused: { address: string; action: 'add' | 'remove'; ok: false; error: string }[];
  };
}

/** Ranges are parsed once here, not once per address (a request can hold 65,536 addresses). */
export function createGuard(allowAliasRanges: readonly string[]): Guard {
  const ranges: Cidr[] = [];
  for (const r of [...LOOPBACK_ALIAS_RANGES, ...allowAliasRanges]) {
    const c = parseCidr(r);
    if (c) ranges.push(c); // invalid extra ranges are the config rules' to report
  }
  const allowedText = [...LOOPBACK_ALIAS_RANGES, ...allowAliasRanges].join(', ');

  function check(address: string): { canonical: string } | { error: string } {
    const ip = parseIp(address);
    if (!ip) return { error: `refused: ${JSON.stringify(address)} is not a plain IP address` };
    const canonical = formatIp(ip);
    if (isAlwaysPresent(canonical)) return { error: `refused: ${canonical} belongs to the system and is never changed by loopkeeper` };
    if (!ranges.some((r) => cidrContains(r, ip))) {
      return {
        error: `refused: ${canonical} is outside the allowed alias ranges (${allowedText}); add it to settings.allowAliasRanges`,
      };
    }
    return { canonical };
  }

  return {
    refusalOf(address) {
      const r = check(address);
      return 'error' in r ? r.error : null;
    },
    screen(addresses) {
      const allowed: string[] = [];
      const seen = new Set<string>();
      const refused: { address: string; error: string }[] = [];
      for (const a of addresses) {
        const r = check(a);
        if ('error' in r) refused.push({ address: a, error: r.error });
        else if (!seen.has(r.canonical)) {
          seen.add(r.canonical);
          allowed.push(r.canonical);
        }
      }
      return { allowed, refused };
    },
    screenRequest(request) {
      const adds = this.screen(request.add);
      const removes = this.screen(request.remove);
      return {
        work: [
          ...adds.allowed.map((address) => ({ action: 'add' as const, address })),
          ...removes.allowed.map((address) => ({ action: 'remove' as const, address })),
        ],
        refused: [
          ...adds.refused.map((r) => ({ address: r.address, action: 'add' as const, ok: false as const, error: r.error })),
          ...removes.refused.map((r) => ({ address: r.address, action: 'remove' as const, ok: false as const, error: r.error })),
        ],
      };
    },
  };
}
