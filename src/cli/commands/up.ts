// `loopkeeper up`: end a pause (`loopkeeper down`) and reconcile now — through the daemon when it
// answers, else once here as `apply` does (SPEC "Pausing: down and up"). Not paused: says so and
// changes nothing (exit 0).
import { EXIT } from '../../exit-codes';
import { clearPause, describePause } from '../../state/pause';
import { messageOf } from '../../errors';
import type { ReconcileReport } from '../../reconcile/types';
import { DaemonStoppedAnswering, DaemonUnreachable, requestReconcile } from '../client';
import type { CommandRun } from '../context';
import { cliHint } from '../hint';
import { currentPause, pauseInfo } from '../pause';

export interface UpOptions {
  json?: boolean;
}

type DaemonReport = ReconcileReport & { config?: { valid?: boolean; error?: string | null } };

export const run: CommandRun<UpOptions> = async (ctx, opts, args) => {
  const json = Boolean(opts.json);
  const pause = currentPause(ctx);
  if (pause === null) {
    if (json) ctx.out(JSON.stringify({ paused: null, resumed: false }, null, 2) + '\n');
    else ctx.out(`Not paused: nothing to resume (to reconcile now: \`${cliHint('reconcile')}\`, or \`${cliHint('apply')}\` without the daemon).\n`);
    return EXIT.OK;
  }
  if (process.getuid?.() !== 0) {
    const { elevateOrExplain } = require('../elevate') as typeof import('../elevate');
    return elevateOrExplain(ctx);
  }
  try {
    clearPause(ctx.runtime.stateDir);
  } catch (e) {
    ctx.err(`loopkeeper: ${messageOf(e)}; still paused\n`);
    return EXIT.FAILURE;
  }
  if (!json) ctx.err(`loopkeeper: pause ended (it held ${describePause(pause)}); reconciling now\n`);
  let res;
  try {
    res = await requestReconcile<DaemonReport | { error?: { message?: string } }>(ctx.runtime.socket, {
      onBusy: (s) => {
        if (!json && ctx.interactive) ctx.err(`loopkeeper: loopkeeperd is still reconciling (${s} s)…\n`);
      },
    });
  } catch (e) {
    if (e instanceof DaemonUnreachable) {
      // No daemon: reconcile once here, exactly as `apply` does (config checks, exit codes).
      const { run: apply } = require('./apply') as typeof import('./apply');
      return apply(ctx, { json }, args);
    }
    if (e instanceof DaemonStoppedAnswering) {
      ctx.err(`loopkeeper: the pause is ended, but ${e.message}\n  (see \`${cliHint('status')}\`)\n`);
      return EXIT.FAILURE;
    }
    throw e;
  }
  if (res.status !== 200) {
    const err = (res.body as { error?: { message?: string } }).error;
    if (json) ctx.out(JSON.stringify({ resumed: true, pausedBefore: pauseInfo(pause), via: 'daemon', ...(res.body as object) }, null, 2) + '\n');
    ctx.err(`loopkeeper: the pause is ended, but loopkeeperd refused to reconcile (${res.status}): ${err?.message ?? 'unknown error'}; it reconciles at its next trigger\n`);
    return EXIT.FAILURE;
  }
  const report = res.body as DaemonReport;
  // Loaded only here: `up` when not paused (and the common path's start) stays light.
  const { printReport } = require('./plan') as typeof import('./plan');
  if (json) {
    ctx.out(JSON.stringify({ resumed: true, pausedBefore: pauseInfo(pause), via: 'daemon', ...report }, null, 2) + '\n');
  } else {
    if (report.config && report.config.valid === false) ctx.err(`loopkeeper: ${report.config.error ?? 'config invalid'}\n`);
    printReport(ctx, report, false);
  }
  return report.result === 'ok' && report.config?.valid !== false ? EXIT.OK : EXIT.FAILURE;
};
