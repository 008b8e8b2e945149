// Human rendering of a reconcile report (plan, apply, down, status). Plain text; colour only when
// the caller says the terminal wants it (TTY and no NO_COLOR).
import type { Change } from '../model';
import type { ReconcileReport } from '../reconcile/types';

export interface RenderOptions {
  color: boolean;
  /** Heading context, e.g. the interface and hosts file. */
  interfaceName?: string;
  hostsFile?: string;
  /** When the lists are the first entries of longer ones (a status summary): the full counts. */
  aliasesTotal?: number;
  hostsTotal?: number;
}

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
  return `${add} to add, ${update} to update, ${remove} to remove`;
}

/** `2 added, 1 updated, 0 removed`: what an apply did. */
export function appliedSummary(changes: Change[]): string {
  const n = (a: string): number => changes.filter((c) => c.action === a).length;
  return `${n('add')} added, ${n('update')} updated, ${n('remove')} removed`;
}

/** The aliases, hosts, changes and problems of a report as aligned text. */
export function renderReport(
  report: Pick<ReconcileReport, 'aliases' | 'hosts' | 'changes' | 'problems' | 'dryRun'> & { hostsDiff?: string[] },
  opts: RenderOptions,
): string {
  const paint = painter(opts.color);
  let out = '';
  const aliasRows = report.aliases.map((a) => [
    a.state === 'present' ? paint('green', a.state) : paint(a.state === 'failed' ? 'red' : 'yellow', a.state),
    a.address,
    [a.owned ? 'owned' : 'not owned', a.desired ? '' : 'not desired'].filter(Boolean).join(', '),
    a.error ?? '',
  ]);
  out += paint('bold', `Aliases${opts.interfaceName ? ` on ${opts.interfaceName}` : ''}`) + ` (${shownOf(report.aliases.length, opts.aliasesTotal)})\n`;
  out += aliasRows.length ? table(aliasRows) : '  none desired\n';
  const hostRows = report.hosts.map((h) => [
    h.state === 'present' ? paint('green', h.state) : paint(h.state === 'shadowed' ? 'red' : 'yellow', h.state),
    h.name,
    h.addresses.join(' '),
    h.state === 'present' ? '' : h.detail,
  ]);
  out += paint('bold', `Hosts${opts.hostsFile ? ` in ${opts.hostsFile}` : ''}`) + ` (${shownOf(report.hosts.length, opts.hostsTotal)})\n`;
  out += hostRows.length ? table(hostRows) : '  none desired\n';
  if (report.changes.length > 0) {
    out += paint('bold', report.dryRun ? 'Pending changes' : 'Changes made') + ` (${summarizeChanges(report.changes)})\n`;
    out += report.changes.map((c) => `  ${describeChange(c)}\n`).join('');
  }
  const diff = report.hostsDiff ?? [];
  if (diff.some((l) => !l.startsWith('  '))) {
    out += paint('bold', `Managed block${opts.hostsFile ? ` in ${opts.hostsFile}` : ''}`) + (report.dryRun ? ' (planned)' : '') + '\n';
    out += diff
      .map((l) => `  ${l.startsWith('+') ? paint('green', l) : l.startsWith('-') ? paint('red', l) : paint('dim', l)}\n`)
      .join('');
  }
  if (report.problems.length > 0) {
    out += paint('bold', 'Problems') + '\n';
    out += report.problems.map((p) => `  ${paint('red', '!')} ${p}\n`).join('');
  }
  return out;
}

function shownOf(shown: number, total: number | undefined): string {
  return total === undefined || total <= shown ? String(shown) : `first ${shown} of ${total.toLocaleString('en-US')}`;
}

/** One line that says how it went. */
export function renderSummary(report: ReconcileReport, color: boolean): string {
  const paint = painter(color);
  const n = report.changes.length;
  if (report.dryRun) {
    if (report.result === 'error') return paint('red', 'Cannot plan: see the problems above.') + '\n';
    return n === 0
      ? paint('green', 'No changes: the machine matches the config.') + '\n'
      : `Plan: ${summarizeChanges(report.changes)}. Run \`loopkeeper apply\` to make them.\n`;
  }
  const tail = ` (${report.durationMs} ms)`;
  if (report.result === 'ok') {
    return (n === 0 ? paint('green', 'Nothing to do: the machine matches the config.') : paint('green', `Done: ${appliedSummary(report.changes)}.`)) + tail + '\n';
  }
  return paint(report.result === 'error' ? 'red' : 'yellow', `Finished with problems (${report.result}).`) + tail + '\n';
}
