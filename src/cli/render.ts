// Human rendering of a reconcile report (plan, apply, down, reconcile, status). Plain text; colour
// only when the caller says the terminal wants it (TTY and no NO_COLOR).
//
// Two rules. Every line says what is true: a part that could not be planned or written says so
// (never "no changes" or "none desired" beside a problem that stopped it). Long lists are
// summarised unless `verbose`: a run of consecutive addresses in the same state collapses to one
// line with its count (a 4,096-address range is one line), and a list shows at most MAX_ROWS rows,
// the ones that need attention first, with a count of the rest.
import type { AliasEntry, Change, DesiredHost, HostEntry } from '../model';
import { parseIp, type ParsedIp } from '../net/ip';
import type { ReconcileReport, SyncVerdict } from '../reconcile/types';
import type { AliasReason, HostsReason } from '../reconcile/reasons';
import { cliHint } from './hint';

export interface RenderOptions {
  color: boolean;
  /** Heading context, e.g. the interface and hosts file. */
  interfaceName?: string;
  hostsFile?: string;
  /** Every address, name, change and diff line instead of the summary. */
  verbose?: boolean;
  /** What the report is of: a reconcile (plan, apply, status) or a `down`. */
  mode?: 'reconcile' | 'down';
  /** The desired names, when the caller knows them: shown when the hosts part failed before it could list them. */
  desiredHosts?: readonly DesiredHost[];
  /** Totals when the lists are a daemon's bounded summary (the entries are the first of them). */
  aliasesTotal?: number;
  hostsTotal?: number;
  /** Entries of such a summary that are not in the lists, per state: counted in the "… and N more" line. */
  aliasesUnlisted?: Readonly<Record<string, number>>;
  hostsUnlisted?: Readonly<Record<string, number>>;
  /** Why the lists are empty when nothing was observed (e.g. the daemon's first reconcile is running). */
  notObserved?: string;
}

/** What renderReport needs: a ReconcileReport, or the parts of a status document that map to one. */
export type ReportView = Pick<ReconcileReport, 'aliases' | 'hosts' | 'changes' | 'problems' | 'dryRun'> & {
  hostsDiff?: string[];
  aliasesInSync?: SyncVerdict<AliasReason>;
  hostsInSync?: SyncVerdict<HostsReason>;
};

/** Rows a list shows before the rest are counted instead of listed. */
export const MAX_ROWS = 20;
/** Problems shown before the rest are counted. */
export const MAX_PROBLEMS = 10;
/** Runs shorter than this are listed address by address (a pair reads better as two lines). */
const MIN_RUN = 3;

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
type Paint = (code: keyof typeof CODES, text: string) => string;

export function painter(color: boolean): Paint {
  return (code, text) => (color ? `\u001b[${CODES[code]}m${text}\u001b[0m` : text);
}

export function table(rows: string[][], indent = '  '): string {
  if (rows.length === 0) return '';
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(c).length)));
  return rows
    .map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c).length))).join('  ').trimEnd())
    .join('\n') + '\n';
}

function visible(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}

/**
 * 4096 → "4,096": every count a person reads. The same as n.toLocaleString('en-US') for the
 * integers counted here, without its first call setting up ICU's number formatting, which takes
 * 20-50 ms: as long as all the rest of `loopkeeper status`.
 */
export function count(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

// ---- runs of consecutive addresses ----

export interface Run<T> {
  items: T[];
  first: string;
  last: string;
}

/**
 * Groups items whose addresses follow each other (same family, each the previous + 1) and whose
 * `kind` is the same, keeping the order. Items whose address does not parse stand alone.
 */
export function runsOf<T>(items: readonly T[], address: (t: T) => string, kind: (t: T) => string): Run<T>[] {
  const runs: Run<T>[] = [];
  let current: Run<T> | null = null;
  let lastIp: ParsedIp | null = null;
  let lastKind = '';
  for (const item of items) {
    const a = address(item);
    const ip = parseIp(a);
    const k = kind(item);
    if (current && ip && lastIp && ip.family === lastIp.family && ip.value === lastIp.value + 1n && k === lastKind) {
      current.items.push(item);
      current.last = a;
    } else {
      current = { items: [item], first: a, last: a };
      runs.push(current);
    }
    lastIp = ip;
    lastKind = k;
  }
  return runs;
}

/** Short runs back into single items: only runs of MIN_RUN or more are worth a range line. */
function collapse<T>(runs: Run<T>[], address: (t: T) => string): Run<T>[] {
  return runs.flatMap((r) => (r.items.length >= MIN_RUN ? [r] : singles(r.items, address)));
}

function singles<T>(items: readonly T[], address: (t: T) => string): Run<T>[] {
  return items.map((i) => ({ items: [i], first: address(i), last: address(i) }));
}

/** `127.0.0.2`, or `127.10.0.0–127.10.15.255 (4,096 addresses)` for a run. */
export function runLabel(r: Run<unknown>): string {
  return r.items.length === 1 ? r.first : `${r.first}–${r.last} (${count(r.items.length)} addresses)`;
}

// ---- changes ----

export function describeChange(c: Change): string {
  if (c.kind === 'alias') return `${c.action === 'add' ? '+' : '-'} alias ${c.address}`;
  const sign = c.action === 'add' ? '+' : c.action === 'remove' ? '-' : '~';
  const was = c.action === 'update' && c.previous ? ` (was ${c.previous.join(' ')})` : '';
  return `${sign} host  ${c.name} ${c.addresses.join(' ')}${was}`;
}

export function summarizeChanges(changes: Change[]): string {
  const add = changes.filter((c) => c.action === 'add').length;
  const remove = changes.filter((c) => c.action === 'remove').length;
  const update = changes.filter((c) => c.action === 'update').length;
  return `${count(add)} to add, ${count(update)} to update, ${count(remove)} to remove`;
}

/** `2 added, 1 removed`: what an apply did (parts that did not happen are left out). */
export function appliedSummary(changes: Change[]): string {
  const n = (a: string): number => changes.filter((c) => c.action === a).length;
  const parts = [
    [n('add'), 'added'],
    [n('update'), 'updated'],
    [n('remove'), 'removed'],
  ].filter(([k]) => (k as number) > 0);
  return parts.length === 0 ? 'nothing changed' : parts.map(([k, w]) => `${count(k as number)} ${w as string}`).join(', ');
}

/** The change lines: alias changes in runs (`+ alias A–B (N addresses)`), the rest one a line, capped. */
export function changeLines(changes: readonly Change[], verbose: boolean): string[] {
  // Host changes have no address, so each stands alone.
  const addressOf = (c: Change): string => (c.kind === 'alias' ? c.address : '');
  const runs = verbose ? singles(changes, addressOf) : collapse(runsOf(changes, addressOf, (c) => `${c.kind} ${c.action}`), addressOf);
  const lines = runs.map((r) => {
    const c = r.items[0]!;
    if (r.items.length === 1 || c.kind !== 'alias') return describeChange(c);
    return `${c.action === 'add' ? '+' : '-'} alias ${runLabel(r)}`;
  });
  if (verbose || lines.length <= MAX_ROWS) return lines;
  const shown = lines.slice(0, MAX_ROWS);
  const rest = runs.slice(MAX_ROWS).reduce((n, r) => n + r.items.length, 0);
  shown.push(`… and ${plural(rest, 'more change')}; --verbose lists every one`);
  return shown;
}

// ---- lists with a cap ----

interface Row {
  cells: string[];
  /** Needs attention (not present): shown before the rows that are fine. */
  urgent: boolean;
  /** How many entries the row stands for, and their state (for the count of what is not shown). */
  size: number;
  state: string;
}

/**
 * At most MAX_ROWS rows, urgent ones first (in their order), then a line counting the rest by
 * state — together with `unlisted`, the entries a bounded summary did not send at all.
 */
function capped(rows: Row[], noun: { one: string; many: string }, verbose: boolean, unlisted: Readonly<Record<string, number>> = {}): string {
  const extra = Object.values(unlisted).reduce((n, k) => n + k, 0);
  if (verbose || (rows.length <= MAX_ROWS && extra === 0)) return table(rows.map((r) => r.cells));
  const urgent = rows.filter((r) => r.urgent).length;
  let fine = Math.max(0, MAX_ROWS - urgent);
  let budget = MAX_ROWS;
  const keep = rows.map((r) => {
    if (budget === 0) return false;
    if (r.urgent) return budget--, true;
    if (fine > 0) return fine--, budget--, true;
    return false;
  });
  const shown = rows.filter((_, i) => keep[i]);
  const hidden = rows.filter((_, i) => !keep[i]);
  const byState = new Map<string, number>();
  for (const r of hidden) byState.set(r.state, (byState.get(r.state) ?? 0) + r.size);
  for (const [state, n] of Object.entries(unlisted)) if (n > 0) byState.set(state, (byState.get(state) ?? 0) + n);
  const total = hidden.reduce((n, r) => n + r.size, 0) + extra;
  const states = [...byState].map(([s, n]) => `${count(n)} ${s}`).join(', ');
  return table(shown.map((r) => r.cells)) + `  … and ${count(total)} more ${total === 1 ? noun.one : noun.many} (${states}); --verbose lists every one\n`;
}

function aliasKind(a: AliasEntry): string {
  return `${a.state}|${a.owned}|${a.desired}|${a.error ?? ''}`;
}

function aliasRows(aliases: readonly AliasEntry[], paint: Paint, verbose: boolean): Row[] {
  const address = (a: AliasEntry): string => a.address;
  const runs = verbose ? singles(aliases, address) : collapse(runsOf(aliases, address, aliasKind), address);
  return runs.map((r) => {
    const a = r.items[0]!;
    return {
      cells: [
        a.state === 'present' ? paint('green', a.state) : paint(a.state === 'failed' ? 'red' : 'yellow', a.state),
        runLabel(r),
        [a.owned ? 'owned' : 'not owned', a.desired ? '' : 'not desired'].filter(Boolean).join(', '),
        a.error ?? '',
      ],
      urgent: a.state !== 'present',
      size: r.items.length,
      state: a.state,
    };
  });
}

function hostRows(hosts: readonly HostEntry[], paint: Paint, hideDetail: boolean): Row[] {
  return hosts.map((h) => ({
    cells: [
      h.state === 'present' ? paint('green', h.state) : paint(h.state === 'shadowed' ? 'red' : 'yellow', h.state),
      h.name,
      h.addresses.join(' '),
      h.state === 'present' || (hideDetail && h.state === 'missing') ? '' : h.detail,
    ],
    urgent: h.state !== 'present',
    size: 1,
    state: h.state,
  }));
}

// ---- verdicts ----

/** Alias reasons under which nothing could be planned or changed (not "pending", not a partial failure). */
const ALIASES_BLOCKED = new Set<AliasReason>(['InterfaceMissing', 'InterfaceDown', 'AliasesError', 'ConfigInvalid']);

export function aliasesBlocked(v: SyncVerdict<AliasReason> | undefined): boolean {
  return v !== undefined && v.status !== 'True' && ALIASES_BLOCKED.has(v.reason);
}

/**
 * The hosts part could not be planned or written: a damaged block, no valid config, or a failure
 * that left no entries at all (the file could not be read or written; the writer's reasons vary).
 */
export function hostsBlocked(v: SyncVerdict<HostsReason> | undefined, entries: number): boolean {
  if (v === undefined || v.status === 'True') return false;
  if (v.reason === 'BlockDamaged' || v.reason === 'ConfigInvalid') return true;
  return entries === 0 && v.reason !== 'ChangesPending' && v.reason !== 'Starting';
}

/** Why a part is blocked, in a few words (the Problems section has the whole story). */
function whyBlocked(v: SyncVerdict, part: 'aliases' | 'hosts', opts: { interfaceName?: string; hostsFile?: string }, dryRun: boolean): string {
  const iface = opts.interfaceName ?? 'the interface';
  const file = opts.hostsFile ?? 'the hosts file';
  switch (v.reason) {
    case 'InterfaceMissing':
      return `interface ${iface} does not exist`;
    case 'InterfaceDown':
      return `interface ${iface} is down`;
    case 'BlockDamaged':
      return `the managed block in ${file} is damaged`;
    case 'ConfigInvalid':
      return 'no valid config is loaded';
    // The hosts writer's failure kinds (src/hosts/writer.ts HostsFailure).
    case 'StateDirUnusable':
      return `no backup could be kept in the state dir, so ${file} was not touched`;
    case 'HostsDirUnsafe':
      return `the directory of ${file} is not safe to trust`;
    case 'HostsNotWritten':
      return `${file} could not be written`;
    case 'HostsPermissionDenied':
      return `${file} could not be written: permission denied`;
    case 'HostsReadOnly':
      return `${file} could not be written: its file system is read-only`;
    case 'HostsNoSpace':
      return `${file} could not be written: no space left on its file system`;
    case 'HostsContention':
      return `another program kept changing ${file} while loopkeeper wrote it`;
    case 'HostsRestored':
      return `a write of ${file} failed half-way and the old content was put back`;
    case 'HostsDamaged':
      return `a write of ${file} failed half-way and the old content could not be put back`;
    default:
      if (part === 'aliases') return `${iface} could not be observed`;
      return dryRun ? `${file} could not be read` : `${file} could not be read or written`;
  }
}

// ---- the report ----

/** The aliases, hosts, changes and problems of a report as aligned text. */
export function renderReport(report: ReportView, opts: RenderOptions): string {
  const paint = painter(opts.color);
  const verbose = Boolean(opts.verbose);
  const down = opts.mode === 'down';
  const verb = report.dryRun ? 'planned' : 'changed';
  let out = '';

  // Aliases
  const aliasTotal = Math.max(opts.aliasesTotal ?? 0, report.aliases.length);
  const aliasBlocked = aliasesBlocked(report.aliasesInSync) ? whyBlocked(report.aliasesInSync!, 'aliases', opts, report.dryRun) : null;
  out += paint('bold', `Aliases${opts.interfaceName ? ` on ${opts.interfaceName}` : ''}`) + ` (${count(aliasTotal)})`;
  out += aliasBlocked ? `: nothing can be ${verb} — ${aliasBlocked}\n` : '\n';
  if (report.aliases.length > 0) out += capped(aliasRows(report.aliases, paint, verbose), { one: 'address', many: 'addresses' }, verbose, opts.aliasesUnlisted);
  else if (opts.notObserved) out += `  not observed yet: ${opts.notObserved}\n`;
  else if (!aliasBlocked) out += down ? '  none that loopkeeper added\n' : '  none desired\n';

  // Hosts
  const hostsTotal = Math.max(opts.hostsTotal ?? 0, report.hosts.length);
  const hostsVerdict = report.hostsInSync;
  const hostsStuck = hostsBlocked(hostsVerdict, report.hosts.length) ? whyBlocked(hostsVerdict!, 'hosts', opts, report.dryRun) : null;
  const fallbackNames = report.hosts.length === 0 && hostsStuck && !down ? (opts.desiredHosts ?? []) : [];
  out += paint('bold', `Hosts${opts.hostsFile ? ` in ${opts.hostsFile}` : ''}`) + ` (${count(Math.max(hostsTotal, fallbackNames.length))})`;
  out += hostsStuck ? `: nothing can be ${verb} — ${hostsStuck}\n` : '\n';
  if (report.hosts.length > 0) {
    // A damaged block says the same long thing about every name: the heading and Problems say it once.
    const rows = hostRows(report.hosts, paint, hostsVerdict?.reason === 'BlockDamaged');
    out += capped(rows, { one: 'name', many: 'names' }, verbose, opts.hostsUnlisted);
  } else if (fallbackNames.length > 0) {
    const why = report.dryRun ? 'cannot be planned' : 'not written';
    const rows = fallbackNames.map((h) => ({ cells: [paint('yellow', 'unknown'), h.name, h.addresses.join(' '), why], urgent: true, size: 1, state: 'unknown' }));
    out += capped(rows, { one: 'name', many: 'names' }, verbose);
  } else if (opts.notObserved) {
    out += `  not observed yet: ${opts.notObserved}\n`;
  } else if (down) {
    const removed = report.changes.filter((c) => c.kind === 'hosts' && c.action === 'remove').length;
    out += removed > 0
      ? `  the managed block ${report.dryRun ? 'would be' : 'was'} removed (${plural(removed, 'name')})\n`
      : hostsStuck ? '' : '  no managed block\n';
  } else if (!hostsStuck) {
    out += '  none desired\n';
  }

  // Changes
  if (report.changes.length > 0) {
    out += paint('bold', report.dryRun ? 'Pending changes' : 'Changes made') + ` (${report.dryRun ? summarizeChanges(report.changes) : appliedSummary(report.changes)})\n`;
    out += changeLines(report.changes, verbose).map((l) => `  ${l}\n`).join('');
  }

  // The managed block as a diff
  const diff = report.hostsDiff ?? [];
  if (diff.some((l) => !l.startsWith('  '))) {
    out += paint('bold', `Managed block${opts.hostsFile ? ` in ${opts.hostsFile}` : ''}`) + (report.dryRun ? ' (planned)' : '') + '\n';
    out += diffLines(diff, verbose)
      .map((l) => `  ${l.startsWith('+') ? paint('green', l) : l.startsWith('-') ? paint('red', l) : paint('dim', l)}\n`)
      .join('');
  }

  // Problems
  if (report.problems.length > 0) {
    out += paint('bold', 'Problems') + '\n';
    const shown = verbose ? report.problems : report.problems.slice(0, MAX_PROBLEMS);
    out += shown.map((p) => `  ${paint('red', '!')} ${p}\n`).join('');
    if (shown.length < report.problems.length) {
      out += `  … and ${plural(report.problems.length - shown.length, 'more problem')}; --verbose lists every one\n`;
    }
  }
  return out;
}

/** The block diff: whole when short or verbose; otherwise only the changed lines, capped. */
export function diffLines(diff: readonly string[], verbose: boolean): string[] {
  const limit = MAX_ROWS * 2;
  if (verbose || diff.length <= limit) return [...diff];
  const changed = diff.filter((l) => !l.startsWith('  '));
  const shown = changed.slice(0, limit);
  const unchanged = diff.length - changed.length;
  const more = changed.length - shown.length;
  const parts = [more > 0 ? `${plural(more, 'more changed line')}` : '', unchanged > 0 ? `${plural(unchanged, 'unchanged line')}` : ''].filter(Boolean);
  return [...shown, `… ${parts.join(' and ')} not shown; --verbose shows the whole block`];
}

// ---- the one line that says how it went ----

export interface SummaryOptions {
  mode?: 'reconcile' | 'down';
  interfaceName?: string;
  hostsFile?: string;
  /** The config on disk is not the one in force (the daemon keeps enforcing the last valid one). */
  configNote?: string;
}

/** One line that says how it went, and never more than what is true. */
export function renderSummary(report: ReportView & Pick<ReconcileReport, 'result' | 'durationMs'>, color: boolean, opts: SummaryOptions = {}): string {
  const paint = painter(color);
  const n = report.changes.length;
  const problems = report.problems.length > 0;
  const where = { interfaceName: opts.interfaceName, hostsFile: opts.hostsFile };
  const stuck: string[] = [];
  if (aliasesBlocked(report.aliasesInSync)) stuck.push(`the aliases (${whyBlocked(report.aliasesInSync!, 'aliases', where, report.dryRun)})`);
  if (hostsBlocked(report.hostsInSync, report.hosts.length)) {
    const part = opts.mode === 'down' ? 'the managed block' : 'the hosts file';
    stuck.push(`${part} (${whyBlocked(report.hostsInSync!, 'hosts', where, report.dryRun)})`);
  }
  const note = opts.configNote ? ` ${opts.configNote}` : '';

  if (report.dryRun) {
    if (report.result === 'error' && stuck.length === 0) return paint('red', 'Cannot plan: see the problems above.') + '\n';
    if (stuck.length > 0) {
      const rest = n > 0 ? ` Planned for the rest: ${summarizeChanges(report.changes)}.` : ' Nothing else is pending.';
      return paint('red', `Cannot plan ${stuck.join(' or ')}: see the problems above.`) + rest + note + '\n';
    }
    if (n === 0) {
      if (problems) return paint('yellow', 'No changes to make, but see the problems above.') + note + '\n';
      return paint('green', opts.mode === 'down' ? 'Nothing to remove: nothing loopkeeper added is left.' : 'No changes: the machine matches the config.') + note + '\n';
    }
    const run = `\`${cliHint(opts.mode === 'down' ? 'down' : 'apply')}\``;
    return `Plan: ${summarizeChanges(report.changes)}. Run ${run} to make them.${problems ? ' See the problems above.' : ''}${note}\n`;
  }

  const tail = ` (${report.durationMs} ms)`;
  if (report.result === 'ok' && stuck.length === 0) {
    if (n > 0) return paint('green', `Done: ${appliedSummary(report.changes)}.`) + (problems ? ' See the problems above.' : '') + note + tail + '\n';
    if (problems) return paint('yellow', 'Nothing to do, but see the problems above.') + note + tail + '\n';
    const nothing = opts.mode === 'down' ? 'Nothing to remove: nothing loopkeeper added is left.' : 'Nothing to do: the machine matches the config.';
    return paint('green', nothing) + note + tail + '\n';
  }
  const done = n > 0 ? `${appliedSummary(report.changes)}; ` : 'nothing changed; ';
  const what = stuck.length > 0 ? `could not change ${stuck.join(' or ')}` : 'see the problems above';
  return paint(report.result === 'error' ? 'red' : 'yellow', `Finished with problems (${report.result}): ${done}${what}.`) + note + tail + '\n';
}

/**
 * The entries of a bounded summary's list that `shown` does not hold, per state: the summary's
 * counts for the whole list minus what was sent.
 */
export function unlistedByState(summary: { byState: Readonly<Record<string, number>> } | undefined, shown: readonly { state: string }[]): Record<string, number> {
  if (!summary) return {};
  const out: Record<string, number> = { ...summary.byState };
  for (const e of shown) if (out[e.state] !== undefined) out[e.state] = Math.max(0, out[e.state]! - 1);
  return out;
}
