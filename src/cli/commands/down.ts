// `loopkeeper down`: remove everything loopkeeper added — the aliases its ledger owns and the
// managed hosts block — and nothing else. Needs no config (works even when it is broken).
import { EXIT } from '../../exit-codes';
import { createReconciler } from '../../reconcile/reconciler';
import type { CommandRun } from '../context';
import { printReport } from './plan';
import { waitingText } from './apply';

export interface DownOptions {
  json?: boolean;
}

export const run: CommandRun<DownOptions> = async (ctx, opts) => {
  const reconciler = createReconciler(ctx.runtime, { onLockWait: (h) => ctx.err(waitingText(h)) });
  const allowAliasRanges = await configuredRanges(ctx);
  if (process.getuid?.() !== 0) {
    const preview = await reconciler.down({ dryRun: true, allowAliasRanges });
    if (preview.changes.length > 0) {
      // Loaded only on this path: most runs never need it.
      const { elevateOrExplain } = require('../elevate') as typeof import('../elevate');
      return elevateOrExplain(ctx);
    }
  }
  const report = await reconciler.down({ allowAliasRanges });
  printReport(ctx, report, Boolean(opts.json), undefined, { mode: 'down' });
  return report.result === 'ok' ? EXIT.OK : EXIT.FAILURE;
};

/**
 * Owned aliases may lie in ranges the config allowed (`settings.allowAliasRanges`); the adapter
 * refuses anything outside the allowed ranges, so use them when the config still loads. A broken
 * or missing config must not stop `down`: then only the built-in loopback ranges apply.
 */
async function configuredRanges(ctx: Parameters<CommandRun>[0]): Promise<string[]> {
  try {
    const { loadDesiredState } = require('../../config') as typeof import('../../config');
    const loaded = await loadDesiredState(ctx.runtime, { strictModes: false });
    return loaded.desired?.settings.allowAliasRanges ?? [];
  } catch {
    return [];
  }
}
