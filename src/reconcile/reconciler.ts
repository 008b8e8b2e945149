// The one reconcile: observe → plan (pure) → apply, for aliases and the hosts block together.
// `plan` and `apply --dry-run` run exactly this pipeline with dryRun set, stopping before effects.
// Machine problems never throw out of here: they become verdicts and problems in the report, so
// the daemon can keep running and the CLI can print something useful.
import type { Change, DesiredHost, DesiredState, HostEntry } from '../model';
import type { CommandRunner, Platform } from '../platform/types';
import type { Runtime } from '../runtime';
import type { ReconcileReport, SyncVerdict, Trigger } from './types';
import { createPlatform } from '../platform';
import { profileFor } from '../platform/profiles';
import { createRunner } from '../platform/runner';
import { applyHosts, TrampleGuard, type HostsApplyOutcome } from '../hosts';
import { reconcileAliases, type AliasApplyOutcome } from './aliases';
import { messageOf } from '../errors';
import { HostsWriteError, type HostsFailure } from '../hosts/writer';
import type { AliasReason, HostsReason } from './reasons';
import type { FileSystem } from '../fs/seam';
import { lineList } from '../lines';
import type { LockHolder } from './lock';

export interface Reconciler {
  /** One full reconcile (aliases + hosts) of `desired`. Never throws for machine problems. */
  reconcile(desired: DesiredState, opts: { trigger: Trigger; dryRun?: boolean }): Promise<ReconcileReport>;
  /** Remove everything loopkeeper added (owned aliases, the managed block). */
  down(opts?: { dryRun?: boolean; trigger?: Trigger; allowAliasRanges?: readonly string[] }): Promise<ReconcileReport>;
}

export interface ReconcilerDeps {
  /** A fixed platform (tests); by default one is made per reconcile for the desired allowAliasRanges. */
  platform?: Platform;
  runner?: CommandRunner & { readonly spawned?: number };
  now?: () => number;
  trampleGuard?: TrampleGuard;
  /** The file-system seam for the hosts file, its backups and the ledger (fault tests). */
  fs?: FileSystem;
  /** Called once when another loopkeeper holds the state lock and this reconcile waits for it. */
  onLockWait?: (holder: LockHolder | null) => void;
}

/** Triggers that mean "a person asked": they clear a Trampled stand-off (SPEC). */
const EXPLICIT_TRIGGERS: ReadonlySet<Trigger> = new Set<Trigger>(['config', 'api', 'cli', 'signal', 'startup']);

export function createReconciler(runtime: Runtime, deps: ReconcilerDeps = {}): Reconciler {
  const runner = deps.runner ?? createRunner();
  const now = deps.now ?? Date.now;
  const trample = deps.trampleGuard ?? new TrampleGuard({ now });
  // What the block was last written to hold: a later write of the same content is a repair.
  let lastWrittenHosts: string | null = null;
  let trampledPattern: string | null = null;

  function platformFor(allowAliasRanges: readonly string[]): Platform {
    return (
      deps.platform ??
      createPlatform({ platform: runtime.platform, interfaceName: runtime.interfaceName, runner, allowAliasRanges })
    );
  }

  function spawnedSoFar(): number {
    return runner.spawned ?? 0;
  }

  async function run(
    mode: 'reconcile' | 'down',
    desired: DesiredState | null,
    trigger: Trigger,
    dryRun: boolean,
    extraRanges: readonly string[] = [],
  ): Promise<ReconcileReport> {
    const startedAt = now();
    const spawnedBefore = spawnedSoFar();
    const problems: string[] = [];
    const settings = desired?.settings;
    const platform = platformFor(settings?.allowAliasRanges ?? extraRanges);

    // ---- aliases ----
    let aliasOutcome: AliasApplyOutcome | null = null;
    let aliasVerdict: SyncVerdict<AliasReason>;
    try {
      aliasOutcome = await reconcileAliases(platform, desired?.aliases ?? [], {
        stateDir: runtime.stateDir,
        prune: settings?.prune ?? true,
        mode,
        dryRun,
        fs: deps.fs,
        runner,
        onLockWait: deps.onLockWait,
      });
      aliasVerdict = aliasVerdictOf(aliasOutcome, dryRun, mode);
      problems.push(...aliasOutcome.plan.problems);
      if (aliasOutcome.ledgerProblem) problems.push(aliasOutcome.ledgerProblem);
      problems.push(...failureProblems(aliasOutcome.failed));
    } catch (e) {
      aliasVerdict = { status: 'False', reason: 'AliasesError', message: messageOf(e) };
      problems.push(`aliases: ${messageOf(e)}`);
    }

    // ---- hosts ----
    if (EXPLICIT_TRIGGERS.has(trigger) && trampledPattern !== null) {
      trample.reset();
      trampledPattern = null;
    }
    let hostsOutcome: HostsApplyOutcome | null = null;
    let hostsVerdict: SyncVerdict<HostsReason>;
    let hostEntries: HostEntry[] = [];
    let hostChanges: Change[] = [];
    // Why the hosts part failed, when the writer said (a typed reason, never message text).
    const hostsFailure: { reason: HostsFailure | null } = { reason: null };
    const wantedHosts = mode === 'down' ? null : desired!.hosts;
    if (!dryRun && trampledPattern !== null) {
      // Stop fighting: report, and look (dry run) so status still shows the real state.
      hostsOutcome = await tryHosts(wantedHosts, true, problems);
      hostEntries = hostsOutcome?.plan.entries ?? [];
      hostsVerdict = trampledVerdict(trampledPattern);
      problems.push(hostsVerdict.message);
    } else {
      hostsOutcome = await tryHosts(await withUnprunedHosts(wantedHosts, settings?.prune ?? true), dryRun, problems, hostsFailure);
      if (hostsOutcome) {
        hostEntries = dryRun || !hostsOutcome.written ? hostsOutcome.plan.entries : afterWrite(hostsOutcome.plan.entries);
        hostChanges = hostsOutcome.plan.changes;
        hostsVerdict = hostsVerdictOf(hostsOutcome, dryRun);
        if (hostsOutcome.plan.damage) problems.push(damageText(hostsOutcome.plan.damage, runtime.hostsFile));
        if (!dryRun && mode === 'reconcile') noteRepair(hostsOutcome, wantedHosts ?? []);
        if (trampledPattern !== null) {
          hostsVerdict = trampledVerdict(trampledPattern);
          problems.push(hostsVerdict.message);
        }
      } else {
        hostsVerdict = {
          status: 'False',
          reason: hostsFailure.reason ?? 'HostsError',
          message: problems[problems.length - 1] ?? 'hosts file failed',
        };
      }
    }
    if (!dryRun && hostsOutcome?.written) {
      try {
        await platform.flushDnsCache();
      } catch (e) {
        problems.push(`the hosts file changed but the DNS cache could not be flushed: ${messageOf(e)}`);
      }
    }
    for (const h of hostEntries) {
      if (h.state === 'shadowed') problems.push(`host ${h.name} is shadowed: ${h.detail}`);
    }
    // A file the resolver does not read at all (macOS: a symlinked /etc/hosts) is never in sync,
    // whatever the block holds; a worse verdict (damage, trample, failure) stays.
    const ignored = mode === 'reconcile' && hostsOutcome ? await profileFor(runtime.platform)?.hostsFileIgnored(runtime.hostsFile) : null;
    if (ignored && (hostsVerdict.status !== 'False' || hostsVerdict.reason === 'ChangesPending')) {
      hostsVerdict = { status: 'False', reason: ignored.reason, message: ignored.message };
      problems.push(ignored.message);
    }

    const aliasChanges: Change[] = aliasOutcome ? (dryRun ? aliasOutcome.plan.changes : aliasOutcome.applied) : [];
    const broken = [aliasVerdict, hostsVerdict].filter((v) => v.status === 'False' && v.reason !== 'ChangesPending');
    const result: ReconcileReport['result'] =
      !aliasOutcome && !hostsOutcome ? 'error' : broken.length > 0 ? 'degraded' : 'ok';
    return {
      at: new Date(startedAt).toISOString(),
      durationMs: Math.max(0, now() - startedAt),
      trigger,
      dryRun,
      result,
      changes: [...aliasChanges, ...hostChanges],
      aliases: aliasOutcome?.entries ?? [],
      hosts: hostEntries,
      aliasesInSync: aliasVerdict,
      hostsInSync: hostsVerdict,
      problems,
      spawned: spawnedSoFar() - spawnedBefore,
      hostsWritten: Boolean(hostsOutcome?.written),
      hostsDiff: hostsOutcome && (dryRun || hostsOutcome.written) ? hostsOutcome.plan.blockDiff : [],
    };
  }

  async function tryHosts(
    wanted: DesiredHost[] | null,
    dryRun: boolean,
    problems: string[],
    failure: { reason: HostsFailure | null } = { reason: null },
  ): Promise<HostsApplyOutcome | null> {
    try {
      return await applyHosts(runtime.hostsFile, wanted, { stateDir: runtime.stateDir, dryRun, fs: deps.fs });
    } catch (e) {
      if (e instanceof HostsWriteError) {
        // Its message names the file, or the state dir when that is what failed.
        failure.reason = e.reason;
        problems.push(e.message);
      } else {
        problems.push(`hosts file ${runtime.hostsFile}: ${messageOf(e)}`);
      }
      return null;
    }
  }

  /**
   * With `prune: false`, names loopkeeper wrote before but no longer desired stay in the block:
   * plan once, and put every name the plan would remove back into the desired list.
   */
  async function withUnprunedHosts(wanted: DesiredHost[] | null, prune: boolean): Promise<DesiredHost[] | null> {
    if (prune || wanted === null) return wanted;
    let probe: HostsApplyOutcome;
    try {
      probe = await applyHosts(runtime.hostsFile, wanted, { stateDir: runtime.stateDir, dryRun: true, fs: deps.fs });
    } catch {
      return wanted; // the real attempt reports the error
    }
    const kept = probe.plan.changes.flatMap((c) =>
      c.kind === 'hosts' && c.action === 'remove' ? [{ name: c.name, addresses: c.addresses }] : [],
    );
    return kept.length === 0 ? wanted : [...wanted, ...kept];
  }

  function noteRepair(outcome: HostsApplyOutcome, wanted: DesiredHost[]): void {
    if (!outcome.written) return;
    const fingerprint = JSON.stringify(wanted);
    if (lastWrittenHosts === fingerprint) {
      // Same desired block written again: someone else changed it in between.
      trample.recordRepair();
      if (trample.isTrampled()) trampledPattern = describeTrample(outcome.plan.changes);
    }
    lastWrittenHosts = fingerprint;
  }

  return {
    reconcile: (desired, opts) => run('reconcile', desired, opts.trigger, opts.dryRun ?? false),
    down: (opts = {}) => run('down', null, opts.trigger ?? 'cli', opts.dryRun ?? false, opts.allowAliasRanges),
  };
}

function aliasVerdictOf(o: AliasApplyOutcome, dryRun: boolean, mode: 'reconcile' | 'down'): SyncVerdict<AliasReason> {
  // The interface look decided why nothing could be planned (missing, down): its reason as given.
  if (o.plan.blocked) return { status: 'False', reason: o.plan.blocked.reason, message: o.plan.problems.join('; ') };
  if (o.plan.problems.length > 0) return { status: 'False', reason: 'AliasesProblem', message: o.plan.problems.join('; ') };
  // Ownership that could not be kept (or known) safely: never `ok`, even when every alias is there.
  if (o.ledgerFailure) return { status: 'False', reason: o.ledgerFailure.reason, message: o.ledgerFailure.message };
  if (o.failed.length > 0) {
    return { status: 'False', reason: 'AliasesFailed', message: failureProblems(o.failed).join('; ') };
  }
  if (dryRun && o.plan.changes.length > 0) {
    const adds = o.plan.add.length;
    const removes = o.plan.remove.length;
    return {
      status: 'False',
      reason: 'ChangesPending',
      message: `${adds} alias(es) to add, ${removes} to remove`,
    };
  }
  const n = o.entries.filter((e) => e.state === 'present' && e.desired).length;
  return {
    status: 'True',
    reason: 'InSync',
    message: mode === 'down' ? 'no owned aliases remain' : `${n} desired alias(es) present`,
  };
}

/**
 * One problem per distinct error: a failure that hit every alias of a batch (no `ip`, ip killed,
 * the intent not recorded) is said once with the addresses it hit, not once per alias.
 */
export function failureProblems(failed: readonly { address: string; action: 'add' | 'remove'; error: string }[]): string[] {
  const groups = new Map<string, { action: 'add' | 'remove'; addresses: string[] }>();
  for (const f of failed) {
    const key = `${f.action}\0${f.error}`;
    const g = groups.get(key) ?? { action: f.action, addresses: [] };
    g.addresses.push(f.address);
    groups.set(key, g);
  }
  const out: string[] = [];
  for (const [key, g] of groups) {
    const error = key.slice(key.indexOf('\0') + 1);
    if (g.addresses.length === 1) {
      out.push(`could not ${g.action} alias ${g.addresses[0]}: ${error}`);
    } else {
      const shown = g.addresses.slice(0, 3).join(', ');
      const more = g.addresses.length > 3 ? `, … (${g.addresses.length - 3} more)` : '';
      out.push(`could not ${g.action} ${g.addresses.length} aliases (${shown}${more}): ${error}`);
    }
  }
  return out;
}

function hostsVerdictOf(o: HostsApplyOutcome, dryRun: boolean): SyncVerdict<HostsReason> {
  if (o.plan.damage) return { status: 'False', reason: 'BlockDamaged', message: o.plan.damage.message };
  if (dryRun && o.plan.next !== null) {
    return { status: 'False', reason: 'ChangesPending', message: `${o.plan.changes.length} hosts change(s) pending` };
  }
  const shadowed = o.plan.entries.filter((e) => e.state === 'shadowed').map((e) => e.name);
  if (shadowed.length > 0) {
    return {
      status: 'True',
      reason: 'Shadowed',
      message: `managed block in place; shadowed by earlier lines: ${shadowed.join(', ')}`,
    };
  }
  return { status: 'True', reason: 'InSync', message: `${o.plan.entries.length} name(s) in the managed block` };
}

function trampledVerdict(pattern: string): SyncVerdict<HostsReason> {
  return {
    status: 'False',
    reason: 'Trampled',
    message:
      `another program keeps rewriting the managed block (${pattern}); loopkeeper stopped repairing ` +
      'it and will try again on the next config change or `loopkeeper reconcile`',
  };
}

function afterWrite(entries: HostEntry[]): HostEntry[] {
  return entries.map((e) => (e.state === 'missing' ? { ...e, state: 'present', detail: 'in the managed block' } : e));
}

function damageText(d: { message: string; lines: number[] }, file: string): string {
  return `${file}: ${d.message} (${lineList(d.lines)}); nothing was written — fix or remove the loopkeeper markers by hand`;
}

function describeTrample(changes: Change[]): string {
  const adds = changes.filter((c) => c.action === 'add').length;
  const updates = changes.filter((c) => c.action === 'update').length;
  if (adds > 0 && updates === 0) return 'the managed block is removed again after each repair';
  return 'the managed block is edited again after each repair';
}

