// `loopkeeper reconcile [--json]`: ask the daemon to reconcile now and print the result.
// Needs no root: the daemon does the work, the socket is open to local users.
import { EXIT } from '../../exit-codes';
import { DaemonStoppedAnswering, DaemonUnreachable, requestReconcile } from '../client';
import type { CommandRun } from '../context';
import { printReport } from './plan';
import { cliHint } from '../hint';
import type { ErrorDocument, ReconcileAnswer } from '../../api/types';

export interface ReconcileOptions {
  json?: boolean;
}

// The daemon sends the first entries of each list and their counts (src/api/status-view.ts);
// the document is typed in src/api/types.ts.

export const run: CommandRun<ReconcileOptions> = async (ctx, opts) => {
  let res;
  try {
    // As long as the reconcile takes (a big range takes minutes), while the daemon still answers.
    res = await requestReconcile<ReconcileAnswer | ErrorDocument>(ctx.runtime.socket, {
      onBusy: (s) => {
        if (!opts.json && ctx.interactive) ctx.err(`loopkeeper: loopkeeperd is still reconciling (${s} s)…\n`);
      },
    });
  } catch (e) {
    if (e instanceof DaemonUnreachable) {
      if (opts.json) ctx.out(JSON.stringify({ reachable: false, error: e.message }, null, 2) + '\n');
      ctx.err(`loopkeeper: ${e.message}\n  (to reconcile without the daemon: ${cliHint('apply')})\n`);
      return EXIT.UNREACHABLE;
    }
    if (e instanceof DaemonStoppedAnswering) {
      // It was reached and may have done part of the work: `apply` now could race a daemon that is
      // only slow, so point at status instead.
      if (opts.json) ctx.out(JSON.stringify({ reachable: true, answered: false, error: e.message }, null, 2) + '\n');
      ctx.err(`loopkeeper: ${e.message}\n  (see \`${cliHint('status')}\`; the next reconcile settles whatever it left half-done)\n`);
      return EXIT.FAILURE;
    }
    throw e;
  }
  if (res.status !== 200) {
    const err = (res.body as Partial<ErrorDocument>).error;
    const retry = res.headers['retry-after'];
    if (opts.json) ctx.out(JSON.stringify(res.body, null, 2) + '\n');
    ctx.err(`loopkeeper: the daemon refused (${res.status}): ${err?.message ?? 'unknown error'}${retry ? ` (retry after ${retry} s)` : ''}\n`);
    return EXIT.FAILURE;
  }
  const report = res.body as ReconcileAnswer;
  const stale = report.config && !report.config.valid;
  if (stale && !opts.json) ctx.err(`loopkeeper: ${report.config!.error ?? 'config invalid'}\n`);
  // The daemon's verdict is about the config it enforces, which is not the one on disk then.
  printReport(ctx, report, Boolean(opts.json), undefined, {
    configNote: stale && report.config!.enforcing ? '(That is the last valid config: the one on disk is invalid and not applied.)' : undefined,
    aliasesTotal: report.summary?.aliases.total,
    hostsTotal: report.summary?.hosts.total,
  });
  return report.result === 'ok' && report.config?.valid !== false ? EXIT.OK : EXIT.FAILURE;
};
