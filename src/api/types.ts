// The socket API as one typed contract: every document loopkeeperd sends (GET /v1/status,
// GET /v1/health, POST /v1/reconcile, the error body) is declared here once, and the daemon
// (src/daemon/), the server (src/api/server.ts) and the CLI (src/cli/) import it from here. A
// field added on one side is then seen by the other at compile time instead of drifting.
//
// Compatibility: fields only grow. A client may talk to an older daemon, so where the CLI reads a
// field that older daemons did not send it treats it as possibly absent (see `optional` below).
import type { AliasEntry, Change, HostEntry } from '../model';
import type { ConditionStatus, ReconcileReport, Trigger } from '../reconcile/types';
import type { ConditionType, ReasonOf } from '../reconcile/reasons';
import type { PauseInfo } from '../state/pause';

export type { ConditionType, ReasonOf } from '../reconcile/reasons';

// ---- conditions ----

export interface ConditionOf<T extends ConditionType> {
  type: T;
  status: ConditionStatus;
  reason: ReasonOf[T];
  message: string;
  /** Moves only when `status` changes, not when the message does. */
  lastTransitionTime: string;
}

/** One condition, discriminated by `type` (its reason is typed by it). */
export type Condition = { [T in ConditionType]: ConditionOf<T> }[ConditionType];

/** The condition of one type in a list (a status document's), typed by it. */
export function conditionOf<T extends ConditionType>(list: readonly Condition[], type: T): ConditionOf<T> | undefined {
  return list.find((c): c is ConditionOf<T> & Condition => c.type === type);
}

// ---- the parts of the status document ----

export interface DaemonInfo {
  version: string;
  pid: number;
  startedAt?: string;
  uptimeSeconds: number;
  socket?: string;
  hostsFile?: string;
  interface?: string;
  reconciling?: boolean;
}

/** The config as the daemon tracks it. */
export interface ConfigStatus {
  files: string[];
  valid: boolean;
  /** Why the config on disk is not in force (null when valid). */
  error: string | null;
  errors: string[];
  warnings: string[];
  /** Whether a last valid desired state is being enforced. */
  enforcing: boolean;
  /** Only before the first load has finished (just after start-up): the config is being loaded. */
  loading?: boolean;
}

/** The config as sent: ConfigStatus with its long lists cut (and their totals). */
export interface ConfigInfo extends ConfigStatus {
  filesTotal?: number;
  errorsTotal?: number;
  warningsTotal?: number;
}

export interface LastReconcileInfo {
  at: string;
  durationMs: number;
  trigger: Trigger;
  result: ReconcileReport['result'];
  changes: Change[];
  problems: string[];
  changesTotal?: number;
  problemsTotal?: number;
}

export interface DriftInfo {
  /** Reconciles that changed something although the applied desired state had not changed. */
  repairs: number;
  lastAt: string | null;
}

/**
 * What GET /v1/status saw when it was asked (live status, SPEC "Status is live"): the interface
 * and the hosts file looked at without spawning anything. null when nothing was observed (no
 * reconcile yet, or paused).
 */
export interface LiveInfo {
  /** When the look was taken (for a very large interface, the drift poll's latest look). */
  at: string;
  /** Desired aliases the last reconcile left present that are gone now (a repair is due). */
  aliasesMissing: number;
  /** Desired host names the last reconcile left in the hosts file that are gone now. */
  hostsMissing: number;
}

/** What the daemon knows, uncut (built by src/daemon/status-document.ts from its state). */
export interface FullStatus {
  daemon: DaemonInfo;
  config: ConfigInfo;
  lastReconcile: LastReconcileInfo | null;
  conditions: Condition[];
  aliases: AliasEntry[];
  hosts: HostEntry[];
  changes: Change[];
  drift: DriftInfo;
  live?: LiveInfo | null;
  /** `loopkeeper down` holds (STATE_DIR/paused): since when, by whom; null when not paused. */
  paused?: PauseInfo | null;
}

export type HostEntryView = HostEntry & { addressesTotal?: number };

export interface ListSummary<E> {
  total: number;
  /** How many entries the list in this document holds (from `offset`). */
  shown: number;
  offset: number;
  /** Entries per state, e.g. {present: 65530, missing: 6}. */
  byState: Record<string, number>;
  /** The first entries that are not present (missing, failed, shadowed), whatever the page. */
  notPresent: E[];
  notPresentTotal: number;
  /** Where every entry can be read, a page at a time. */
  all: string;
}

export interface StatusSummary {
  aliases: ListSummary<AliasEntry> & { owned: number };
  hosts: ListSummary<HostEntryView>;
}

export interface PageInfo {
  list: 'aliases' | 'hosts';
  offset: number;
  limit: number;
  returned: number;
  total: number;
  /** The path of the next page, or null after the last one. */
  next: string | null;
}

// ---- the documents ----

/** GET /v1/status as sent (bounded: see src/api/status-view.ts). */
export interface StatusDocument {
  daemon: DaemonInfo;
  config: ConfigInfo;
  lastReconcile: LastReconcileInfo | null;
  conditions: Condition[];
  aliases: AliasEntry[];
  hosts: HostEntryView[];
  changes: Change[];
  drift: DriftInfo;
  live?: LiveInfo | null;
  /** `loopkeeper down` holds: since when, by whom (null: not paused; absent from an older daemon). */
  paused?: PauseInfo | null;
  summary: StatusSummary;
  page?: PageInfo;
}

/** GET /v1/health: 200 when converged, 503 otherwise. */
export interface HealthDocument {
  healthy: boolean;
  lastReconcile: Pick<LastReconcileInfo, 'at' | 'result' | 'trigger'> | null;
  ready: ConditionOf<'Ready'>;
}

/** What one reconcile request gets inside the daemon (before the answer is bounded). */
export type ReconcileResponse = ReconcileReport & { config: ConfigStatus; conditions: Condition[] };

/** POST /v1/reconcile as sent: the report with its lists cut, their counts in `summary`. */
export type ReconcileDocument = Omit<ReconcileReport, 'hosts'> & {
  hosts: HostEntryView[];
  config: ConfigInfo;
  conditions: Condition[];
  summary: StatusSummary;
  changesTotal?: number;
  problemsTotal?: number;
  hostsDiffTotal?: number;
};

/** Error codes the server sends (HTTP status in parentheses); src/api/http1.ts and server.ts. */
export type ApiErrorCode =
  | 'bad_request' // (400) not a request this server reads
  | 'bad_query' // (400) GET /v1/status with an unknown or bad parameter
  | 'not_found' // (404)
  | 'method_not_allowed' // (405)
  | 'timeout' // (408) request not completed in time
  | 'body_too_large' // (413)
  | 'rate_limited' // (429) too many POST /v1/reconcile
  | 'headers_too_large' // (431)
  | 'internal' // (500)
  | 'not_implemented' // (501) a transfer encoding not supported
  | 'too_many_connections'; // (503)

/** Every non-2xx answer but 503 from /v1/health. */
export interface ErrorDocument {
  error: { code: ApiErrorCode; message: string };
}

export function isErrorDocument(x: unknown): x is ErrorDocument {
  const e = (x as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof e === 'object' && e !== null && typeof e.code === 'string' && typeof e.message === 'string';
}

/** A document as an older daemon may have sent it: every field possibly absent (CLI side). */
export type Optional<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : Optional<T[K]>) : T[K] };

/**
 * POST /v1/reconcile as a client reads it: what older daemons did not send (config, conditions,
 * summary) may be absent.
 */
export type ReconcileAnswer = Omit<ReconcileDocument, 'config' | 'conditions' | 'summary'> & Partial<Pick<ReconcileDocument, 'config' | 'conditions' | 'summary'>>;
