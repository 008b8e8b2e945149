// The documents GET /v1/status and GET /v1/health answer with, as pure functions of the daemon's
// state: no clock, no process, no file is read here (the caller passes `now` and what it saw).
// The status cache (src/api/status-cache.ts) bounds and serialises the result once per version.
import type { ConfigStatus, Condition, DriftInfo, FullStatus, HealthDocument, LiveInfo } from '../api/types';
import type { ReconcileReport } from '../reconcile/types';
import type { PauseInfo } from '../state/pause';
import { conditionOf } from '../api/types';

/** Everything the status document is made of. */
export interface DaemonState {
  version: string;
  pid: number;
  /** ms since the epoch */
  startedAt: number;
  now: number;
  socket: string;
  hostsFile: string;
  interfaceName: string;
  reconciling: boolean;
  config: ConfigStatus;
  lastReport: ReconcileReport | null;
  conditions: readonly Condition[];
  drift: DriftInfo;
  /** What was observed when the status was asked (src/daemon/live.ts), or null. */
  live?: LiveInfo | null;
  /** `loopkeeper down` holds (STATE_DIR/paused), or null. */
  paused?: PauseInfo | null;
}

export function statusDocument(s: DaemonState): FullStatus {
  const r = s.lastReport;
  return {
    daemon: {
      version: s.version,
      pid: s.pid,
      startedAt: new Date(s.startedAt).toISOString(),
      uptimeSeconds: Math.round((s.now - s.startedAt) / 1000),
      socket: s.socket,
      hostsFile: s.hostsFile,
      interface: s.interfaceName,
      reconciling: s.reconciling,
    },
    config: { ...s.config, files: [...s.config.files], errors: [...s.config.errors], warnings: [...s.config.warnings] },
    lastReconcile: r ? { at: r.at, durationMs: r.durationMs, trigger: r.trigger, result: r.result, changes: r.changes, problems: r.problems } : null,
    conditions: s.conditions.map((c) => ({ ...c })),
    // Shared, not copied (65,536 entries): the status cache only reads them.
    aliases: r?.aliases ?? [],
    hosts: r?.hosts ?? [],
    changes: [],
    drift: { ...s.drift },
    paused: s.paused ? { ...s.paused } : null,
  };
}

export function healthDocument(s: Pick<DaemonState, 'lastReport' | 'conditions'>): { healthy: boolean; body: HealthDocument } {
  const r = s.lastReport;
  const healthy = r !== null && r.result === 'ok';
  const ready = conditionOf(s.conditions, 'Ready');
  if (ready === undefined) throw new Error('the daemon state has no Ready condition');
  return {
    healthy,
    body: { healthy, lastReconcile: r ? { at: r.at, result: r.result, trigger: r.trigger } : null, ready: { ...ready } },
  };
}
