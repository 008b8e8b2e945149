// API wiring: the socket server's routes bound to the daemon (status through the cache, health,
// reconcile as an 'api' trigger, metrics), with request metrics and the reconcile rate limit.
import { createApiServer, type ApiServer } from '../api/server';
import type { StatusCache } from '../api/status-cache';
import type { HealthDocument, ReconcileResponse } from '../api/types';
import type { DaemonLogger } from './log-types';
import type { Metrics } from './metrics';

export interface DaemonApi {
  statusCache: StatusCache;
  health(): { healthy: boolean; body: HealthDocument };
  reconcile(): Promise<ReconcileResponse>;
  renderMetrics(): string;
  metrics: Metrics;
  logger: DaemonLogger;
  /** POST /v1/reconcile requests allowed per second, and the burst (SPEC default 10). */
  reconcileRate?: number;
  now: () => number;
}

export function createDaemonApi(d: DaemonApi): ApiServer {
  return createApiServer({
    handlers: {
      status: (query) => d.statusCache.render(query),
      health: () => d.health(),
      reconcile: () => d.reconcile(),
      metrics: () => d.renderMetrics(),
    },
    logger: d.logger,
    onRequest: (route, code) => d.metrics.recordRequest(route, code),
    burst: d.reconcileRate,
    perSecond: d.reconcileRate,
    now: d.now,
  });
}
