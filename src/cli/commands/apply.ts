// `loopkeeper apply [--json] [--dry-run]`: one reconcile. When loopkeeperd runs (its socket
// answers) with the same config, interface and hosts file, apply asks it to reconcile instead of
// racing it, and says so; otherwise it reconciles itself, under the state lock. Changing `lo` and
// /etc/hosts needs root: when not root and something is to change, elevate (or say the exact
// `sudo …` command).
import { lstatSync } from 'node:fs';
import { EXIT } from '../../exit-codes';
import { ownerSocketPath } from '../../api/socket-path';
import { createReconciler } from '../../reconcile/reconciler';
import type { LockHolder } from '../../reconcile/lock';
import { cliHint } from '../hint';
import { callDaemon, DaemonStoppedAnswering, DaemonUnreachable, requestReconcile } from '../client';
import type { CommandContext, CommandRun } from '../context';
import { configSummary, loadForCommand, type Loaded } from '../load-config';
import { printReport, run as plan } from './plan';
import { refuseWhilePaused } from '../pause';
import type { ErrorDocument, Optional, ReconcileAnswer, StatusDocument } from '../../api/types';

export interface ApplyOptions {
  json?: boolean;
  dryRun?: boolean;
}

export const run: CommandRun<ApplyOptions> = async (ctx, opts, args) => {
  if (opts.dryRun) return plan(ctx, { json: opts.json }, args);
  // `loopkeeper down` holds: nothing is applied until `loopkeeper up` (SPEC "Pausing").
  const paused = refuseWhilePaused(ctx, Boolean(opts.json));
  if (paused !== null) return paused;
  const loaded = await loadForCommand(ctx, Boolean(opts.json), undefined, 'write');
  if (!loaded.ok) return loaded.exitCode;
  const viaDaemon = await deferToDaemon(ctx, loaded, Boolean(opts.json));
  if (viaDaemon !== null) return viaDaemon;
  const reconciler = createReconciler(ctx.runtime, { onLockWait: (h) => ctx.err(waitingText(h)) });
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

function existsNoFollow(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (e) {
    // Only "there is nothing there" says no daemon; anything else (EACCES on the way) is left to the connect.
    const code = (e as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

/** What is printed (stderr) while another loopkeeper holds the state lock. */
export function waitingText(h: LockHolder | null): string {
  const who = h ? `pid ${h.pid}${h.command ? `, ${h.command}` : ''}` : 'another process';
  return `loopkeeper: waiting for another loopkeeper (${who}) to finish changing the aliases…\n`;
}

/** The parts of GET /v1/status read here; any of it may be absent (not a loopkeeperd, an older one). */
type DaemonStatus = Optional<Pick<StatusDocument, 'daemon' | 'config'>>;

/**
 * When loopkeeperd answers on the socket, two writers must not change the same aliases: ask it to
 * reconcile (it reloads a changed config first) and print its result. null: no daemon, apply
 * itself. A daemon enforcing a different config is not raced either: that is an error.
 */
async function deferToDaemon(ctx: CommandContext, loaded: Extract<Loaded, { ok: true }>, json: boolean): Promise<number | null> {
  // Nothing at either socket path: a connect would fail with ENOENT on both (the owner socket is
  // tried first), so there is no daemon to ask. Two lstat calls instead of two HTTP requests.
  if (!existsNoFollow(ctx.runtime.socket) && !existsNoFollow(ownerSocketPath(ctx.runtime.socket))) return null;
  let status: DaemonStatus;
  try {
    const r = await callDaemon<DaemonStatus>(ctx.runtime.socket, 'GET', '/v1/status', 5000);
    if (r.status !== 200 || typeof r.body !== 'object' || r.body === null) return null;
    status = r.body;
  } catch {
    return null; // unreachable (DaemonUnreachable), or not a loopkeeperd answer: nothing to defer to
  }
  const pid = status.daemon?.pid;
  const theirs = [...(status.config?.files ?? [])].sort();
  const ours = [...loaded.config.files].sort();
  const sameConfig = theirs.length === ours.length && theirs.every((f, i) => f === ours[i]);
  const sameIface = status.daemon?.interface === undefined || status.daemon.interface === ctx.runtime.interfaceName;
  const sameHosts = status.daemon?.hostsFile === undefined || status.daemon.hostsFile === ctx.runtime.hostsFile;
  if (!sameConfig || !sameIface || !sameHosts) {
    const what = !sameConfig
      ? `config ${theirs.join(', ') || '(none)'} (this apply: ${ours.join(', ') || '(none)'})`
      : !sameIface
        ? `interface ${status.daemon?.interface} (this apply: ${ctx.runtime.interfaceName})`
        : `hosts file ${status.daemon?.hostsFile} (this apply: ${ctx.runtime.hostsFile})`;
    ctx.err(
      `loopkeeper: loopkeeperd${pid ? ` (pid ${pid})` : ''} is running on ${ctx.runtime.socket} with ${what}; ` +
        'applying a different one would undo its work and it would undo this — change its config and run ' +
        `\`${cliHint('reconcile')}\`, or stop loopkeeperd first. Nothing was changed.\n`,
    );
    return EXIT.FAILURE;
  }
  if (!json) ctx.err(`loopkeeper: loopkeeperd${pid ? ` (pid ${pid})` : ''} is running: asking it to reconcile instead of racing it\n`);
  let res;
  try {
    res = await requestReconcile<ReconcileAnswer | ErrorDocument>(ctx.runtime.socket, {
      onBusy: (s) => {
        if (!json && ctx.interactive) ctx.err(`loopkeeper: loopkeeperd is still reconciling (${s} s)…\n`);
      },
    });
  } catch (e) {
    if (e instanceof DaemonUnreachable || e instanceof DaemonStoppedAnswering) {
      ctx.err(`loopkeeper: ${e.message}\n  (see \`${cliHint('status')}\`)\n`);
      return EXIT.FAILURE;
    }
    throw e;
  }
  if (res.status !== 200) {
    const err = (res.body as Partial<ErrorDocument>).error;
    const retry = res.headers['retry-after'];
    if (json) ctx.out(JSON.stringify(res.body, null, 2) + '\n');
    ctx.err(`loopkeeper: the daemon refused (${res.status}): ${err?.message ?? 'unknown error'}${retry ? ` (retry after ${retry} s)` : ''}\n`);
    return EXIT.FAILURE;
  }
  const report = res.body as ReconcileAnswer;
  if (json) {
    ctx.out(JSON.stringify({ via: 'daemon', daemonPid: pid ?? null, ...report }, null, 2) + '\n');
  } else {
    if (report.config && report.config.valid === false) ctx.err(`loopkeeper: ${report.config.error ?? 'config invalid'}\n`);
    printReport(ctx, report, false);
  }
  return report.result === 'ok' && report.config?.valid !== false ? EXIT.OK : EXIT.FAILURE;
}
