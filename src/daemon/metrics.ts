// Prometheus text exposition (format 0.0.4) of the daemon's counters and gauges. Hand-written:
// a dozen series do not justify a client library, and this keeps the daemon's RSS small.
// Every series is prefixed `loopkeeper_`, has HELP and TYPE, counters end in `_total`, units in
// names (`_seconds`), as `promtool check metrics` requires.

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Gauges {
  aliasesDesired: number;
  aliasesPresent: number;
  hostsDesired: number;
  hostsPresent: number;
  configValid: boolean;
  ready: boolean;
  lastReconcileTimestampSeconds: number;
  startTimeSeconds: number;
  /** process.memoryUsage(): resident set, V8 heap used and total. */
  residentBytes: number | null;
  heapUsedBytes: number;
  heapTotalBytes: number;
}

export class Metrics {
  /** key `trigger|result` → count */
  private readonly reconciles = new Map<string, number>();
  private readonly buckets = DURATION_BUCKETS.map(() => 0);
  private durationCount = 0;
  private durationSum = 0;
  errors = 0;
  driftRepairs = 0;
  changesApplied = 0;
  /** key `route|code` → count */
  private readonly requests = new Map<string, number>();
  rateLimited = 0;

  recordReconcile(trigger: string, result: string, durationMs: number, changes: number): void {
    const key = `${trigger}|${result}`;
    this.reconciles.set(key, (this.reconciles.get(key) ?? 0) + 1);
    const seconds = durationMs / 1000;
    DURATION_BUCKETS.forEach((le, i) => {
      if (seconds <= le) this.buckets[i]! += 1;
    });
    this.durationCount += 1;
    this.durationSum += seconds;
    if (result !== 'ok') this.errors += 1;
    this.changesApplied += changes;
  }

  recordRequest(route: string, code: number): void {
    const key = `${route}|${code}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  render(g: Gauges): string {
    const out: string[] = [];
    const head = (name: string, type: string, help: string): void => {
      out.push(`# HELP loopkeeper_${name} ${help}`, `# TYPE loopkeeper_${name} ${type}`);
    };
    head('reconciles_total', 'counter', 'Reconciles finished, by trigger and result.');
    for (const [key, n] of [...this.reconciles].sort()) {
      const [trigger, result] = key.split('|');
      out.push(`loopkeeper_reconciles_total{trigger="${trigger}",result="${result}"} ${n}`);
    }
    head('reconcile_errors_total', 'counter', 'Reconciles that did not converge (result degraded or error).');
    out.push(`loopkeeper_reconcile_errors_total ${this.errors}`);
    head('reconcile_duration_seconds', 'histogram', 'Time one reconcile took.');
    DURATION_BUCKETS.forEach((le, i) => out.push(`loopkeeper_reconcile_duration_seconds_bucket{le="${le}"} ${this.buckets[i]}`));
    out.push(`loopkeeper_reconcile_duration_seconds_bucket{le="+Inf"} ${this.durationCount}`);
    out.push(`loopkeeper_reconcile_duration_seconds_sum ${round(this.durationSum)}`);
    out.push(`loopkeeper_reconcile_duration_seconds_count ${this.durationCount}`);
    head('changes_applied_total', 'counter', 'Alias and hosts changes applied.');
    out.push(`loopkeeper_changes_applied_total ${this.changesApplied}`);
    head('drift_repairs_total', 'counter', 'Reconciles that repaired drift (changes needed without a config change).');
    out.push(`loopkeeper_drift_repairs_total ${this.driftRepairs}`);
    head('api_requests_total', 'counter', 'Socket API requests, by route and status code.');
    for (const [key, n] of [...this.requests].sort()) {
      const [route, code] = key.split('|');
      out.push(`loopkeeper_api_requests_total{route="${route}",code="${code}"} ${n}`);
    }
    head('aliases_desired', 'gauge', 'Aliases the config asks for.');
    out.push(`loopkeeper_aliases_desired ${g.aliasesDesired}`);
    head('aliases_present', 'gauge', 'Desired aliases present on the interface after the last reconcile.');
    out.push(`loopkeeper_aliases_present ${g.aliasesPresent}`);
    head('hosts_desired', 'gauge', 'Host names the config asks for.');
    out.push(`loopkeeper_hosts_desired ${g.hostsDesired}`);
    head('hosts_present', 'gauge', 'Desired host names present in the managed block after the last reconcile.');
    out.push(`loopkeeper_hosts_present ${g.hostsPresent}`);
    head('config_valid', 'gauge', '1 when the config on disk is valid, 0 when the last valid one is kept.');
    out.push(`loopkeeper_config_valid ${g.configValid ? 1 : 0}`);
    head('ready', 'gauge', '1 when the Ready condition is True.');
    out.push(`loopkeeper_ready ${g.ready ? 1 : 0}`);
    head('last_reconcile_timestamp_seconds', 'gauge', 'Unix time the last reconcile finished (0: none yet).');
    out.push(`loopkeeper_last_reconcile_timestamp_seconds ${round(g.lastReconcileTimestampSeconds)}`);
    head('start_time_seconds', 'gauge', 'Unix time the daemon started.');
    out.push(`loopkeeper_start_time_seconds ${round(g.startTimeSeconds)}`);
    if (g.residentBytes !== null) {
      head('resident_memory_bytes', 'gauge', 'Resident memory of the daemon process.');
      out.push(`loopkeeper_resident_memory_bytes ${g.residentBytes}`);
    }
    head('heap_used_bytes', 'gauge', 'V8 heap in use.');
    out.push(`loopkeeper_heap_used_bytes ${g.heapUsedBytes}`);
    head('heap_total_bytes', 'gauge', 'V8 heap reserved.');
    out.push(`loopkeeper_heap_total_bytes ${g.heapTotalBytes}`);
    return out.join('\n') + '\n';
  }
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
