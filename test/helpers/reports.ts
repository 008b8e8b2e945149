// A converged reconcile that changed nothing: the report a fake Reconciler returns when a test
// is about something else (metrics files, the config child, the loop).
import type { ReconcileReport, Trigger } from '../../src/reconcile/types';

export function convergedReport(trigger: Trigger): ReconcileReport {
  return {
    at: new Date().toISOString(),
    durationMs: 1,
    trigger,
    dryRun: false,
    result: 'ok',
    changes: [],
    aliases: [],
    hosts: [],
    aliasesInSync: { status: 'True', reason: 'InSync', message: '' },
    hostsInSync: { status: 'True', reason: 'InSync', message: '' },
    problems: [],
    spawned: 0,
    hostsWritten: false,
    hostsDiff: [],
  };
}
