// Recording a finished reconcile: the log lines of its changes, drift repairs, the metrics, and
// the conditions (Ready from the parts and the config).
import type { ConfigStatus, DriftInfo } from '../api/types';
import type { DesiredState } from '../model';
import type { ReconcileReport, Trigger } from '../reconcile/types';
import type { Conditions } from './conditions';
import type { DaemonLogger } from './log-types';
import type { Metrics } from './metrics';

export class Recorder {
  lastReport: ReconcileReport | null = null;
  drift: DriftInfo = { repairs: 0, lastAt: null };
  private lastDesiredKey: string | null = null;

  constructor(
    private readonly conditions: Conditions,
    private readonly metrics: Metrics,
    private readonly log: DaemonLogger,
  ) {}

  /** The next change is not a drift repair (after a pause: what `up` puts back is a restore). */
  forgetApplied(): void {
    this.lastDesiredKey = null;
  }

  record(report: ReconcileReport, triggers: readonly Trigger[], desired: DesiredState | null, config: ConfigStatus, now: Date): void {
    for (const change of report.changes) {
      this.log.info({ trigger: report.trigger, triggers, change, result: report.result }, 'changed');
    }
    if (report.result !== 'ok') this.log.warn({ trigger: report.trigger, problems: report.problems }, 'reconcile did not converge');
    // A repair: changes were needed although the desired state is the one already applied.
    const key = desired ? JSON.stringify(desired) : null;
    if (report.changes.length > 0 && key !== null && key === this.lastDesiredKey) {
      this.drift = { repairs: this.drift.repairs + 1, lastAt: now.toISOString() };
      this.metrics.driftRepairs = this.drift.repairs;
      this.log.info({ trigger: report.trigger, changes: report.changes.length }, 'drift repaired');
    }
    if (key !== null && report.result === 'ok') this.lastDesiredKey = key;
    this.lastReport = report;
    this.metrics.recordReconcile(report.trigger, report.result, report.durationMs, report.changes.length);

    const a = report.aliasesInSync;
    const h = report.hostsInSync;
    this.conditions.set('AliasesInSync', a.status, a.reason, a.message, now);
    this.conditions.set('HostsInSync', h.status, h.reason, h.message, now);
    if (!config.valid) {
      this.conditions.set('Ready', 'False', 'ConfigInvalid', config.error ?? 'config invalid', now);
    } else if (a.status === 'True' && h.status === 'True') {
      this.conditions.set('Ready', 'True', 'Converged', 'the machine matches the config', now);
    } else if (a.status !== 'True') {
      this.conditions.set('Ready', 'False', 'AliasesNotInSync', a.message, now);
    } else {
      this.conditions.set('Ready', 'False', 'HostsNotInSync', h.message, now);
    }
  }
}
