// How the daemon's full state is summarised into the status document on the wire (GET /v1/status;
// its type is in ./types.ts, shared by the daemon, the server and the CLI).
//
// Bounded on purpose: a config within the limits (a /16 range, 65,536 aliases) made the whole
// document 24 MB, and eight clients slowed the daemon to one answer a second. By default the
// document carries counts per state, the first entries of each list and the entries that are not
// present (what needs attention); long lists of messages are capped with their totals. Every
// entry on request, a page at a time:
//   GET /v1/status?aliases=all[&offset=N][&limit=M]   aliases[offset, offset+M) (M ≤ PAGE_MAX)
//   GET /v1/status?hosts=all[&offset=N][&limit=M]     the same for host names
// A page is also bounded in bytes (PAGE_MAX_BYTES): `page.next` says where the next one starts.
import type { AliasEntry, Change, HostEntry } from '../model';
import type { Condition, ConfigInfo, FullStatus, HostEntryView, LastReconcileInfo, ListSummary, PageInfo, StatusDocument, StatusSummary } from './types';

// The documents are declared in ./types.ts (the one contract); re-exported for existing imports.
export type { ConfigInfo, DaemonInfo, FullStatus, HostEntryView, LastReconcileInfo, ListSummary, PageInfo, StatusDocument, StatusSummary } from './types';

/** Entries of each list in the default document. */
export const SUMMARY_ENTRIES = 100;
/** Entries that are not present, listed in the summary of each list. */
export const SUMMARY_NOT_PRESENT = 20;
/** Messages (errors, warnings, problems), changes and files shown before "and N more". */
export const SUMMARY_MESSAGES = 50;
export const SUMMARY_CHANGES = 100;
export const PAGE_DEFAULT = 1000;
export const PAGE_MAX = 4096;
export const PAGE_MAX_BYTES = 512 * 1024;
/** Per-list byte budget of the default document. */
export const SUMMARY_LIST_BYTES = 64 * 1024;
/** A longer string (a tool's stderr, a message) is cut here with "…". */
export const MAX_STRING = 1000;
/** Addresses of one host entry beyond this are counted in `addressesTotal`, not listed. */
export const MAX_HOST_ADDRESSES = 16;

export type StatusQuery = { list: null } | { list: 'aliases' | 'hosts'; offset: number; limit: number };

const KNOWN = ['aliases', 'hosts', 'offset', 'limit'];

/** Reads the query of GET /v1/status; unknown or repeated parameters are refused (typos must not pass). */
export function parseStatusQuery(params: URLSearchParams): { ok: true; query: StatusQuery } | { ok: false; message: string } {
  const seen = new Map<string, string>();
  for (const [k, v] of params) {
    if (!KNOWN.includes(k)) {
      return { ok: false, message: `unknown parameter ${JSON.stringify(clip(k, 40))}; /v1/status accepts aliases=all or hosts=all, with offset and limit` };
    }
    if (seen.has(k)) return { ok: false, message: `parameter ${k} given twice` };
    seen.set(k, v);
  }
  const aliases = seen.get('aliases');
  const hosts = seen.get('hosts');
  for (const [k, v] of [['aliases', aliases], ['hosts', hosts]] as const) {
    if (v !== undefined && v !== 'all') return { ok: false, message: `${k}=${JSON.stringify(clip(v, 40))}: the only value is ${k}=all` };
  }
  if (aliases !== undefined && hosts !== undefined) return { ok: false, message: 'ask for aliases=all or hosts=all, one list per request' };
  const list = aliases !== undefined ? 'aliases' : hosts !== undefined ? 'hosts' : null;
  if (list === null) {
    if (seen.has('offset') || seen.has('limit')) return { ok: false, message: 'offset and limit page a list: add aliases=all or hosts=all' };
    return { ok: true, query: { list: null } };
  }
  const offset = integer(seen.get('offset'), 0);
  const limit = integer(seen.get('limit'), PAGE_DEFAULT);
  if (offset === null || offset > 2 ** 31) return { ok: false, message: 'offset must be a whole number ≥ 0' };
  if (limit === null || limit < 1 || limit > PAGE_MAX) return { ok: false, message: `limit must be a whole number from 1 to ${PAGE_MAX}` };
  return { ok: true, query: { list, offset, limit } };
}

function integer(v: string | undefined, fallback: number): number | null {
  if (v === undefined) return fallback;
  if (!/^\d{1,10}$/.test(v)) return null;
  return Number(v);
}

export function clip(s: string, max = MAX_STRING): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function aliasView(a: AliasEntry): AliasEntry {
  return a.error !== undefined && a.error.length > MAX_STRING ? { ...a, error: clip(a.error) } : a;
}

function hostView(h: HostEntry): HostEntryView {
  if (h.addresses.length <= MAX_HOST_ADDRESSES && h.detail.length <= MAX_STRING) return h;
  const out: HostEntryView = { ...h, detail: clip(h.detail) };
  if (h.addresses.length > MAX_HOST_ADDRESSES) {
    out.addresses = h.addresses.slice(0, MAX_HOST_ADDRESSES);
    out.addressesTotal = h.addresses.length;
  }
  return out;
}

/** Up to `max` entries from `offset`, stopping before the list's JSON passes `bytes`. */
function take<E, V>(list: readonly E[], offset: number, max: number, bytes: number, view: (e: E) => V): V[] {
  const out: V[] = [];
  let size = 2;
  for (let i = offset; i < list.length && out.length < max; i++) {
    const v = view(list[i]!);
    size += JSON.stringify(v).length + 1;
    if (size > bytes && out.length > 0) break;
    out.push(v);
  }
  return out;
}

function counts<E>(list: readonly E[], state: (e: E) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of list) {
    const s = state(e);
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}

function cappedStrings(list: readonly string[], max: number): string[] {
  return list.slice(0, max).map((s) => clip(s));
}

function summaryOf<E extends { state: string }, V>(
  list: readonly E[],
  shown: number,
  offset: number,
  name: 'aliases' | 'hosts',
  view: (e: E) => V,
): ListSummary<V> {
  const notPresentAll = list.filter((e) => e.state !== 'present');
  return {
    total: list.length,
    shown,
    offset,
    byState: counts(list, (e) => e.state),
    notPresent: take(notPresentAll, 0, SUMMARY_NOT_PRESENT, SUMMARY_LIST_BYTES / 2, view),
    notPresentTotal: notPresentAll.length,
    all: `/v1/status?${name}=all`,
  };
}

/**
 * Everything but `daemon` (which changes every second and is added per request), summarised for
 * `query`. The result only depends on the daemon's state, so it is cached per state version.
 */
export function statusBody(full: FullStatus, query: StatusQuery): Omit<StatusDocument, 'daemon'> {
  const config = configView(full.config);
  const r = full.lastReconcile;
  let lastReconcile: LastReconcileInfo | null = null;
  if (r) {
    lastReconcile = { ...r, changes: r.changes.slice(0, SUMMARY_CHANGES), problems: cappedStrings(r.problems, SUMMARY_MESSAGES) };
    if (r.changes.length > SUMMARY_CHANGES) lastReconcile.changesTotal = r.changes.length;
    if (r.problems.length > SUMMARY_MESSAGES) lastReconcile.problemsTotal = r.problems.length;
  }

  const paged = query.list;
  const aliasOffset = paged === 'aliases' ? query.offset : 0;
  const hostOffset = paged === 'hosts' ? query.offset : 0;
  const aliases =
    paged === 'aliases'
      ? take(full.aliases, aliasOffset, query.limit, PAGE_MAX_BYTES, aliasView)
      : take(full.aliases, 0, SUMMARY_ENTRIES, SUMMARY_LIST_BYTES, aliasView);
  const hosts =
    paged === 'hosts'
      ? take(full.hosts, hostOffset, query.limit, PAGE_MAX_BYTES, hostView)
      : take(full.hosts, 0, SUMMARY_ENTRIES, SUMMARY_LIST_BYTES, hostView);

  const doc: Omit<StatusDocument, 'daemon'> = {
    config,
    lastReconcile,
    conditions: conditionsView(full.conditions),
    aliases,
    hosts,
    changes: full.changes.slice(0, SUMMARY_CHANGES),
    drift: full.drift,
    paused: full.paused ?? null,
    live: full.live ?? null,
    summary: {
      aliases: { ...summaryOf(full.aliases, aliases.length, aliasOffset, 'aliases', aliasView), owned: full.aliases.filter((a) => a.owned).length },
      hosts: summaryOf(full.hosts, hosts.length, hostOffset, 'hosts', hostView),
    },
  };
  if (paged !== null) {
    const total = paged === 'aliases' ? full.aliases.length : full.hosts.length;
    const returned = paged === 'aliases' ? aliases.length : hosts.length;
    const end = query.offset + returned;
    doc.page = {
      list: paged,
      offset: query.offset,
      limit: query.limit,
      returned,
      total,
      next: end < total ? `/v1/status?${paged}=all&offset=${end}&limit=${query.limit}` : null,
    };
  }
  return doc;
}

function conditionsView(list: readonly Condition[]): Condition[] {
  return list.map((x) => ({ ...x, message: clip(x.message, MAX_STRING * 4) }));
}

function configView(c: ConfigInfo): ConfigInfo {
  const config: ConfigInfo = {
    ...c,
    files: c.files.slice(0, SUMMARY_MESSAGES * 2),
    error: c.error === null ? null : clip(c.error, MAX_STRING * 4),
    errors: cappedStrings(c.errors ?? [], SUMMARY_MESSAGES),
    warnings: cappedStrings(c.warnings, SUMMARY_MESSAGES),
  };
  if (c.files.length > config.files.length) config.filesTotal = c.files.length;
  if ((c.errors ?? []).length > SUMMARY_MESSAGES) config.errorsTotal = c.errors!.length;
  if (c.warnings.length > SUMMARY_MESSAGES) config.warningsTotal = c.warnings.length;
  return config;
}

/**
 * The reconcile answer (POST /v1/reconcile), bounded the same way: the first entries of each list
 * and a summary with the counts. `loopkeeper status --verbose` reads every entry.
 */
export function reconcileBody<R extends { aliases: AliasEntry[]; hosts: HostEntry[]; changes: Change[]; problems: string[]; hostsDiff?: string[] }>(
  report: R,
): Omit<R, 'aliases' | 'hosts'> & { aliases: AliasEntry[]; hosts: HostEntryView[]; summary: StatusSummary; changesTotal?: number; problemsTotal?: number; hostsDiffTotal?: number } {
  const aliases = take(report.aliases, 0, SUMMARY_ENTRIES, SUMMARY_LIST_BYTES, aliasView);
  const hosts = take(report.hosts, 0, SUMMARY_ENTRIES, SUMMARY_LIST_BYTES, hostView);
  const out = {
    ...report,
    aliases,
    hosts,
    changes: report.changes.slice(0, SUMMARY_CHANGES),
    problems: cappedStrings(report.problems, SUMMARY_MESSAGES),
    summary: {
      aliases: { ...summaryOf(report.aliases, aliases.length, 0, 'aliases', aliasView), owned: report.aliases.filter((a) => a.owned).length },
      hosts: summaryOf(report.hosts, hosts.length, 0, 'hosts', hostView),
    },
  } as ReturnType<typeof reconcileBody<R>>;
  if (report.hostsDiff !== undefined) {
    (out as { hostsDiff?: string[] }).hostsDiff = cappedStrings(report.hostsDiff, SUMMARY_CHANGES * 2);
    if (report.hostsDiff.length > SUMMARY_CHANGES * 2) out.hostsDiffTotal = report.hostsDiff.length;
  }
  const extra = report as { config?: ConfigInfo; conditions?: Condition[] };
  if (extra.config) (out as { config?: ConfigInfo }).config = configView(extra.config);
  if (extra.conditions) (out as { conditions?: Condition[] }).conditions = conditionsView(extra.conditions);
  if (report.changes.length > SUMMARY_CHANGES) out.changesTotal = report.changes.length;
  if (report.problems.length > SUMMARY_MESSAGES) out.problemsTotal = report.problems.length;
  return out;
}
