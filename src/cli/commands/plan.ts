// `loopkeeper plan [--json] [--exit-code]`: the real reconcile pipeline, stopped before effects.
import { EXIT } from '../../exit-codes';
import { createReconciler } from '../../reconcile/reconciler';
import type { ReconcileReport } from '../../reconcile/types';
import type { CommandContext, CommandRun } from '../context';
import { configSummary, loadForCommand } from '../load-config';
import { renderReport, renderSummary } from '../render';

export interface PlanOptions {
  json?: boolean;
  exitCode?: boolean;
}

export const run: CommandRun<PlanOptions> = async (ctx, opts) => {
  const loaded = await loadForCommand(ctx, Boolean(opts.json));
  if (!loaded.ok) return loaded.exitCode;
  const report = await createReconciler(ctx.runtime).reconcile(loaded.desired, { trigger: 'cli', dryRun: true });
  printReport(ctx, report, Boolean(opts.json), configSummary(loaded.config));
  if (report.result === 'error' || report.hostsInSync.reason === 'BlockDamaged') return EXIT.FAILURE;
  if (opts.exitCode && report.changes.length > 0) return EXIT.PENDING;
  return EXIT.OK;
};

/** Prints a report as one JSON document or as text, the same way for plan, apply and down. */
export function printReport(ctx: CommandContext, report: ReconcileReport, json: boolean, config?: object): void {
  if (json) {
    ctx.out(JSON.stringify({ ...(config ? { config } : {}), ...report }, null, 2) + '\n');
    return;
  }
  ctx.out(renderReport(report, { color: ctx.color, interfaceName: ctx.runtime.interfaceName, hostsFile: ctx.runtime.hostsFile }));
  ctx.out(renderSummary(report, ctx.color));
}
