// The documents GET /v1/status and GET /v1/health answer with, as pure functions of the daemon's
// state: no clock, no process, no file is read here (the caller passes `now` and what it saw).
// The status cache (src/api/status-cache.ts) bounds and serialises the result once per version.
import type { ConfigStatus, Condition, DriftInfo, FullStatus, HealthDocument, LiveInfo } from '../api/types';
import type { AliasEntry, HostEntry } from '../model';
import type { ReconcileReport } from '../reconcile/types';
import type { PauseInfo } from '../state/pause';
import { conditionOf } from '../api/types';

/** What was seen when the status was asked (src/daemon/live-look.ts). */
export interface LiveState {
  /** ms since the epoch */
  at: number;
  /** Canonical addresses on the interface, or null when it is not listed (down or gone). */
  present: ReadonlySet<string> | null;
  /** The desired names' state in the hosts file now, or null when not looked at. */
  hosts: readonly HostEntry[] | null;
}

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
  /** What was observed when the status was asked, or null (not observed: the document is the last reconcile's). */
  live?: LiveState | null;
  /** `loopkeeper down` holds (STATE_DIR/paused), or null. */
  paused?: PauseInfo | null;
}

export function statusDocument(s: DaemonState): FullStatus {
  const r = s.lastReport;
  const seen = r && s.live ? liveOverlay(r, s.conditions, s.live) : null;
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
    conditions: seen?.conditions ?? s.conditions.map((c) => ({ ...c })),
    // Shared, not copied (65,536 entries): the status cache only reads them.
    aliases: seen?.aliases ?? r?.aliases ?? [],
    hosts: seen?.hosts ?? r?.hosts ?? [],
    changes: [],
    drift: { ...s.drift },
    paused: s.paused ? { ...s.paused } : null,
    live: seen?.info ?? null,
  };
}

/**
 * The last reconcile's entries and conditions corrected by what is seen now: a desired alias that
 * was present and is gone is `missing` (and AliasesInSync False, AliasesMissing: a repair is due);
 * one that was missing and is back is `present`; the same for host names. Lists are copied only
 * when something differs.
 */
export function liveOverlay(
  r: ReconcileReport,
  conditions: readonly Condition[],
  live: LiveState,
): { aliases: AliasEntry[]; hosts: HostEntry[]; conditions: Condition[]; info: LiveInfo } {
  const at = new Date(live.at).toISOString();
  let aliases = r.aliases;
  const gone: string[] = [];
  let aliasesChanged = false;
  for (let i = 0; i < r.aliases.length; i++) {
    const e = r.aliases[i]!;
    if (!e.desired || e.state === 'failed') continue;
    const now = live.present !== null && live.present.has(e.address) ? 'present' : 'missing';
    if (now === e.state) continue;
    if (!aliasesChanged) {
      aliases = r.aliases.slice();
      aliasesChanged = true;
    }
    aliases[i] = { ...e, state: now };
    if (now === 'missing') gone.push(e.address);
  }
  let hosts = r.hosts;
  const namesGone: string[] = [];
  if (live.hosts !== null) {
    const byName = new Map(live.hosts.map((h) => [h.name, h]));
    let hostsChanged = false;
    for (let i = 0; i < r.hosts.length; i++) {
      const e = r.hosts[i]!;
      const h = byName.get(e.name);
      if (h === undefined || h.state === e.state) continue;
      if (!hostsChanged) {
        hosts = r.hosts.slice();
        hostsChanged = true;
      }
      hosts[i] = { ...e, state: h.state, detail: h.detail };
      if (h.state === 'missing') namesGone.push(e.name);
    }
  }
  const out = conditions.map((c) => ({ ...c }));
  const set = <T extends Condition>(c: T, status: T['status'], reason: T['reason'], message: string): void => {
    if (c.status !== status) c.lastTransitionTime = at;
    c.status = status;
    c.reason = reason;
    c.message = message;
  };
  const aliasC = conditionOf(out, 'AliasesInSync');
  const hostsC = conditionOf(out, 'HostsInSync');
  const ready = conditionOf(out, 'Ready');
  const why: string[] = [];
  // Only a part that was in sync changes its condition: one already False (Paused, AliasesFailed…)
  // keeps its own reason; its entries still show what is seen.
  if (gone.length > 0 && aliasC !== undefined && aliasC.status === 'True') {
    const where = live.present === null ? ' (the interface is not listed as up)' : '';
    const m = `${gone.length} desired alias(es) gone since the last reconcile${where}: ${listed(gone)}; a repair is due`;
    set(aliasC, 'False', 'AliasesMissing', m);
    why.push(m);
  }
  if (namesGone.length > 0 && hostsC !== undefined && hostsC.status === 'True') {
    const m = `${namesGone.length} desired name(s) gone from the hosts file since the last reconcile: ${listed(namesGone)}; a repair is due`;
    set(hostsC, 'False', 'NamesMissing', m);
    why.push(m);
  }
  if (why.length > 0 && ready !== undefined && ready.status === 'True') {
    set(ready, 'False', gone.length > 0 ? 'AliasesNotInSync' : 'HostsNotInSync', why.join('; '));
  }
  return { aliases, hosts, conditions: out, info: { at, aliasesMissing: gone.length, hostsMissing: namesGone.length } };
}

function listed(items: readonly string[]): string {
  return items.length <= 5 ? items.join(', ') : `${items.slice(0, 5).join(', ')}, … (${items.length - 5} more)`;
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
