// What a reconcile of the daemon is while `loopkeeper down` holds (STATE_DIR/paused, see
// src/state/pause.ts): it looks (a dry run, so status still shows what is on the machine: the
// aliases and names `down` removed read as missing) and changes nothing. Every trigger — start-up,
// schedule, hosts or config change, SIGHUP, the API — goes through the same reconcile, so none of
// them can undo a `down`. The verdicts say Paused and name `loopkeeper up`; the result is not `ok`,
// so /v1/health answers 503 (SPEC "Pausing").
import type { DesiredState } from '../model';
import type { Reconciler } from '../reconcile/reconciler';
import type { ReconcileReport, SyncVerdict, Trigger } from '../reconcile/types';
import { pausedMessage, type PauseState } from '../state/pause';
import { messageOf } from '../errors';

export type Paused = Extract<PauseState, { paused: true }>;

/** The Paused verdict (AliasesInSync, HostsInSync and Ready all carry it). */
export function pausedVerdict(pause: Paused): SyncVerdict<'Paused'> {
  return { status: 'False', reason: 'Paused', message: pausedMessage(pause) };
}

/**
 * One reconcile under a pause: observe `desired` (when there is one) without changing anything,
 * and report it as paused. Never throws.
 */
export async function pausedReconcile(
  reconciler: Reconciler,
  desired: DesiredState | null,
  pause: Paused,
  trigger: Trigger,
  now: () => number,
): Promise<ReconcileReport> {
  const startedAt = now();
  const verdict = pausedVerdict(pause);
  const problems = [verdict.message];
  if (pause.problem) problems.push(pause.problem);
  let observed: ReconcileReport | null = null;
  if (desired !== null) {
    try {
      observed = await reconciler.reconcile(desired, { trigger, dryRun: true });
    } catch (e) {
      problems.push(`could not observe the machine: ${messageOf(e)}`);
    }
  }
  return {
    at: new Date(startedAt).toISOString(),
    durationMs: Math.max(0, now() - startedAt),
    trigger,
    dryRun: false,
    result: 'degraded',
    // Nothing was applied; what `up` would change is what `plan` shows.
    changes: [],
    aliases: observed?.aliases ?? [],
    hosts: observed?.hosts ?? [],
    aliasesInSync: verdict,
    hostsInSync: verdict,
    problems,
    spawned: observed?.spawned ?? 0,
    hostsWritten: false,
    hostsDiff: [],
  };
}
