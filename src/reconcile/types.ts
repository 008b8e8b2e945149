// The result of one reconcile (or of a plan: the same pipeline stopped before effects).
import type { AliasEntry, Change, HostEntry } from '../model';
import type { AliasReason, HostsReason } from './reasons';

/**
 * What started a reconcile: start-up, a config or hosts-file change, the cron schedule, SIGHUP,
 * the API, the CLI; `drift`: the daemon's interface poll (src/daemon/drift-poll.ts) saw a desired
 * alias go.
 */
export type Trigger = 'startup' | 'config' | 'hosts' | 'schedule' | 'signal' | 'api' | 'cli' | 'drift';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** One part's verdict; the daemon turns these into Kubernetes-style conditions. */
export interface SyncVerdict<R extends string = AliasReason | HostsReason> {
  status: ConditionStatus;
  /** A typed reason (src/reconcile/reasons.ts), decided where the fact is known. */
  reason: R;
  message: string;
}

export interface ReconcileReport {
  /** ISO time the reconcile started. */
  at: string;
  durationMs: number;
  trigger: Trigger;
  /** true for `plan` / `apply --dry-run`: `changes` are pending, not applied. */
  dryRun: boolean;
  /** ok: converged; degraded: some part failed or was refused; error: nothing could be done. */
  result: 'ok' | 'degraded' | 'error';
  /** Changes applied (or pending, when dryRun). Empty when nothing was (or is) to do. */
  changes: Change[];
  aliases: AliasEntry[];
  hosts: HostEntry[];
  aliasesInSync: SyncVerdict<AliasReason>;
  hostsInSync: SyncVerdict<HostsReason>;
  /** Problems in words a user can act on (interface down, damaged block, failed alias, …). */
  problems: string[];
  /** Processes spawned during this reconcile (0 for a no-op). */
  spawned: number;
  /** Whether the hosts file was written. */
  hostsWritten: boolean;
  /** The managed block before → after ("- ", "+ ", "  " lines); empty when it does not change. */
  hostsDiff: string[];
}
