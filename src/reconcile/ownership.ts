// Who owns each address on the interface — pure. Three records speak, strongest first:
// 1. the kernel's mark on the address (src/platform/linux.ts: label IFACE:lk on IPv4, metric on
//    IPv6): marked means loopkeeper added it, whatever the ledger says or lost;
// 2. the ledger's `owned` list (for platforms and addresses without a mark, and aliases an older
//    loopkeeper added);
// 3. the ledger's `pending` batch, written before the batch ran: an add it names that is there now
//    is loopkeeper's if it could not carry a mark (it was absent when planned) or if this process
//    saw the tool add it; one whose family's marks were looked at and that has none is someone
//    else's. A removal it names was taken out of `owned` before it ran, so an address there now
//    is loopkeeper's only if it carries the mark — never because of a record that may be stale.
// Anything still in doubt (a pending address whose mark was not looked at) is not owned, and is
// reported as doubtful so the caller can look closer.
import { isAlwaysPresent } from '../net/ip';
import { canVerify, familyOf, markKnown } from '../platform/common';
import type { InterfaceState } from '../platform/types';
import type { Ledger } from './ledger';

export interface OwnershipInput {
  observed: InterfaceState;
  ledger: Pick<Ledger, 'owned' | 'pending'>;
  /** Adds this process just saw the tool make, with loopkeeper's mark. */
  confirmed?: ReadonlySet<string>;
  /** Adds that turned out to be someone else's (there before, or the tool said so for that line). */
  rejected?: ReadonlySet<string>;
}

export interface Ownership {
  /** Present addresses loopkeeper owns (for an interface that cannot be seen: the ledger's list). */
  owned: string[];
  /** Present addresses a pending batch named whose mark this look could not see. */
  doubtful: string[];
}

export function judgeOwnership(input: OwnershipInput): Ownership {
  const { observed, ledger } = input;
  if (!canVerify(observed)) return { owned: [...ledger.owned], doubtful: [] };
  const marked = new Set(observed.marked ?? []);
  const recorded = new Set(ledger.owned);
  const pending = ledger.pending;
  const pendingAdd = new Set(pending?.add ?? []);
  const pendingRemove = new Set(pending?.remove ?? []);
  const owned: string[] = [];
  const doubtful: string[] = [];
  for (const a of observed.addresses) {
    if (isAlwaysPresent(a)) continue;
    const known = markKnown(observed, a);
    if (known && marked.has(a)) {
      owned.push(a);
      continue;
    }
    if (input.rejected?.has(a)) continue;
    if (recorded.has(a)) {
      owned.push(a);
      continue;
    }
    if (pendingAdd.has(a)) {
      if (pending!.unmarked || input.confirmed?.has(a)) owned.push(a);
      else if (!known) doubtful.push(a);
      continue;
    }
    if (pendingRemove.has(a) && !known && !pending!.unmarked) doubtful.push(a);
  }
  return { owned, doubtful };
}

/**
 * Whether ownership can only be judged after a deeper look (AliasPort.inspect): a pending batch
 * names present addresses whose family's marks this look did not see, or `down` must find every
 * marked address even without a ledger (IPv6 marks are invisible to a spawn-free look).
 */
export function needsInspection(observed: InterfaceState, ledger: Pick<Ledger, 'pending'>, mode: 'reconcile' | 'down'): boolean {
  if (!canVerify(observed)) return false;
  const unseen = (a: string): boolean => !isAlwaysPresent(a) && !markKnown(observed, a);
  const present = new Set(observed.addresses);
  const p = ledger.pending;
  if (p && !p.unmarked && [...p.add, ...p.remove].some((a) => present.has(a) && unseen(a))) return true;
  if (mode === 'down') return observed.addresses.some(unseen);
  return false;
}

/** The families of `addresses` (for messages and tests). */
export function familiesOf(addresses: readonly string[]): (4 | 6)[] {
  const f = new Set(addresses.map(familyOf));
  return [...f].sort();
}
