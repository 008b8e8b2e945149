// `loopkeeper plan [--json] [--exit-code]`: the real reconcile pipeline, stopped before effects.
// Exit 1 when a part cannot be planned at all (a damaged hosts block, a missing or down
// interface, an unreadable hosts file): "problems found" in SPEC's terms, and the text says which.
import { EXIT } from '../../exit-codes';
import { createReconciler } from '../../reconcile/reconciler';
import type { ReconcileReport } from '../../reconcile/types';
import { warn, type CommandContext, type CommandRun } from '../context';
import { configSummary, loadForCommand } from '../load-config';
import { aliasesBlocked, hostsBlocked, renderReport, renderSummary, type RenderOptions, type SummaryOptions } from '../render';

export interface PlanOptions {
  json?: boolean;
  exitCode?: boolean;
}

export const run: CommandRun<PlanOptions> = async (ctx, opts) => {
  const loaded = await loadForCommand(ctx, Boolean(opts.json), 'there is nothing to plan', 'read');
  if (!loaded.ok) return loaded.exitCode;
  const report = await createReconciler(ctx.runtime).reconcile(loaded.desired, { trigger: 'cli', dryRun: true });
  printReport(ctx, report, Boolean(opts.json), configSummary(loaded.config), { desiredHosts: loaded.desired.hosts });
  // Loaded only here (plan is also apply --dry-run): while paused, apply changes nothing.
  const { currentPause, pausedLine, upHint } = require('../pause') as typeof import('../pause');
  const pause = currentPause(ctx);
  if (pause !== null) warn(ctx, `loopkeeper: ${pausedLine(pause)}: this is what \`${upHint()}\` would change\n`);
  return planExitCode(report, Boolean(opts.exitCode));
};

/** 1 when something cannot be planned, else 3 for pending changes with --exit-code, else 0. */
export function planExitCode(report: ReconcileReport, exitCode: boolean): number {
  if (report.result === 'error' || cannotPlan(report)) return EXIT.FAILURE;
  if (exitCode && report.changes.length > 0) return EXIT.PENDING;
  return EXIT.OK;
}

/** Some part of the report could not be planned or changed at all. */
export function cannotPlan(report: ReconcileReport): boolean {
  return aliasesBlocked(report.aliasesInSync) || hostsBlocked(report.hostsInSync, report.hosts.length);
}

export type PrintOptions = Pick<RenderOptions, 'mode' | 'desiredHosts' | 'aliasesTotal' | 'hostsTotal'> & Pick<SummaryOptions, 'configNote'>;

/**
 * Prints a report the same way for plan, apply, down and reconcile: one JSON document, or text
 * (summarised unless --verbose), or with --quiet only its problems, on stderr.
 */
export function printReport(ctx: CommandContext, report: ReconcileReport, json: boolean, config?: object, view: PrintOptions = {}): void {
  if (json) {
    ctx.out(JSON.stringify({ ...(config ? { config } : {}), ...report }, null, 2) + '\n');
    return;
  }
  if (ctx.quiet) {
    for (const p of report.problems) ctx.err(`loopkeeper: ${p}\n`);
    return;
  }
  const where = { interfaceName: ctx.runtime.interfaceName, hostsFile: ctx.runtime.hostsFile };
  ctx.out(renderReport(report, { color: ctx.color, verbose: ctx.verbose, ...where, ...view }));
  ctx.out(renderSummary(report, ctx.color, { ...where, mode: view.mode, configNote: view.configNote }));
}
