// Pieces both adapters share: reading the OS interface list (spawn-free) and judging a change
// against what the interface looks like afterwards.
import type { NetworkInterfaceInfo } from 'node:os';
import { canonicalIp } from '../net/ip';
import type { AliasChangeResult, InterfaceState } from './types';

// Dotted quad already in canonical form (no leading zeros, each part <= 255): the common case for
// every address the kernel and the ledger hand us, checked without BigInt arithmetic.
const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** canonicalIp (src/net/ip.ts) with a fast path for canonical IPv4; same answers. */
export function canonicalAddress(text: string): string | null {
  return typeof text === 'string' && CANONICAL_V4.test(text) ? text : canonicalIp(text);
}

export type NetworkInterfacesFn = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * A change result that may also say the address was already there (someone else added it between
 * our look and our change): the add counts as done, but loopkeeper must not claim ownership of it.
 */
export interface AliasChangeOutcome extends AliasChangeResult {
  existed?: boolean;
}

export function existedBefore(r: AliasChangeResult): boolean {
  return (r as AliasChangeOutcome).existed === true;
}

/**
 * Canonical addresses of `name` from `os.networkInterfaces()`, merging labelled keys (`lo:app`);
 * null when the list does not show the interface at all. libuv lists only interfaces that are UP
 * and RUNNING, so being listed also proves the interface is up.
 */
export function addressesFromOs(all: NodeJS.Dict<NetworkInterfaceInfo[]>, name: string): string[] | null {
  let found = false;
  const out: string[] = [];
  const seen = new Set<string>();
  const labelPrefix = `${name}:`;
  for (const key of Object.keys(all)) {
    if (key !== name && !key.startsWith(labelPrefix)) continue;
    found = true;
    for (const info of all[key] ?? []) {
      const raw = String(info.address);
      const zone = raw.indexOf('%');
      const c = canonicalAddress(zone >= 0 ? raw.slice(0, zone) : raw);
      if (c !== null && !seen.has(c)) {
        seen.add(c);
        out.push(c);
      }
    }
  }
  return found ? out : null;
}

/** True when `after` shows the interface's addresses (a down or missing one shows none). */
export function canVerify(after: InterfaceState): boolean {
  return after.exists && after.up === true;
}

/**
 * Final verdict for one requested change: what the interface shows afterwards wins over what the
 * tool said, when the interface can be seen; otherwise the tool's own answer is all there is.
 */
export function judge(
  address: string,
  action: 'add' | 'remove',
  after: InterfaceState,
  present: ReadonlySet<string>,
  toolError: string | null,
  toolSaysAlready: boolean,
): AliasChangeOutcome {
  if (canVerify(after)) {
    const isThere = present.has(address);
    const ok = action === 'add' ? isThere : !isThere;
    if (ok) {
      return action === 'add' && toolError !== null ? { address, action, ok, existed: true } : { address, action, ok };
    }
    const fallback =
      action === 'add'
        ? `the address is not on ${after.name} after the change`
        : `the address is still on ${after.name} after the change`;
    return { address, action, ok, error: toolError ?? fallback };
  }
  if (toolError === null) return { address, action, ok: true };
  if (toolSaysAlready) return action === 'add' ? { address, action, ok: true, existed: true } : { address, action, ok: true };
  return { address, action, ok: false, error: toolError };
}
