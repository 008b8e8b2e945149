// `loopkeeper status [--json]`: ask the daemon. Exit 0 when it answers and is Ready, 1 when it
// answers and is not, 4 when it does not answer — then say so and show the local plan (what the
// daemon would change), whatever the local config's state. Never needs root.
import { EXIT } from '../../exit-codes';
import type { PageInfo, StatusDocument } from '../../api/status-view';
import type { SyncVerdict } from '../../reconcile/types';
import type { ReasonOf } from '../../reconcile/reasons';
import { conditionOf } from '../../daemon/conditions';
import { callDaemon, DaemonUnreachable } from '../client';
import type { CommandContext, CommandRun } from '../context';
import { painter, renderReport, table, unlistedByState } from '../render';
import { cliHint } from '../hint';
import { describePause } from '../../state/pause';
import { currentPause, pausedLine, pauseInfo, upHint } from '../pause';

export interface StatusOptions {
  json?: boolean;
}

export type { StatusDocument } from '../../api/status-view';

/** Entries per page when --verbose reads every one (the daemon's PAGE_MAX). */
const PAGE = 4096;

export const run: CommandRun<StatusOptions> = async (ctx, opts) => {
  let doc: StatusDocument;
  try {
    doc = await get<StatusDocument>(ctx, '/v1/status');
    if (ctx.verbose) doc = await withEveryEntry(ctx, doc);
  } catch (e) {
    if (e instanceof DaemonUnreachable) return notRunning(ctx, e, Boolean(opts.json));
    throw e;
  }
  const readyCondition = doc.conditions.find((c) => c.type === 'Ready');
  const ready = readyCondition?.status === 'True';
  if (opts.json) ctx.out(JSON.stringify(doc, null, 2) + '\n');
  else if (ctx.quiet) {
    if (!ready) ctx.err(`loopkeeper: not Ready (${readyCondition?.reason ?? 'no Ready condition'}): ${readyCondition?.message ?? ''}\n`);
  } else ctx.out(renderStatus(doc, ctx));
  return ready ? EXIT.OK : EXIT.FAILURE;
};

async function get<T>(ctx: CommandContext, path: string): Promise<T> {
  const res = await callDaemon<T>(ctx.runtime.socket, 'GET', path, 5000);
  if (res.status !== 200) throw new DaemonUnreachable(ctx.runtime.socket, `unexpected answer ${res.status} to GET ${path}`);
  return res.body;
}

/** Reads every page of the lists the summary cut, and puts them in place of the first entries. */
async function withEveryEntry(ctx: CommandContext, doc: StatusDocument): Promise<StatusDocument> {
  const out = { ...doc };
  for (const list of ['aliases', 'hosts'] as const) {
    const total = doc.summary?.[list]?.total ?? doc[list].length;
    if (total <= doc[list].length) continue;
    const entries: unknown[] = [];
    let next: string | null = `/v1/status?${list}=all&offset=0&limit=${PAGE}`;
    // Each page returns at least one entry; the bound only guards against a daemon gone wrong.
    for (let pages = 0; next !== null && pages <= total; pages++) {
      const page: StatusDocument = await get<StatusDocument>(ctx, next);
      const info: PageInfo | undefined = page.page;
      entries.push(...page[list]);
      next = info && info.returned > 0 ? info.next : null;
    }
    (out as Record<typeof list, unknown[]>)[list] = entries;
    if (out.summary) out.summary = { ...out.summary, [list]: { ...out.summary[list], shown: entries.length } };
  }
  return out;
}

export function renderStatus(doc: StatusDocument, ctx: Pick<CommandContext, 'color' | 'runtime' | 'verbose'>): string {
  const paint = painter(ctx.color);
  let out = `loopkeeperd ${doc.daemon.version} (pid ${doc.daemon.pid}, up ${duration(doc.daemon.uptimeSeconds)})${doc.daemon.reconciling ? ', reconciling now' : ''}\n`;
  if (doc.paused) out += `${paint('yellow', 'Paused')} ${describePause({ paused: true, ...doc.paused })} (\`loopkeeper down\`): nothing is added or repaired until \`${cliHint('up', { sudo: true })}\`\n`;
  out += `Config: ${doc.config.files.join(', ') || '(none)'}${more(doc.config.filesTotal, doc.config.files.length, 'file')} — ${configState(doc.config, paint)}\n`;
  for (const w of doc.config.warnings) out += `  ${paint('yellow', 'warning')} ${w}\n`;
  if (doc.config.warningsTotal) out += `  … and ${count(doc.config.warningsTotal - doc.config.warnings.length)} more warning(s): \`${cliHint('validate')}\` lists them\n`;
  const r = doc.lastReconcile;
  out += r
    ? `Last reconcile: ${r.at} (${r.trigger}, ${r.result}, ${r.durationMs} ms, ${r.changesTotal ?? r.changes.length} change(s))\n`
    : 'Last reconcile: none yet\n';
  out += `Drift repairs: ${doc.drift.repairs}${doc.drift.lastAt ? ` (last ${doc.drift.lastAt})` : ''}\n`;
  out += paint('bold', 'Conditions') + '\n';
  out += table(
    doc.conditions.map((c) => [
      c.type,
      c.status === 'True' ? paint('green', c.status) : paint(c.status === 'False' ? 'red' : 'yellow', c.status),
      c.reason,
      c.message,
    ]),
  );
  const verdict = <T extends 'AliasesInSync' | 'HostsInSync'>(type: T): SyncVerdict<ReasonOf[T]> | undefined => {
    const c = conditionOf(doc.conditions, type);
    return c ? { status: c.status, reason: c.reason, message: c.message } : undefined;
  };
  const problems = r?.problems ?? [];
  out += renderReport(
    { aliases: doc.aliases, hosts: doc.hosts, changes: [], problems, dryRun: false, aliasesInSync: verdict('AliasesInSync'), hostsInSync: verdict('HostsInSync') },
    // The daemon's paths, not this CLI's: they may differ (flags, environment).
    {
      color: ctx.color,
      verbose: ctx.verbose,
      interfaceName: doc.daemon.interface ?? ctx.runtime.interfaceName,
      hostsFile: doc.daemon.hostsFile ?? ctx.runtime.hostsFile,
      notObserved: r === null ? 'the first reconcile has not finished' : undefined,
      aliasesTotal: doc.summary?.aliases.total,
      hostsTotal: doc.summary?.hosts.total,
      aliasesUnlisted: ctx.verbose ? undefined : unlistedByState(doc.summary?.aliases, doc.aliases),
      hostsUnlisted: ctx.verbose ? undefined : unlistedByState(doc.summary?.hosts, doc.hosts),
    },
  );
  if (r?.problemsTotal) out += `  … and ${count(r.problemsTotal - problems.length)} more problem(s)\n`;
  if (!ctx.verbose) out += cutLists(doc);
  return out;
}

async function notRunning(ctx: CommandContext, e: DaemonUnreachable, json: boolean): Promise<number> {
  // Only on this path: the config parser and the reconcile pipeline (what the daemon would do).
  const { loadDesiredState } = require('../../config') as typeof import('../../config');
  const { createReconciler } = require('../../reconcile/reconciler') as typeof import('../../reconcile/reconciler');
  const { formatDiagnostic } = require('../../model') as typeof import('../../model');
  const config = await loadDesiredState(ctx.runtime, { strictModes: false });
  const plan = config.desired
    ? await createReconciler(ctx.runtime).reconcile(config.desired, { trigger: 'cli', dryRun: true })
    : null;
  const localPause = currentPause(ctx);
  const configPart = {
    files: config.files,
    valid: config.desired !== null,
    diagnostics: config.diagnostics.map(formatDiagnostic),
  };
  if (json) {
    ctx.out(JSON.stringify({ reachable: false, error: e.message, config: configPart, paused: localPause && pauseInfo(localPause), plan }, null, 2) + '\n');
    return EXIT.UNREACHABLE;
  }
  ctx.err(`loopkeeper: ${e.message}\n`);
  ctx.out('loopkeeperd is not running. The local plan (what it would change now):\n');
  if (localPause) ctx.out(`${pausedLine(localPause)}: \`${upHint()}\` ends the pause and applies this plan\n`);
  if (!plan) {
    for (const d of configPart.diagnostics) ctx.out(`  ${d}\n`);
    ctx.out('  the config is invalid, so there is no plan\n');
  } else {
    const { renderSummary } = require('../render') as typeof import('../render');
    const where = { interfaceName: ctx.runtime.interfaceName, hostsFile: ctx.runtime.hostsFile };
    ctx.out(renderReport(plan, { color: ctx.color, verbose: ctx.verbose, desiredHosts: config.desired?.hosts, ...where }));
    ctx.out(renderSummary(plan, ctx.color, where));
  }
  return EXIT.UNREACHABLE;
}

/** valid; being loaded (just after start); or invalid, with why. */
export function configState(config: StatusDocument['config'], paint: ReturnType<typeof painter>): string {
  if (config.valid) return paint('green', 'valid');
  if (config.loading) return paint('yellow', 'being loaded (loopkeeperd has just started)');
  return paint('red', `invalid: ${config.error ?? 'no reason given'}`);
}

/**
 * The entries that need attention among those the summary did not send (the "… and N more" line
 * counts them; this names them, so a missing alias is never hidden behind a count).
 */
function cutLists(doc: StatusDocument): string {
  let out = '';
  for (const [list, noun, key] of [['aliases', 'aliases', 'address'], ['hosts', 'host names', 'name']] as const) {
    const s = doc.summary?.[list];
    if (!s || s.total <= doc[list].length || s.notPresentTotal === 0) continue;
    const sent = new Set((doc[list] as unknown as Record<string, string>[]).map((e) => e[key]));
    const names = (s.notPresent as unknown as Record<string, string>[]).map((e) => e[key]!).filter((n) => !sent.has(n));
    if (names.length === 0) continue;
    const rest = s.notPresentTotal > s.notPresent.length ? `, … (${count(s.notPresentTotal)} not present in all)` : '';
    out += `Not present among the ${noun} not listed: ${names.join(', ')}${rest}\n`;
  }
  return out;
}

function more(total: number | undefined, shown: number, noun: string): string {
  return total !== undefined && total > shown ? ` and ${count(total - shown)} more ${noun}(s)` : '';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function duration(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}
