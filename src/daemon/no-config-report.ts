// The report of a reconcile that had no valid desired state to enforce: nothing was looked at or
// changed, and every part says why.
import type { ConfigStatus } from '../api/types';
import type { ReconcileReport, SyncVerdict, Trigger } from '../reconcile/types';

export function noConfigReport(trigger: Trigger, config: Pick<ConfigStatus, 'error'>, now: number): ReconcileReport {
  const why = config.error ?? 'config invalid';
  const verdict: SyncVerdict<'ConfigInvalid'> = { status: 'Unknown', reason: 'ConfigInvalid', message: why };
  return {
    at: new Date(now).toISOString(),
    durationMs: 0,
    trigger,
    dryRun: false,
    result: 'error',
    changes: [],
    aliases: [],
    hosts: [],
    aliasesInSync: verdict,
    hostsInSync: verdict,
    problems: [`no valid config has been loaded yet, so nothing is enforced: ${why}`],
    spawned: 0,
    hostsWritten: false,
    hostsDiff: [],
  };
}
