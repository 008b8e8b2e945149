// Aliases: observe → plan (pure) → apply → record ownership. loopkeeper adds what is desired and
// missing, and removes only what it added (its kernel mark or its ledger says so, ownership.ts);
// an alias someone else put there (even one that is also desired) is never owned, never removed.
// A reconcile with nothing to do takes no lock and spawns nothing. One with work takes the state
// lock (lock.ts), looks again, and for each batch writes its intent to the ledger before `ip`
// runs and the outcome after (ledger.ts), judged by comparing the interface before and after.
import type { AliasEntry, Change } from '../model';
import { isAlwaysPresent } from '../net/ip';
import { canonicalAddress, canVerify, existedBefore } from '../platform/common';
import type { AliasChangeResult, AliasPort, CommandRunner, InterfaceState, Platform } from '../platform/types';
import { createRunner } from '../platform/runner';
import { FALLBACK_PROFILE, profileFor, type OsName } from '../platform/profiles';
import { messageOf } from '../errors';
import { ledgerPath, MAX_LEDGER_BYTES, readLedger, sameLedger, sortedAddresses, writeLedger, type Ledger, type LedgerRead } from './ledger';
import { acquireStateLock, type LockHolder, type StateLock } from './lock';
import { judgeOwnership, needsInspection } from './ownership';
import { readRegularFile, writeFileAtomic } from '../fs/atomic';
import { realFs, type FileSystem } from '../fs/seam';
import type { InterfaceProblem } from './reasons';

export interface AliasPlan {
  add: string[];
  remove: string[];
  entries: AliasEntry[];
  changes: Change[];
  problems: string[];
  /** Why nothing could be planned against the interface (it is missing or down), or null. */
  blocked: InterfaceProblem | null;
}

export interface PlanOptions {
  prune: boolean;
  mode: 'reconcile' | 'down';
  /** Whose profile words the "interface is down" advice (default linux). */
  platform?: OsName;
}

/**
 * The interface cannot be changed or seen reliably: nothing may be planned against it. The reason
 * is decided here, from the look itself (exists / up), and travels with the words.
 */
export function interfaceProblem(observed: InterfaceState, platform: OsName = 'linux'): InterfaceProblem | null {
  const n = observed.name;
  if (!observed.exists) {
    return {
      reason: 'InterfaceMissing',
      message: `interface ${n} does not exist; loopkeeper never creates interfaces — check --interface / LOOPKEEPER_INTERFACE`,
    };
  }
  if (observed.up === false) {
    const fix = (profileFor(platform) ?? FALLBACK_PROFILE).interfaceUpCommand(n);
    return {
      reason: 'InterfaceDown',
      message: `interface ${n} is down; loopkeeper never changes the interface state — bring it up with \`${fix}\``,
    };
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
  if (blocked) problems.unshift(blocked.message);

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
  return { add, remove, entries, changes, problems, blocked };
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
   * ledger could not be written (its intent before a batch: nothing was changed; its outcome
   * after one: the kernel marks still record it on Linux). The reconcile cannot be `ok` then.
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
  /** Runs the state lock's helper (`flock`); the reconciler passes its own so spawns are counted. */
  runner?: CommandRunner;
  /** Takes the state lock (tests replace it); default acquireStateLock. */
  lock?: (stateDir: string) => Promise<StateLock>;
  /** Called once when another loopkeeper holds the state lock and this one waits for it. */
  onLockWait?: (holder: LockHolder | null) => void;
  /** Changes per `ip -batch` (each batch is journalled and recorded on its own). */
  batchSize?: number;
}

/**
 * Changes per batch. One batch per reconcile up to this size (SPEC: one process per reconcile);
 * beyond it (a /16 range is 65,536 adds, many minutes of kernel work) the work is split so that
 * every batch gets its own timeout and its progress is recorded before the next one starts.
 */
export const MAX_BATCH = 2048;

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

interface Look {
  read: LedgerRead;
  /** The ledger as it applies to this interface (one written for another interface owns nothing here). */
  ledger: Ledger;
  observed: InterfaceState;
  owned: string[];
  doubtful: string[];
  problems: string[];
  /** A deeper look (which spawns) was needed and not taken. */
  needsDeeperLook: boolean;
}

/**
 * Reads the ledger and looks at the interface. With `deep`, also the deeper look (which spawns)
 * when ownership needs it; without, `needsDeeperLook` says whether it would have.
 */
async function look(port: AliasPort, opts: ReconcileAliasOptions, deep: boolean): Promise<Look> {
  const iface = port.interfaceName;
  // Independent reads: the ledger file and the interface.
  const [read, first] = await Promise.all([readLedger(opts.stateDir, opts.fs), port.observe()]);
  const problems: string[] = read.problem ? [read.problem] : [];
  let ledger = read.ledger;
  if (ledger.interface !== undefined && ledger.interface !== iface && (ledger.owned.length > 0 || ledger.pending)) {
    // Addresses recorded for another interface say nothing about this one: own nothing here.
    problems.push(
      `ownership ledger ${ledgerPath(opts.stateDir)} lists ${ledger.owned.length} alias(es) loopkeeper added on ` +
        `${ledger.interface}, but it now manages ${iface}; those are left alone (remove them by hand, ` +
        `or switch back with --interface ${ledger.interface})`,
    );
    ledger = { version: 1, interface: iface, owned: [] };
  }
  let observed = first;
  const needsDeeperLook = port.inspect !== undefined && needsInspection(observed, ledger, opts.mode);
  if (deep && needsDeeperLook) {
    try {
      observed = await port.inspect!();
    } catch (e) {
      problems.push(`could not look at the marks of ${iface}'s addresses (${messageOf(e)}); addresses in doubt are left alone`);
    }
  }
  const { owned, doubtful } = judgeOwnership({ observed, ledger });
  return { read, ledger, observed, owned, doubtful, problems, needsDeeperLook: needsDeeperLook && !deep };
}

/** The ledger to keep when nothing else is known: the owned set, plus what is still in doubt. */
function settled(iface: string, owned: readonly string[], doubtful: readonly string[], unmarked: boolean): Ledger {
  const l: Ledger = { version: 1, interface: iface, owned: [...owned] };
  if (doubtful.length > 0) l.pending = { add: [...doubtful], remove: [], ...(unmarked ? { unmarked: true as const } : {}) };
  return l;
}

export async function reconcileAliases(
  platform: Platform,
  desired: string[],
  opts: ReconcileAliasOptions,
): Promise<AliasApplyOutcome> {
  const port = platform.aliases;
  const iface = port.interfaceName;
  const now = opts.now ?? (() => new Date());
  // What the plan treats as owned: what is there and loopkeeper's, in address order (changes are
  // listed and ranged in that order), plus what the ledger records that is gone — a desired alias
  // deleted by hand is still shown as loopkeeper's, to be put back (only present ones are removed).
  const planFor = (l: Look): AliasPlan => {
    const present = new Set(l.observed.addresses);
    const recordedGone = canVerify(l.observed) ? l.ledger.owned.filter((a) => !present.has(a)) : [];
    const owned = sortedAddresses([...l.owned, ...recordedGone]);
    return planAliases(l.observed, desired, { version: 1, owned }, { prune: opts.prune, mode: opts.mode, platform: platform.name });
  };

  // 1. Look, without the lock and without spawning anything (a plan may look deeper: it must be right).
  let current = await look(port, opts, opts.dryRun);
  let plan = planFor(current);
  const untouched = (l: Look, p: AliasPlan): AliasApplyOutcome => ({
    plan: p,
    entries: p.entries,
    applied: [],
    failed: [],
    ledger: l.read.ledger,
    ledgerProblem: l.problems.length > 0 ? l.problems.join('; ') : null,
    ledgerFailure: l.read.refused ? { reason: 'StateDirRefused', message: l.read.problem ?? 'the state dir was refused' } : null,
  });
  // Plan only; or an interface that is down/missing, which loopkeeper reports and never changes;
  // or a state dir it cannot trust: what it added could be neither known nor recorded.
  if (opts.dryRun || interfaceProblem(current.observed) !== null || current.read.refused) return untouched(current, plan);
  const unmarked = port.marks !== true;
  if (
    plan.changes.length === 0 &&
    !current.needsDeeperLook &&
    !worthWriting(current.read, settled(iface, current.owned, current.doubtful, unmarked))
  ) {
    return untouched(current, plan);
  }

  // 2. Something to change or to record: take the state lock, then look again — another
  //    loopkeeper may have changed the interface or the ledger meanwhile.
  let lock: StateLock;
  try {
    lock = await (opts.lock ?? ((dir) => acquireStateLock(dir, { runner: opts.runner ?? createRunner(), onWait: opts.onLockWait })))(opts.stateDir);
  } catch (e) {
    // Without the lock another loopkeeper could be writing the ledger: change nothing.
    const message =
      `could not record owned aliases in ${ledgerPath(opts.stateDir)}: ${messageOf(e)}; nothing was changed, so that ` +
      'whatever loopkeeper adds stays recorded — fix the state dir, then reconcile again';
    const error = 'not changed: the state lock could not be taken';
    const results = plan.changes.flatMap((c): AliasChangeResult[] =>
      c.kind === 'alias' ? [{ address: c.address, action: c.action === 'remove' ? 'remove' : 'add', ok: false, error }] : [],
    );
    return outcome(plan, results, current.owned, current.read.ledger, [...current.problems, message], { reason: 'LedgerNotWritten', message });
  }
  try {
    current = await look(port, opts, true);
    plan = planFor(current);
    if (interfaceProblem(current.observed) !== null || current.read.refused) return untouched(current, plan);
    return await applyPlan(port, plan, current, opts, now);
  } finally {
    await lock.release();
  }
}

/**
 * Whether `next` is worth writing over what was read. Nothing to record and no usable file: do not
 * create the state dir (or silence a corrupt file, whose problem keeps being reported until
 * someone looks) just to say "owns nothing".
 */
function worthWriting(read: LedgerRead, next: Ledger): boolean {
  return !sameLedger(next, read.ledger) && (next.owned.length > 0 || next.pending !== undefined || (read.exists && !read.corrupt));
}

async function applyPlan(port: AliasPort, plan: AliasPlan, start: Look, opts: ReconcileAliasOptions, now: () => Date): Promise<AliasApplyOutcome> {
  const iface = port.interfaceName;
  const problems = [...start.problems];
  const unmarked = port.marks !== true;
  let recorded = start.read.ledger;
  let keepCorrupt = start.read.corrupt && start.read.exists;
  const write = async (next: Ledger): Promise<void> => {
    if (keepCorrupt) {
      await keepCorruptCopy(opts.stateDir, opts.fs);
      keepCorrupt = false;
    }
    next.updatedAt = now().toISOString();
    await writeLedger(opts.stateDir, next, opts.fs);
    recorded = next;
  };

  let owned = start.owned;
  let doubtful = start.doubtful;
  let state = start.observed;
  const results: AliasChangeResult[] = [];
  const work: { action: 'add' | 'remove'; address: string }[] = [
    ...plan.add.map((address) => ({ action: 'add' as const, address })),
    ...plan.remove.map((address) => ({ action: 'remove' as const, address })),
  ];
  const size = Math.max(1, opts.batchSize ?? MAX_BATCH);
  let stopped: string | null = null;
  let ledgerFailure: LedgerFailure | null = null;
  for (let i = 0; i < work.length; i += size) {
    const batch = work.slice(i, i + size);
    if (stopped !== null) {
      for (const w of batch) results.push({ ...w, ok: false, error: stopped });
      continue;
    }
    const add = batch.filter((w) => w.action === 'add').map((w) => w.address);
    const remove = batch.filter((w) => w.action === 'remove').map((w) => w.address);
    const removing = new Set(remove);
    // The intent first: what this batch adds, and its removals already out of `owned`. Without
    // it nothing is changed — a crash in the batch must never leave ownership unknown or stale.
    const intentOwned = owned.filter((a) => !removing.has(a));
    const intent: Ledger = {
      version: 1,
      interface: iface,
      owned: intentOwned,
      pending: { add: [...add, ...doubtful.filter((a) => !removing.has(a))], remove, ...(unmarked ? { unmarked: true as const } : {}), pid: process.pid },
    };
    try {
      await write(intent);
    } catch (e) {
      stopped = `not changed: the ownership ledger ${ledgerPath(opts.stateDir)} could not be written`;
      const message =
        `could not record owned aliases in ${ledgerPath(opts.stateDir)} (${messageOf(e)}); nothing was changed, so that ` +
        'whatever loopkeeper adds stays recorded — make room in the state dir or fix it, then reconcile again';
      problems.push(message);
      ledgerFailure ??= { reason: 'LedgerNotWritten', message };
      for (const w of batch) results.push({ ...w, ok: false, error: stopped });
      continue;
    }
    const report = await port.change({ add, remove, before: state });
    results.push(...report.results);
    let after = report.after;
    const confirmed = new Set<string>();
    const rejected = new Set<string>();
    for (const r of report.results) {
      if (r.action !== 'add' || !r.ok) continue;
      if (existedBefore(r)) rejected.add(r.address);
      else if (r.added) confirmed.add(r.address);
    }
    let judged = judgeOwnership({ observed: after, ledger: intent, confirmed, rejected });
    if (judged.doubtful.length > 0 && port.inspect) {
      // The batch did not finish cleanly (killed, timed out): look at the marks to know what it did.
      try {
        after = await port.inspect();
        judged = judgeOwnership({ observed: after, ledger: intent, confirmed, rejected });
      } catch (e) {
        problems.push(`could not look at the marks of ${iface}'s addresses (${messageOf(e)}); addresses in doubt are left alone`);
      }
    }
    if (canVerify(after)) {
      owned = judged.owned;
      doubtful = judged.doubtful;
    } else {
      // The interface went away or down meanwhile: trust the tool's word, keep what is in doubt.
      owned = nextOwned(intentOwned, report.results, after);
      doubtful = [...new Set([...doubtful, ...add.filter((a) => !owned.includes(a))])];
    }
    state = after;
    if (report.batchError !== undefined) stopped = `not attempted: an earlier batch failed (${report.batchError})`;
  }

  // 3. The outcome, with nothing pending unless something is still in doubt.
  const next = settled(iface, owned, doubtful, unmarked);
  const wroteIntent = recorded !== start.read.ledger;
  if (wroteIntent ? !sameLedger(next, recorded) : worthWriting(start.read, next)) {
    try {
      await write(next);
    } catch (e) {
      const message =
        `could not record owned aliases in ${ledgerPath(opts.stateDir)} (${messageOf(e)}); ` +
        (port.marks === true
          ? "their kernel marks still say they are loopkeeper's"
          : 'aliases added now will not be removed by loopkeeper later') +
        ' — make room in the state dir or fix it, then reconcile again';
      problems.push(message);
      ledgerFailure ??= { reason: 'LedgerNotWritten', message };
    }
  }
  return outcome(plan, results, owned, recorded, problems, ledgerFailure);
}

function outcome(
  plan: AliasPlan,
  results: AliasChangeResult[],
  owned: readonly string[],
  recorded: Ledger,
  problems: string[],
  ledgerFailure: LedgerFailure | null,
): AliasApplyOutcome {
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
