// `loopkeeper status [--json]`: ask the daemon. Exit 0 when it answers and is Ready, 1 when it
// answers and is not, 4 when it does not answer — then say so and show the local plan (what the
// daemon would change), whatever the local config's state. Never needs root.
import { EXIT } from '../../exit-codes';
import type { AliasEntry, Change, HostEntry } from '../../model';
import type { SyncVerdict } from '../../reconcile/types';
import { callDaemon, DaemonUnreachable } from '../client';
import type { CommandContext, CommandRun } from '../context';
import { painter, renderReport, table } from '../render';

export interface StatusOptions {
  json?: boolean;
}

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface StatusDocument {
  daemon: { version: string; pid: number; uptimeSeconds: number; reconciling?: boolean; hostsFile?: string; interface?: string };
  /** `loading`: the first load has not finished (loopkeeperd has just started). */
  config: { files: string[]; valid: boolean; error: string | null; warnings: string[]; errors?: string[]; enforcing?: boolean; loading?: boolean };
  lastReconcile: { at: string; durationMs: number; trigger: string; result: string; changes: Change[]; problems: string[] } | null;
  conditions: Condition[];
  aliases: AliasEntry[];
  hosts: HostEntry[];
  changes: Change[];
  drift: { repairs: number; lastAt: string | null };
}

export const run: CommandRun<StatusOptions> = async (ctx, opts) => {
  let doc: StatusDocument;
  try {
    const res = await callDaemon<StatusDocument>(ctx.runtime.socket, 'GET', '/v1/status', 5000);
    if (res.status !== 200) throw new DaemonUnreachable(ctx.runtime.socket, `unexpected answer ${res.status}`);
    doc = res.body;
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

export function renderStatus(doc: StatusDocument, ctx: Pick<CommandContext, 'color' | 'runtime' | 'verbose'>): string {
  const paint = painter(ctx.color);
  let out = `loopkeeperd ${doc.daemon.version} (pid ${doc.daemon.pid}, up ${duration(doc.daemon.uptimeSeconds)})${doc.daemon.reconciling ? ', reconciling now' : ''}\n`;
  out += `Config: ${doc.config.files.join(', ') || '(none)'} — ${configState(doc.config, paint)}\n`;
  for (const w of doc.config.warnings) out += `  ${paint('yellow', 'warning')} ${w}\n`;
  const r = doc.lastReconcile;
  out += r
    ? `Last reconcile: ${r.at} (${r.trigger}, ${r.result}, ${r.durationMs} ms, ${r.changes.length} change(s))\n`
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
  const verdict = (type: string): SyncVerdict | undefined => {
    const c = doc.conditions.find((x) => x.type === type);
    return c ? { status: c.status as SyncVerdict['status'], reason: c.reason, message: c.message } : undefined;
  };
  out += renderReport(
    { aliases: doc.aliases, hosts: doc.hosts, changes: [], problems: r?.problems ?? [], dryRun: false, aliasesInSync: verdict('AliasesInSync'), hostsInSync: verdict('HostsInSync') },
    // The daemon's paths, not this CLI's: they may differ (flags, environment).
    {
      color: ctx.color,
      verbose: ctx.verbose,
      interfaceName: doc.daemon.interface ?? ctx.runtime.interfaceName,
      hostsFile: doc.daemon.hostsFile ?? ctx.runtime.hostsFile,
      notObserved: r === null ? 'the first reconcile has not finished' : undefined,
    },
  );
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
  const configPart = {
    files: config.files,
    valid: config.desired !== null,
    diagnostics: config.diagnostics.map(formatDiagnostic),
  };
  if (json) {
    ctx.out(JSON.stringify({ reachable: false, error: e.message, config: configPart, plan }, null, 2) + '\n');
    return EXIT.UNREACHABLE;
  }
  ctx.err(`loopkeeper: ${e.message}\n`);
  ctx.out('loopkeeperd is not running. The local plan (what it would change now):\n');
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

function duration(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}
