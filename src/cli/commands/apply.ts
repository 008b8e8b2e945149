// `loopkeeper apply [--json] [--dry-run]`: one reconcile without the daemon. Changing `lo` and
// /etc/hosts needs root: when not root and something is to change, elevate (or say the exact
// `sudo …` command).
import { EXIT } from '../../exit-codes';
import { createReconciler } from '../../reconcile/reconciler';
import type { CommandRun } from '../context';
import { configSummary, loadForCommand } from '../load-config';
import { printReport, run as plan } from './plan';

export interface ApplyOptions {
  json?: boolean;
  dryRun?: boolean;
}

export const run: CommandRun<ApplyOptions> = async (ctx, opts, args) => {
  if (opts.dryRun) return plan(ctx, { json: opts.json }, args);
  const loaded = await loadForCommand(ctx, Boolean(opts.json));
  if (!loaded.ok) return loaded.exitCode;
  const reconciler = createReconciler(ctx.runtime);
  if (process.getuid?.() !== 0) {
    // Look first: when nothing is to change there is no reason to ask for a password.
    const preview = await reconciler.reconcile(loaded.desired, { trigger: 'cli', dryRun: true });
    if (preview.changes.length > 0) {
      // Loaded only on this path: most runs never need it.
      const { elevateOrExplain } = require('../elevate') as typeof import('../elevate');
      return elevateOrExplain(ctx);
    }
  }
  const report = await reconciler.reconcile(loaded.desired, { trigger: 'cli' });
  printReport(ctx, report, Boolean(opts.json), configSummary(loaded.config), { desiredHosts: loaded.desired.hosts });
  return report.result === 'ok' ? EXIT.OK : EXIT.FAILURE;
};
