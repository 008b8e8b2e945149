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

/**
 * Canonical IPv4 addresses listed under exactly `label` (e.g. `lo:lk`): os.networkInterfaces()
 * lists a labelled IPv4 address under its label, which is how loopkeeper's kernel mark is read
 * without spawning anything. IPv6 addresses have no labels (the kernel ignores them).
 */
export function labelledFromOs(all: NodeJS.Dict<NetworkInterfaceInfo[]>, label: string): string[] {
  const out: string[] = [];
  for (const info of all[label] ?? []) {
    if (info.family !== 'IPv4' && (info.family as unknown) !== 4) continue;
    const c = canonicalAddress(String(info.address));
    if (c !== null) out.push(c);
  }
  return out;
}

/** 4 or 6 for a canonical address (IPv6 is exactly the ones with a colon). */
export function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** Whether `state` can tell if `address` carries loopkeeper's mark (its family was looked at). */
export function markKnown(state: InterfaceState, address: string): boolean {
  return state.markedFamilies?.includes(familyOf(address)) === true;
}

/** True when `after` shows the interface's addresses (a down or missing one shows none). */
export function canVerify(after: InterfaceState): boolean {
  return after.exists && after.up === true;
}

export interface JudgeContext {
  /** The error was the whole batch's (the tool was killed, timed out, could not run), not this line's. */
  wholeBatch?: boolean;
  /** The address was on the interface before the change (from the look the plan was made on). */
  presentBefore?: boolean;
  /** The tool puts loopkeeper's mark on what it adds (Linux): a line it reports done is `added`. */
  markedAdds?: boolean;
}

/**
 * Final verdict for one requested change: what the interface shows afterwards wins over what the
 * tool said, when the interface can be seen; otherwise the tool's own answer is all there is.
 * For an add that is there afterwards it also says whose it is, as far as this change can tell:
 * `existed` (it was there before, or the tool said so for this very line: someone else's),
 * `added` (the tool reported this line as done, with the mark), or neither (the whole batch failed, e.g. ip was
 * killed: comparing before and after — and loopkeeper's marks — decides, not this function).
 */
export function judge(
  address: string,
  action: 'add' | 'remove',
  after: InterfaceState,
  present: ReadonlySet<string>,
  toolError: string | null,
  toolSaysAlready: boolean,
  ctx: JudgeContext = {},
): AliasChangeOutcome {
  if (canVerify(after)) {
    const isThere = present.has(address);
    const ok = action === 'add' ? isThere : !isThere;
    if (ok) {
      if (action === 'remove') return { address, action, ok };
      if (ctx.presentBefore === true) return { address, action, ok, existed: true };
      if (toolError === null) return ctx.markedAdds ? { address, action, ok, added: true } : { address, action, ok };
      return ctx.wholeBatch ? { address, action, ok } : { address, action, ok, existed: true };
    }
    const fallback =
      action === 'add'
        ? `the address is not on ${after.name} after the change`
        : `the address is still on ${after.name} after the change`;
    return { address, action, ok, error: toolError ?? fallback };
  }
  if (toolError === null) {
    return action === 'add' && ctx.markedAdds ? { address, action, ok: true, added: true } : { address, action, ok: true };
  }
  if (toolSaysAlready) return action === 'add' ? { address, action, ok: true, existed: true } : { address, action, ok: true };
  return { address, action, ok: false, error: toolError };
}
