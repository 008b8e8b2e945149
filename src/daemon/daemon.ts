// loopkeeperd: owns the reconcile loop, the triggers that feed it (start-up, config and hosts
// file changes, the cron schedule, SIGHUP, the API) and the state the API reports. An invalid
// config never causes a partial apply: the last valid desired state stays enforced and status
// says why (SPEC "Desired-state file").
import { statSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import cron, { type ScheduledTask } from 'node-cron';
import { createApiServer, type ApiServer } from '../api/server';
import { StatusCache } from '../api/status-cache';
import type { ConfigStatus, FullStatus, HealthDocument, ReconcileResponse } from '../api/types';
import type { LoadedConfig } from '../config';
import { formatDiagnostic, type DesiredState } from '../model';
import { createReconciler, type Reconciler } from '../reconcile/reconciler';
import type { ReconcileReport, SyncVerdict, Trigger } from '../reconcile/types';
import type { Runtime } from '../runtime';
import { version } from '../version';
import { Conditions } from './conditions';
import { healthDocument, statusDocument, type DaemonState } from './status-document';
import { IdleCollector } from './idle-gc';
import { ReconcileLoop } from './loop';
import { Metrics } from './metrics';
import { watchTargets, type WatchTarget, type Watcher } from './watch';
import { messageOf } from '../errors';
import { readPause } from '../state/pause'; // [pause]
import { pausedReconcile, type Paused } from './paused'; // [pause]

export interface DaemonLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DaemonDeps {
  runtime: Runtime;
  logger: DaemonLogger;
  loadConfig: () => Promise<LoadedConfig>;
  /**
   * On stop: end a config load in progress and wait until its process has exited (the daemon, not
   * the service manager, stops its children; the unit uses KillMode=mixed). Resolves to the pids.
   */
  stopConfigLoader?: () => Promise<number[]>;
  /** Files and directories whose changes mean "the config may have changed". */
  configWatchPaths: () => string[];
  reconciler?: Reconciler;
  now?: () => number;
  /** Debounce for file-change triggers (ms). */
  debounceMs?: number;
  /** POST /v1/reconcile requests allowed per second, and the burst (SPEC default 10). */
  reconcileRate?: number;
  /** Set false to skip file watching (tests of the loop alone). */
  watch?: boolean;
  /** Called once the socket listens and after every reconcile (the metrics textfile); must not throw. */
  onMetrics?: (event: 'started' | 'reconciled') => void;
}

export type { ConfigStatus, ReconcileResponse } from '../api/types';

export class Daemon {
  private readonly runtime: Runtime;
  private readonly log: DaemonLogger;
  private readonly now: () => number;
  private readonly reconciler: Reconciler;
  readonly loop: ReconcileLoop<ReconcileResponse>;
  readonly metrics = new Metrics();
  private readonly startedAt: number;
  private readonly conditions: Conditions;
  private desired: DesiredState | null = null;
  private config: ConfigStatus = { files: [], valid: false, error: 'being loaded (loopkeeperd has just started)', errors: [], warnings: [], enforcing: false, loading: true };
  private lastReport: ReconcileReport | null = null;
  private lastDesiredKey: string | null = null;
  private drift = { repairs: 0, lastAt: null as string | null };
  /** [pause] The pause (STATE_DIR/paused) as the last reconcile read it; null when not paused. */
  private pause: Paused | null = null;
  private api: ApiServer | null = null;
  private cronTask: ScheduledTask | null = null;
  private cronExpr: string | null = null;
  private watcher: Watcher | null = null;
  private watchKey = '';
  private stopping = false;
  private readonly idleGc = new IdleCollector();
  /** Bumped whenever status() (but `daemon`) may change: the API serialises once per version. */
  private statusVersion = 0;
  private readonly statusCache = new StatusCache({ version: () => this.statusVersion, status: () => this.status() });

  constructor(private readonly deps: DaemonDeps) {
    this.runtime = deps.runtime;
    this.log = deps.logger;
    this.now = deps.now ?? Date.now;
    this.startedAt = this.now();
    this.conditions = new Conditions(new Date(this.startedAt));
    this.reconciler = deps.reconciler ?? createReconciler(deps.runtime, { now: this.now });
    this.loop = new ReconcileLoop((trigger, triggers) => this.reconcileOnce(trigger, triggers));
  }

  /** Listen on the socket, reconcile once, then arm the watchers and the schedule. */
  async start(): Promise<void> {
    this.api = createApiServer({
      handlers: {
        status: (query) => this.statusCache.render(query),
        health: () => this.health(),
        reconcile: () => this.trigger('api'),
        metrics: () => this.renderMetrics(),
      },
      logger: this.log,
      onRequest: (route, code) => this.metrics.recordRequest(route, code),
      burst: this.deps.reconcileRate,
      perSecond: this.deps.reconcileRate,
      now: this.now,
    });
    await this.api.listen(this.runtime.socket);
    this.log.info(
      { socket: this.runtime.socket, hostsFile: this.runtime.hostsFile, stateDir: this.runtime.stateDir, interface: this.runtime.interfaceName, version: version() },
      'loopkeeperd started',
    );
    this.deps.onMetrics?.('started');
    await this.trigger('startup');
  }

  /** Ask for a reconcile (coalesced with any in progress). */
  trigger(trigger: Trigger): Promise<ReconcileResponse> {
    if (this.stopping) return Promise.reject(new Error('loopkeeperd is stopping'));
    return this.loop.request(trigger);
  }

  /** SIGTERM/SIGINT: stop triggers, let a running reconcile finish, close and remove the socket. Aliases stay. */
  async stop(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info({ reason }, 'loopkeeperd stopping; aliases and the hosts block stay in place');
    this.watcher?.close();
    this.idleGc.stop();
    await this.cronTask?.destroy();
    const stopped = (await this.deps.stopConfigLoader?.()) ?? [];
    if (stopped.length > 0) this.log.info({ pids: stopped }, 'stopped the config loader that was running');
    await Promise.race([this.loop.idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
    await this.api?.close();
  }

  private async reconcileOnce(trigger: Trigger, triggers: readonly Trigger[]): Promise<ReconcileResponse> {
    this.log.debug({ trigger, triggers }, 'reconcile started');
    await this.reloadConfig(trigger);
    let report: ReconcileReport;
    // [pause] Read at every reconcile, whatever the trigger: while it holds nothing is changed.
    const pause = readPause(this.runtime.stateDir);
    if (pause.paused !== (this.pause !== null)) {
      const msg = pause.paused ? 'paused: nothing is added or repaired until `loopkeeper up`' : 'pause ended: enforcing again';
      this.log.info({ trigger, pause: pause.paused ? pause : null }, msg);
    }
    this.pause = pause.paused ? pause : null;
    if (pause.paused) {
      report = await pausedReconcile(this.reconciler, this.desired, pause, trigger, this.now);
      this.lastDesiredKey = null; // what `up` puts back is a restore, not a drift repair
    } else if (this.desired === null) {
      report = this.configOnlyReport(trigger);
    } else {
      report = await this.reconciler.reconcile(this.desired, { trigger });
    }
    this.record(report, triggers);
    this.deps.onMetrics?.('reconciled');
    this.log.debug({ trigger, result: report.result, durationMs: report.durationMs }, 'reconcile finished');
    this.idleGc.touch();
    return { ...report, config: { ...this.config }, conditions: this.conditions.list() };
  }

  /**
   * What the config files look like on disk (path, inode, size, mtime of every file read and of
   * every watched directory). A schedule, hosts or API trigger re-reads the config only when this
   * moved: a reconcile every minute should not re-parse an unchanged file.
   */
  private configFingerprint(files: readonly string[] = this.config.files, known: ReadonlyMap<string, string> = new Map()): { text: string; stats: Map<string, string> } {
    const stats = new Map<string, string>();
    for (const p of [...files, ...this.deps.configWatchPaths()]) {
      if (stats.has(p)) continue;
      const seen = known.get(p);
      if (seen !== undefined) {
        stats.set(p, seen);
        continue;
      }
      try {
        const st = statSync(p);
        stats.set(p, `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`);
      } catch {
        stats.set(p, '-');
      }
    }
    return { text: [...stats].map(([p, v]) => `${p}:${v}`).join('|'), stats };
  }

  private lastFingerprint: string | null = null;

  private async reloadConfig(trigger: Trigger): Promise<void> {
    const before = this.configFingerprint();
    const deliberate = trigger === 'startup' || trigger === 'config' || trigger === 'signal';
    if (!deliberate && before.text === this.lastFingerprint) return;
    let loaded: LoadedConfig;
    try {
      loaded = await this.deps.loadConfig();
    } catch (e) {
      // A load ended by stop() says nothing about the config: keep what status reports.
      if (this.stopping) return;
      loaded = { files: this.config.files, desired: null, diagnostics: [] };
      this.config = { ...this.config, valid: false, error: `config could not be read: ${messageOf(e)}`, errors: [messageOf(e)], loading: undefined };
    }
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
    const warnings = loaded.diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic);
    const wasValid = this.config.valid;
    if (loaded.desired !== null && errors.length === 0) {
      this.desired = loaded.desired;
      this.config = { files: loaded.files, valid: true, error: null, errors: [], warnings, enforcing: true };
      if (!wasValid && this.lastReport !== null) this.log.info({ trigger, files: loaded.files }, 'config is valid again');
    } else {
      const error =
        (errors.length > 0 ? `${errors.length} error(s): ${errors.slice(0, 5).join('; ')}` : this.config.error) ??
        'config invalid';
      this.config = {
        files: loaded.files,
        valid: false,
        error: this.desired ? `${error} — still enforcing the last valid config` : error,
        errors,
        warnings,
        enforcing: this.desired !== null,
      };
      this.log.warn({ trigger, errors }, 'config invalid; nothing from it is applied');
    }
    // What the files looked like BEFORE this load (for the file list it produced; a file new to
    // the list is stat'ed now): an edit saved while the loader ran then differs from it, so the
    // next trigger of any kind loads again. One taken after the load would record that edit as
    // already seen, and an API or scheduled reconcile would keep applying the old config.
    this.lastFingerprint = this.configFingerprint(this.config.files, before.stats).text;
    this.statusVersion++;
    this.rearm();
  }

  /** (Re)arms the cron schedule and the file watches when what they depend on changed. */
  private rearm(): void {
    if (this.stopping) return;
    const expr = this.desired?.settings.schedule ?? null;
    if (expr !== this.cronExpr) {
      void this.cronTask?.destroy();
      this.cronTask = null;
      this.cronExpr = expr;
      if (expr !== null) {
        this.cronTask = cron.schedule(expr, () => void this.trigger('schedule').catch(() => undefined), {
          name: 'loopkeeper-drift-check',
          noOverlap: true,
        });
      }
    }
    if (this.deps.watch === false) return;
    const targets = this.watchTargets();
    const key = JSON.stringify(targets.map((t) => [t.path, t.kind]));
    if (key === this.watchKey) return;
    this.watcher?.close();
    this.watchKey = key;
    const configPaths = new Set(targets.filter((t) => t.path !== this.runtime.hostsFile).map((t) => t.path));
    // One watcher per trigger kind, so the report says whether the config or the hosts file moved.
    const configWatch = watchTargets(
      targets.filter((t) => configPaths.has(t.path)),
      () => void this.trigger('config').catch(() => undefined),
      this.deps.debounceMs,
    );
    const hostsWatch = watchTargets(
      [{ path: this.runtime.hostsFile, kind: 'file' }],
      () => void this.trigger('hosts').catch(() => undefined),
      this.deps.debounceMs,
    );
    this.watcher = {
      unwatched: [...configWatch.unwatched, ...hostsWatch.unwatched],
      close: () => {
        configWatch.close();
        hostsWatch.close();
      },
    };
  }

  private watchTargets(): WatchTarget[] {
    const targets: WatchTarget[] = [];
    for (const p of this.deps.configWatchPaths()) {
      let dir: boolean;
      try {
        dir = statSync(p).isDirectory();
      } catch {
        dir = !/\.ya?ml$/i.test(p);
      }
      targets.push(dir ? { path: p, kind: 'dir', match: (n) => /\.ya?ml$/i.test(n) } : { path: p, kind: 'file' });
    }
    return targets;
  }

  private record(report: ReconcileReport, triggers: readonly Trigger[]): void {
    const now = new Date(this.now());
    for (const change of report.changes) {
      this.log.info({ trigger: report.trigger, triggers, change, result: report.result }, 'changed');
    }
    if (report.result !== 'ok') this.log.warn({ trigger: report.trigger, problems: report.problems }, 'reconcile did not converge');
    // A repair: changes were needed although the desired state is the one already applied.
    const key = this.desired ? JSON.stringify(this.desired) : null;
    if (report.changes.length > 0 && key !== null && key === this.lastDesiredKey) {
      this.drift = { repairs: this.drift.repairs + 1, lastAt: now.toISOString() };
      this.metrics.driftRepairs = this.drift.repairs;
      this.log.info({ trigger: report.trigger, changes: report.changes.length }, 'drift repaired');
    }
    if (key !== null && report.result === 'ok') this.lastDesiredKey = key;
    this.lastReport = report;
    this.statusVersion++;
    this.metrics.recordReconcile(report.trigger, report.result, report.durationMs, report.changes.length);

    const a = report.aliasesInSync;
    const h = report.hostsInSync;
    this.conditions.set('AliasesInSync', a.status, a.reason, a.message, now);
    this.conditions.set('HostsInSync', h.status, h.reason, h.message, now);
    if (!this.config.valid) {
      this.conditions.set('Ready', 'False', 'ConfigInvalid', this.config.error ?? 'config invalid', now);
    } else if (a.status === 'True' && h.status === 'True') {
      this.conditions.set('Ready', 'True', 'Converged', 'the machine matches the config', now);
    } else if (a.status !== 'True') {
      this.conditions.set('Ready', 'False', 'AliasesNotInSync', a.message, now);
    } else {
      this.conditions.set('Ready', 'False', 'HostsNotInSync', h.message, now);
    }
    if (this.pause !== null) this.conditions.set('Ready', 'False', 'Paused', a.message, now); // [pause]
  }

  private configOnlyReport(trigger: Trigger): ReconcileReport {
    const verdict: SyncVerdict<'ConfigInvalid'> = { status: 'Unknown', reason: 'ConfigInvalid', message: this.config.error ?? 'config invalid' };
    return {
      at: new Date(this.now()).toISOString(),
      durationMs: 0,
      trigger,
      dryRun: false,
      result: 'error',
      changes: [],
      aliases: [],
      hosts: [],
      aliasesInSync: verdict,
      hostsInSync: verdict,
      problems: [`no valid config has been loaded yet, so nothing is enforced: ${this.config.error ?? 'config invalid'}`],
      spawned: 0,
      hostsWritten: false,
      hostsDiff: [],
    };
  }

  /** What the status and health documents are made of, now. */
  private state(): DaemonState {
    return {
      version: version(),
      pid: process.pid,
      startedAt: this.startedAt,
      now: this.now(),
      socket: this.runtime.socket,
      hostsFile: this.runtime.hostsFile,
      interfaceName: this.runtime.interfaceName,
      reconciling: this.loop.busy,
      config: this.config,
      lastReport: this.lastReport,
      conditions: this.conditions.list(),
      drift: this.drift,
      paused: this.pause && { at: this.pause.at, by: this.pause.by, user: this.pause.user, problem: this.pause.problem }, // [pause]
    };
  }

  status(): FullStatus {
    return statusDocument(this.state());
  }

  health(): { healthy: boolean; body: HealthDocument } {
    return healthDocument(this.state());
  }

  renderMetrics(): string {
    const r = this.lastReport;
    const heap = getHeapStatistics();
    return this.metrics.render({
      residentBytes: residentBytes(),
      heapUsedBytes: heap.used_heap_size,
      heapTotalBytes: heap.total_heap_size,
      aliasesDesired: this.desired?.aliases.length ?? 0,
      aliasesPresent: r ? r.aliases.filter((a) => a.desired && a.state === 'present').length : 0,
      hostsDesired: this.desired?.hosts.length ?? 0,
      hostsPresent: r ? r.hosts.filter((x) => x.state === 'present').length : 0,
      configValid: this.config.valid,
      ready: this.conditions.get('Ready').status === 'True',
      lastReconcileTimestampSeconds: r ? (Date.parse(r.at) + r.durationMs) / 1000 : 0,
      startTimeSeconds: this.startedAt / 1000,
    });
  }
}

/** null where the process cannot see its own /proc entry (a pid namespace it is not in). */
function residentBytes(): number | null {
  try {
    return process.memoryUsage.rss();
  } catch {
    return null;
  }
}

