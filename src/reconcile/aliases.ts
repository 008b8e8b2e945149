// Aliases: observe → plan (pure) → apply → record ownership. loopkeeper adds what is desired and
// missing, and removes only what its ledger says it added; an alias someone else put there (even one
// that is also desired) is never recorded as owned and never removed.
import type { AliasEntry, Change } from '../model';
import { isAlwaysPresent } from '../net/ip';
import { canonicalAddress, canVerify, existedBefore } from '../platform/common';
import type { AliasChangeResult, InterfaceState, Platform } from '../platform/types';
import { ledgerPath, MAX_LEDGER_BYTES, readLedger, sameLedger, writeLedger, type Ledger } from './ledger';
import { readRegularFile, writeFileAtomic } from '../fs/atomic';
import { realFs, type FileSystem } from '../fs/seam';

export interface AliasPlan {
  add: string[];
  remove: string[];
  entries: AliasEntry[];
  changes: Change[];
  problems: string[];
}

export interface PlanOptions {
  prune: boolean;
  mode: 'reconcile' | 'down';
  /** Chooses the command named in the "interface is down" advice (default linux). */
  platform?: 'linux' | 'darwin';
}

/** The interface cannot be changed or seen reliably: nothing may be planned against it. */
export function interfaceProblem(observed: InterfaceState, platform: 'linux' | 'darwin' = 'linux'): string | null {
  const n = observed.name;
  if (!observed.exists) {
    return (
      `interface ${n} does not exist; loopkeeper never creates interfaces — ` +
      'check --interface / LOOPKEEPER_INTERFACE'
    );
  }
  if (observed.up === false) {
    const fix = platform === 'darwin' ? `sudo ifconfig ${n} up` : `ip link set ${n} up`;
    return `interface ${n} is down; loopkeeper never changes the interface state — bring it up with \`${fix}\``;
  }
  return null;
}

/** Pure: what to add and remove so that `observed` matches `desired`, touching only owned aliases. */
export function planAliases(observed: InterfaceState, desired: string[], ledger: Ledger, opts: PlanOptions): AliasPlan {
  const problems: string[] = [];
  const wanted: string[] = [];
  const wantedSet = new Set<string>();
  if (opts.mode === 'reconcile') {
    for (const d of desired) {
      const c = canonicalAddress(d);
      if (c === null) {
        problems.push(`ignoring alias ${JSON.stringify(d)}: not a plain IP address`);
        continue;
      }
      if (isAlwaysPresent(c) || wantedSet.has(c)) continue;
      wantedSet.add(c);
      wanted.push(c);
    }
  }
  const owned = new Set(ledger.owned);
  const present = new Set(observed.addresses);
  const blocked = interfaceProblem(observed, opts.platform);
  if (blocked) problems.unshift(blocked);

  const entries: AliasEntry[] = wanted.map((address) => ({
    address,
    state: !blocked && present.has(address) ? 'present' : 'missing',
    owned: owned.has(address),
    desired: true,
  }));
  const add = blocked ? [] : wanted.filter((a) => !present.has(a));
  const remove: string[] = [];
  if (!blocked) {
    for (const a of ledger.owned) {
      if (wantedSet.has(a) || !present.has(a)) continue;
      entries.push({ address: a, state: 'present', owned: true, desired: false });
      if (opts.mode === 'down' || opts.prune) remove.push(a);
    }
  }
  const changes: Change[] = [
    ...add.map((address): Change => ({ kind: 'alias', action: 'add', address })),
    ...remove.map((address): Change => ({ kind: 'alias', action: 'remove', address })),
  ];
  return { add, remove, entries, changes, problems };
}

export interface AliasApplyOutcome {
  plan: AliasPlan;
  entries: AliasEntry[];
  applied: Change[];
  failed: { address: string; action: 'add' | 'remove'; error: string }[];
  ledger: Ledger;
  ledgerProblem: string | null;
  /**
   * Ownership could not be kept safely: the state dir was refused (nothing was changed), or the
   * ledger could not be written after a change. The reconcile cannot be `ok` then.
   */
  ledgerFailure: LedgerFailure | null;
}

export interface LedgerFailure {
  reason: 'StateDirRefused' | 'LedgerNotWritten';
  message: string;
}

export interface ReconcileAliasOptions {
  stateDir: string;
  prune: boolean;
  mode: 'reconcile' | 'down';
  dryRun: boolean;
  now?: () => Date;
  /** The file-system seam for the ledger (tests inject faults through it). */
  fs?: FileSystem;
}

/** Pure: the owned set after a change, from the results and what the interface shows now. */
export function nextOwned(owned: readonly string[], results: readonly AliasChangeResult[], after: InterfaceState): string[] {
  const next = new Set(owned);
  for (const r of results) {
    if (!r.ok) continue;
    if (r.action === 'add' && !existedBefore(r)) next.add(r.address);
    if (r.action === 'remove') next.delete(r.address);
  }
  // An owned alias someone removed by hand is no longer ours to remove: forget it. Only when the
  // interface can be seen (a down interface shows no addresses at all).
  if (canVerify(after)) {
    const present = new Set(after.addresses);
    for (const a of [...next]) if (!present.has(a)) next.delete(a);
  }
  return [...next];
}

export async function reconcileAliases(
  platform: Platform,
  desired: string[],
  opts: ReconcileAliasOptions,
): Promise<AliasApplyOutcome> {
  const iface = platform.aliases.interfaceName;
  // Independent reads: the ledger file and the interface.
  const [read, observed] = await Promise.all([readLedger(opts.stateDir, opts.fs), platform.aliases.observe()]);
  const problems: string[] = read.problem ? [read.problem] : [];
  let ledger = read.ledger;
  if (ledger.interface !== undefined && ledger.interface !== iface && ledger.owned.length > 0) {
    // Addresses recorded for another interface say nothing about this one: own nothing here.
    problems.push(
      `ownership ledger ${ledgerPath(opts.stateDir)} lists ${ledger.owned.length} alias(es) loopkeeper added on ` +
        `${ledger.interface}, but it now manages ${iface}; those are left alone (remove them by hand, ` +
        `or switch back with --interface ${ledger.interface})`,
    );
    ledger = { version: 1, interface: iface, owned: [] };
  }

  const plan = planAliases(observed, desired, ledger, { prune: opts.prune, mode: opts.mode, platform: platform.name });
  const untouched = (): AliasApplyOutcome => ({
    plan,
    entries: plan.entries,
    applied: [],
    failed: [],
    ledger: read.ledger,
    ledgerProblem: problems.length > 0 ? problems.join('; ') : null,
    ledgerFailure: read.refused ? { reason: 'StateDirRefused', message: read.problem ?? 'the state dir was refused' } : null,
  });
  // Plan only; or an interface that is down/missing, which loopkeeper reports and never changes;
  // or a state dir it cannot trust: what it added could be neither known nor recorded.
  if (opts.dryRun || interfaceProblem(observed) !== null || read.refused) return untouched();

  let results: AliasChangeResult[] = [];
  let after = observed;
  if (plan.add.length > 0 || plan.remove.length > 0) {
    const report = await platform.aliases.change({ add: plan.add, remove: plan.remove });
    results = report.results;
    after = report.after;
  }

  const owned = nextOwned(ledger.owned, results, after);
  const next: Ledger = { version: 1, interface: iface, owned };
  let recorded = read.ledger;
  const changed = !sameLedger(next, read.ledger);
  // Nothing to record and no usable file: do not create the state dir (or silence a corrupt file,
  // whose problem keeps being reported until someone looks) just to say "owns nothing".
  const worthWriting = owned.length > 0 || (read.exists && !read.corrupt);
  let ledgerFailure: LedgerFailure | null = null;
  if (changed && worthWriting) {
    try {
      if (read.corrupt && read.exists) await keepCorruptCopy(opts.stateDir, opts.fs);
      next.updatedAt = (opts.now ?? (() => new Date()))().toISOString();
      await writeLedger(opts.stateDir, next, opts.fs);
      recorded = next;
    } catch (e) {
      const message =
        `could not record owned aliases in ${ledgerPath(opts.stateDir)} (${(e as Error).message}); ` +
        'aliases added now will not be removed by loopkeeper later — make room in the state dir or fix it, then reconcile again';
      problems.push(message);
      ledgerFailure = { reason: 'LedgerNotWritten', message };
    }
  }

  const byKey = new Map(results.map((r) => [`${r.action} ${r.address}`, r]));
  const ownedNow = new Set(owned);
  const entries: AliasEntry[] = [];
  for (const e of plan.entries) {
    const added = byKey.get(`add ${e.address}`);
    const removed = byKey.get(`remove ${e.address}`);
    if (removed?.ok) continue; // gone, as intended
    const r = added ?? removed;
    if (!r) {
      entries.push({ ...e, owned: ownedNow.has(e.address) });
    } else if (r.ok) {
      entries.push({ address: e.address, state: 'present', owned: ownedNow.has(e.address), desired: e.desired });
    } else {
      entries.push({ address: e.address, state: 'failed', owned: ownedNow.has(e.address), desired: e.desired, error: r.error ?? 'failed' });
    }
  }
  const applied: Change[] = results.filter((r) => r.ok).map((r) => ({ kind: 'alias', action: r.action, address: r.address }));
  const failed = results
    .filter((r) => !r.ok)
    .map((r) => ({ address: r.address, action: r.action, error: r.error ?? 'failed' }));
  return {
    plan,
    entries,
    applied,
    failed,
    ledger: recorded,
    ledgerProblem: problems.length > 0 ? problems.join('; ') : null,
    ledgerFailure,
  };
}

/**
 * Before replacing a corrupt ledger, keep its bytes for whoever investigates. Read without
 * following a symlink or opening a FIFO, written by the atomic writer (a link planted at
 * state.json.corrupt is replaced, never written through): a link there must not make root copy a
 * secret out or overwrite a file of its choosing. A file that cannot be read is not copied; a copy
 * that cannot be written throws, so the ledger is not replaced and its bytes stay where they are.
 */
async function keepCorruptCopy(stateDir: string, fs: FileSystem = realFs): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(ledgerPath(stateDir), { maxBytes: MAX_LEDGER_BYTES, fs });
  } catch {
    return; // a symlink, a FIFO, a huge or vanished file: nothing of it is kept
  }
  writeFileAtomic(`${ledgerPath(stateDir)}.corrupt`, bytes, { mode: 0o600, keepOwner: false, fs });
}
