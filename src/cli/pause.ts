// The CLI's side of the pause (SPEC "Pausing: down and up"; the record: src/state/pause.ts):
// the refusal of everything that would apply while `loopkeeper down` holds, and telling the
// daemon that the pause began or ended.
import { EXIT } from '../exit-codes';
import { describePause, readPause, type PauseState } from '../state/pause';
import { callDaemon, DaemonUnreachable, requestReconcile } from './client';
import type { CommandContext } from './context';
import { cliHint } from './hint';

export type Paused = Extract<PauseState, { paused: true }>;

/** The pause in force for this CLI's state dir, or null. */
export function currentPause(ctx: Pick<CommandContext, 'runtime'>): Paused | null {
  const p = readPause(ctx.runtime.stateDir);
  return p.paused ? p : null;
}

/** How to end the pause, for this user (`sudo …` when not root: `up` needs root). */
export function upHint(): string {
  return cliHint('up', { sudo: (process.geteuid?.() ?? 0) !== 0 });
}

/** One line: "loopkeeper is paused (since …, by uid 0)". */
export function pausedLine(p: Paused): string {
  return `loopkeeper is paused (\`loopkeeper down\`, ${describePause(p)})`;
}

/**
 * `apply` (and whatever applies) while paused: exit 1, nothing changed, naming `loopkeeper up`.
 * null when not paused.
 */
export function refuseWhilePaused(ctx: CommandContext, json: boolean, what = 'apply'): number | null {
  const p = currentPause(ctx);
  if (p === null) return null;
  const message = `${pausedLine(p)}: ${what} changes nothing until \`${upHint()}\` ends the pause`;
  if (json) ctx.out(JSON.stringify({ paused: pauseInfo(p), refused: true, error: message }, null, 2) + '\n');
  ctx.err(`loopkeeper: ${message}\n`);
  if (p.problem) ctx.err(`loopkeeper: ${p.problem}\n`);
  return EXIT.FAILURE;
}

export function pauseInfo(p: Paused): { at: string | null; by: number | null; user: string | null; problem: string | null } {
  return { at: p.at, by: p.by, user: p.user, problem: p.problem };
}

export type DaemonTold =
  | { reached: true; pid: number | null; result: string | null; paused: boolean }
  /** running: false when nothing answers on the socket; true when it answered but not with a result. */
  | { reached: false; running: boolean; why: string };

/**
 * Asks loopkeeperd (when it answers) to reconcile, and waits for the answer: a reconcile it was
 * running when the pause was written finishes first, and the one answering this request has read
 * the pause file (the daemon reads it at every reconcile, so the message is a courtesy: a daemon
 * that does not get it still finds the pause at its next trigger).
 */
export async function tellDaemon(ctx: CommandContext): Promise<DaemonTold> {
  try {
    const res = await requestReconcile<{ result?: unknown; conditions?: { type?: unknown; reason?: unknown }[] }>(ctx.runtime.socket);
    if (res.status !== 200) return { reached: false, running: true, why: `it answered ${res.status}` };
    const body = res.body ?? {};
    const ready = Array.isArray(body.conditions) ? body.conditions.find((c) => c?.type === 'Ready') : undefined;
    const pid = await daemonPid(ctx);
    // Paused: the daemon read the same pause file (a daemon with another --state-dir did not).
    return { reached: true, pid, result: typeof body.result === 'string' ? body.result : null, paused: ready?.reason === 'Paused' };
  } catch (e) {
    return { reached: false, running: !(e instanceof DaemonUnreachable), why: (e as Error).message };
  }
}

async function daemonPid(ctx: CommandContext): Promise<number | null> {
  try {
    const s = await callDaemon<{ daemon?: { pid?: unknown } }>(ctx.runtime.socket, 'GET', '/v1/status', 5000);
    const pid = s.body?.daemon?.pid;
    return typeof pid === 'number' ? pid : null;
  } catch {
    return null;
  }
}
