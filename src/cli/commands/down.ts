// `loopkeeper down`: remove everything loopkeeper added — the aliases its ledger owns and the
// managed hosts block — and nothing else. Needs no config (works even when it is broken).
import { EXIT } from '../../exit-codes';
import { createReconciler } from '../../reconcile/reconciler';
import type { CommandRun } from '../context';
import { printReport } from './plan';

export interface DownOptions {
  json?: boolean;
}

export const run: CommandRun<DownOptions> = async (ctx, opts) => {
  const reconciler = createReconciler(ctx.runtime);
  if (process.getuid?.() !== 0) {
    const preview = await reconciler.down({ dryRun: true });
    if (preview.changes.length > 0) {
      // Loaded only on this path: most runs never need it.
      const { elevateOrExplain } = require('../elevate') as typeof import('../elevate');
      return elevateOrExplain(ctx);
    }
  }
  const report = await reconciler.down();
  printReport(ctx, report, Boolean(opts.json));
  return report.result === 'ok' ? EXIT.OK : EXIT.FAILURE;
};
