// loopkeeperd: owns the reconcile loop and orchestrates the parts that feed and report it. Each
// job has its own module:
//   config-tracker.ts   what the config holds and whether it is in force (the last valid one stays)
//   trigger-arming.ts   the cron schedule and the file watches that ask for a reconcile
//   recorder.ts         a finished reconcile: log lines, drift repairs, metrics, conditions
//   no-config-report.ts the report when no valid desired state has been loaded
//   status-document.ts  the status and health documents, pure functions of the state
//   api-wiring.ts       the socket API bound to the daemon
//   live-look.ts        the interface and the hosts file as they are now (status is live)
//   drift-poll.ts       a cheap poll of the interface that repairs a deleted alias in seconds
// This file only wires them together and runs one reconcile (reload, reconcile, record).
import { getHeapStatistics } from 'node:v8';
import type { ApiServer } from '../api/server';
import { StatusCache } from '../api/status-cache';
import type { FullStatus, HealthDocument, ReconcileResponse } from '../api/types';
import type { LoadedConfig } from '../config';
import { createReconciler, type Reconciler } from '../reconcile/reconciler';
import type { ReconcileReport, Trigger } from '../reconcile/types';
import type { Runtime } from '../runtime';
import { version } from '../version';
import { createDaemonApi } from './api-wiring';
import { Conditions } from './conditions';
import { ConfigTracker } from './config-tracker';
import { IdleCollector } from './idle-gc';
import type { DaemonLogger } from './log-types';
import { ReconcileLoop } from './loop';
import { Metrics } from './metrics';
import { noConfigReport } from './no-config-report';
import { Recorder } from './recorder';
import { healthDocument, statusDocument, type DaemonState } from './status-document';
import { TriggerArming } from './trigger-arming';
import { readPause } from '../state/pause'; // [pause]
import { pausedReconcile, type Paused } from './paused'; // [pause]
import { DriftPoll, missingFrom, type Look } from './drift-poll';
import { LiveLook } from './live-look';
import type { NetworkInterfacesFn } from '../platform/common';
import type { HostEntry } from '../model';
import type { LiveState } from './status-document';

export type { ConfigStatus, ReconcileResponse } from '../api/types';
export type { DaemonLogger } from './log-types';

export interface DaemonDeps {
  runtime: Runtime;
  logger: DaemonLogger;
  loadConfig: () => Promise<LoadedConfig>;
  /**
   * On stop: end a config load in progress and wait until its process has exited (the daemon, not
   * the service manager, stops its children; the unit uses KillMode=mixed). Resolves to the pids.
   */
  stopConfigLoader?: () => Promise<number[]>;
  /** Starts a config loader that waits to be used by the next loadConfig (at a config file event). */
  prestartConfigLoader?: () => void;
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
  /**
   * Live status and the drift poll (loopkeeperd always sets this; tests of the loop with a fake
   * reconciler leave it out, as the real interface has none of their aliases). `pollMs` 0: no poll.
   */
  observe?: { networkInterfaces?: NetworkInterfacesFn; pollMs?: number };
}

export class Daemon {
  private readonly runtime: Runtime;
  private readonly log: DaemonLogger;
  private readonly now: () => number;
  private readonly reconciler: Reconciler;
  readonly loop: ReconcileLoop<ReconcileResponse>;
  readonly metrics = new Metrics();
  private readonly startedAt: number;
  private readonly conditions: Conditions;
  private readonly configTracker: ConfigTracker;
  private readonly recorder: Recorder;
  private readonly arming: TriggerArming;
  /** [pause] The pause (STATE_DIR/paused) as the last reconcile read it; null when not paused. */
  private pause: Paused | null = null;
  private readonly live: LiveLook | null;
  private readonly poll: DriftPoll | null;
  /** The desired aliases the last reconcile left present: what the poll watches. */
  private expectedAliases: ReadonlySet<string> = new Set();
  /** The look the current status version was made from (identity: same look, same document). */
  private seen: { look: Look; hosts: readonly HostEntry[] | null; key: string } | null = null;
  private api: ApiServer | null = null;
  private stopping = false;
  private readonly idleGc = new IdleCollector();
  /** Bumped whenever status() (but `daemon`) may change: the API serialises once per version. */
  private statusVersion = 0;
  private readonly statusCache = new StatusCache({
    version: () => this.observeForStatus(),
    status: () => statusDocument(this.state()),
    daemon: () => statusDocument(this.state(false)).daemon,
  });

  constructor(private readonly deps: DaemonDeps) {
    this.runtime = deps.runtime;
    this.log = deps.logger;
    this.now = deps.now ?? Date.now;
    this.startedAt = this.now();
    this.conditions = new Conditions(new Date(this.startedAt));
    this.reconciler = deps.reconciler ?? createReconciler(deps.runtime, { now: this.now });
    this.loop = new ReconcileLoop((trigger, triggers) => this.reconcileOnce(trigger, triggers));
    this.configTracker = new ConfigTracker({
      loadConfig: deps.loadConfig,
      configWatchPaths: deps.configWatchPaths,
      logger: deps.logger,
      stopping: () => this.stopping,
    });
    this.recorder = new Recorder(this.conditions, this.metrics, deps.logger);
    this.arming = new TriggerArming({
      trigger: (t) => void this.trigger(t).catch(() => undefined),
      hostsFile: deps.runtime.hostsFile,
      configWatchPaths: deps.configWatchPaths,
      debounceMs: deps.debounceMs,
      onConfigEvent: () => deps.prestartConfigLoader?.(),
      watch: deps.watch,
    });
    this.live = deps.observe ? new LiveLook(deps.runtime.interfaceName, deps.runtime.hostsFile, this.now, deps.observe.networkInterfaces) : null;
    const pollMs = deps.observe?.pollMs ?? 0;
    this.poll =
      this.live !== null && pollMs > 0
        ? new DriftPoll({
            look: () => this.live!.look(),
            expected: () => this.expectedAliases,
            busy: () => this.loop.busy,
            onDrift: (missing) => {
              this.log.info({ trigger: 'drift', missing: missing.slice(0, 20), count: missing.length }, 'desired alias(es) gone from the interface; repairing');
              return this.trigger('drift');
            },
            baseIntervalMs: pollMs,
          })
        : null;
  }

  /** Listen on the socket, reconcile once, then arm the watchers and the schedule. */
  async start(): Promise<void> {
    this.api = createDaemonApi({
      statusCache: this.statusCache,
      health: () => this.health(),
      reconcile: () => this.trigger('api'),
      renderMetrics: () => this.renderMetrics(),
      metrics: this.metrics,
      logger: this.log,
      reconcileRate: this.deps.reconcileRate,
      now: this.now,
    });
    await this.api.listen(this.runtime.socket);
    this.log.info(
      { socket: this.runtime.socket, hostsFile: this.runtime.hostsFile, stateDir: this.runtime.stateDir, interface: this.runtime.interfaceName, version: version() },
      'loopkeeperd started',
    );
    this.deps.onMetrics?.('started');
    await this.trigger('startup');
    this.poll?.start();
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
    this.idleGc.stop();
    this.poll?.stop();
    await this.arming.close();
    const stopped = (await this.deps.stopConfigLoader?.()) ?? [];
    if (stopped.length > 0) this.log.info({ pids: stopped }, 'stopped the config loader that was running');
    await Promise.race([this.loop.idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
    await this.api?.close();
  }

  private async reconcileOnce(trigger: Trigger, triggers: readonly Trigger[]): Promise<ReconcileResponse> {
    this.log.debug({ trigger, triggers }, 'reconcile started');
    if (await this.configTracker.reload(trigger, this.recorder.lastReport !== null)) {
      this.statusVersion++;
      if (!this.stopping) this.arming.rearm(this.configTracker.desired?.settings.schedule ?? null);
    }
    const desired = this.configTracker.desired;
    // [pause] Read at every reconcile, whatever the trigger: while it holds nothing is changed.
    const pause = readPause(this.runtime.stateDir);
    if (pause.paused !== (this.pause !== null)) {
      const msg = pause.paused ? 'paused: nothing is added or repaired until `loopkeeper up`' : 'pause ended: enforcing again';
      this.log.info({ trigger, pause: pause.paused ? pause : null }, msg);
    }
    this.pause = pause.paused ? pause : null;
    let report: ReconcileReport;
    if (pause.paused) {
      report = await pausedReconcile(this.reconciler, desired, pause, trigger, this.now);
      this.recorder.forgetApplied(); // what `up` puts back is a restore, not a drift repair
    } else if (desired === null) {
      report = noConfigReport(trigger, this.configTracker.config, this.now());
    } else {
      report = await this.reconciler.reconcile(desired, { trigger });
    }
    const now = new Date(this.now());
    this.recorder.record(report, triggers, desired, this.configTracker.config, now);
    if (this.pause !== null) this.conditions.set('Ready', 'False', 'Paused', report.aliasesInSync.message, now); // [pause]
    // While paused nothing is repaired: the poll has nothing to watch.
    this.expectedAliases = this.pause !== null ? new Set() : new Set(report.aliases.filter((a) => a.desired && a.state === 'present').map((a) => a.address));
    this.seen = null;
    this.live?.forgetHosts();
    this.statusVersion++;
    this.deps.onMetrics?.('reconciled');
    this.log.debug({ trigger, result: report.result, durationMs: report.durationMs }, 'reconcile finished');
    this.idleGc.touch();
    return { ...report, config: { ...this.configTracker.config }, conditions: this.conditions.list() };
  }

  /**
   * Before each status answer: look at the interface (and the hosts file, when it moved) and bump
   * the status version when what is seen differs from the last look — so an alias deleted by hand
   * shows `missing` in the next answer, while an unchanged machine is still served from the cache.
   */
  private observeForStatus(): number {
    if (this.live === null || this.recorder.lastReport === null) return this.statusVersion;
    const r = this.recorder.lastReport;
    const look = this.live.forStatus();
    const desired = this.configTracker.desired;
    // The hosts file only while its last reconcile was in sync: a refused or damaged file is not read.
    const hosts = desired !== null && r.hostsInSync.status === 'True' ? this.live.hosts(desired.hosts) : null;
    if (this.seen !== null && this.seen.look === look && this.seen.hosts === hosts) return this.statusVersion;
    const back = look.present === null ? [] : r.aliases.filter((a) => a.desired && a.state === 'missing' && look.present!.has(a.address)).map((a) => a.address);
    const key = `${missingFrom(this.expectedAliases, look.present).join(',')}|${back.join(',')}|${hosts === null ? '-' : hosts.map((h) => h.state[0]).join('')}`;
    if (this.seen === null || key !== this.seen.key) this.statusVersion++;
    this.seen = { look, hosts, key };
    return this.statusVersion;
  }

  /** What the status and health documents are made of, now. */
  private state(withLive = true): DaemonState {
    const r = this.recorder.lastReport;
    let live: LiveState | null = null;
    // A look older than the last reconcile (a reused one) says nothing about what it changed.
    if (withLive && this.seen !== null && r !== null && this.seen.look.at >= Date.parse(r.at) + r.durationMs) {
      live = { at: this.seen.look.at, present: this.seen.look.present, hosts: this.seen.hosts };
    }
    return {
      version: version(),
      pid: process.pid,
      startedAt: this.startedAt,
      now: this.now(),
      socket: this.runtime.socket,
      hostsFile: this.runtime.hostsFile,
      interfaceName: this.runtime.interfaceName,
      reconciling: this.loop.busy,
      config: this.configTracker.config,
      lastReport: this.recorder.lastReport,
      conditions: this.conditions.list(),
      drift: this.recorder.drift,
      paused: this.pause && { at: this.pause.at, by: this.pause.by, user: this.pause.user, problem: this.pause.problem }, // [pause]
      live,
    };
  }

  /** The status document, observed live when the daemon observes (see observeForStatus). */
  status(): FullStatus {
    this.observeForStatus();
    return statusDocument(this.state());
  }

  health(): { healthy: boolean; body: HealthDocument } {
    return healthDocument(this.state(false));
  }

  /** The drift poll's counters (tests, the cost report); null without a poll. */
  pollStats(): { looks: number; triggers: number; intervalMs: number } | null {
    return this.poll ? { looks: this.poll.looks, triggers: this.poll.triggers, intervalMs: this.poll.intervalMs } : null;
  }

  renderMetrics(): string {
    const r = this.recorder.lastReport;
    const desired = this.configTracker.desired;
    const heap = getHeapStatistics();
    return this.metrics.render({
      residentBytes: residentBytes(),
      heapUsedBytes: heap.used_heap_size,
      heapTotalBytes: heap.total_heap_size,
      aliasesDesired: desired?.aliases.length ?? 0,
      aliasesPresent: r ? r.aliases.filter((a) => a.desired && a.state === 'present').length : 0,
      hostsDesired: desired?.hosts.length ?? 0,
      hostsPresent: r ? r.hosts.filter((x) => x.state === 'present').length : 0,
      configValid: this.configTracker.config.valid,
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
