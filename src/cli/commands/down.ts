// `loopkeeper down`: pause enforcement and remove everything loopkeeper added — the aliases its
// ledger owns and the managed hosts block — and nothing else (SPEC "Pausing: down and up").
// Needs no config (works even when it is broken).
//
// The order is what makes `down` stay down with the daemon running: (1) the pause is recorded
// (STATE_DIR/paused), (2) the daemon is asked to reconcile and answers once a reconcile that has
// read the pause is done — so one it was running before the pause existed cannot put anything
// back afterwards — and only then (3) is everything removed. A daemon that does not answer finds
// the pause at its next trigger: it reads the file at every reconcile.
import { EXIT } from '../../exit-codes';
import { createReconciler } from '../../reconcile/reconciler';
import type { ReconcileReport } from '../../reconcile/types';
import { describePause, pauseNow, pausePath, writePause } from '../../state/pause';
import { messageOf } from '../../errors';
import type { CommandRun } from '../context';
import { currentPause, pauseInfo, tellDaemon, upHint } from '../pause';
import { printReport } from './plan';
import { waitingText } from './apply';

export interface DownOptions {
  json?: boolean;
}

export const run: CommandRun<DownOptions> = async (ctx, opts) => {
  const json = Boolean(opts.json);
  const reconciler = createReconciler(ctx.runtime, { onLockWait: (h) => ctx.err(waitingText(h)) });
  const allowAliasRanges = await configuredRanges(ctx);
  const before = currentPause(ctx);
  // Already paused with nothing left to remove, a user who is not root gets the look (no prompt).
  let looked: ReconcileReport | null = null;
  if (process.getuid?.() !== 0) {
    const preview = await reconciler.down({ dryRun: true, allowAliasRanges });
    // Recording a pause writes the state dir: root's, like the removals.
    if (preview.changes.length > 0 || before === null) {
      // Loaded only on this path: most runs never need it.
      const { elevateOrExplain } = require('../elevate') as typeof import('../elevate');
      return elevateOrExplain(ctx);
    }
    looked = preview;
  }
  if (before === null) {
    try {
      writePause(ctx.runtime.stateDir, pauseNow());
    } catch (e) {
      ctx.err(
        `loopkeeper: cannot record the pause in ${pausePath(ctx.runtime.stateDir)}: ${messageOf(e)}; nothing was removed ` +
          '(without the record loopkeeperd would put it all back)\n',
      );
      return EXIT.FAILURE;
    }
  }
  const daemon = await tellDaemon(ctx);
  const report = looked ?? (await reconciler.down({ allowAliasRanges }));
  const pause = currentPause(ctx);
  if (json) {
    ctx.out(JSON.stringify({ paused: pause && pauseInfo(pause), alreadyPaused: before !== null, daemon, ...report }, null, 2) + '\n');
  } else {
    printReport(ctx, report, false, undefined, { mode: 'down' });
    const since = pause ? describePause(pause) : '';
    const head = before !== null ? `Already paused (${since}): nothing new to pause.` : `Paused (${since}).`;
    const who = daemon.reached
      ? daemon.paused
        ? `loopkeeperd${daemon.pid ? ` (pid ${daemon.pid})` : ''} adds and repairs nothing`
        : `loopkeeperd${daemon.pid ? ` (pid ${daemon.pid})` : ''} answered but is not paused (it keeps another --state-dir?) and may put things back`
      : daemon.running
        ? `loopkeeperd did not take the message (${daemon.why}); it reads the pause at its next reconcile and then adds and repairs nothing`
        : 'loopkeeperd is not running; when it starts it adds and repairs nothing';
    ctx.out(`${head} ${who} until \`${upHint()}\`.\n`);
    if (pause?.problem) ctx.err(`loopkeeper: ${pause.problem}\n`);
  }
  return report.result === 'ok' && (!daemon.reached || daemon.paused) ? EXIT.OK : EXIT.FAILURE;
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
