// launchctl, as install and uninstall drive it (SPEC "Services", TOOLCHAIN "macOS facts"):
// - `print system/LABEL` exits 0 for a loaded job and 113 ("Could not find service") otherwise;
//   its text is not an API (Apple says so), so only the exit code is relied on, and the pid and
//   state are read from it as hints where they are there.
// - `bootout` returns before the job is gone: the job is stopped and removed asynchronously, and a
//   `bootstrap` in that window fails ("Bootstrap failed: 5: Input/output error", or 37: Operation
//   already in progress). So bootout is followed by polling `print` until it says 113, and
//   bootstrap is retried briefly while it answers 5 or 37.
// - `bootout` of a job that is not loaded exits 3 ("Boot-out failed: 3: No such process"): the
//   job is already gone, which is what bootout is for.
import type { RunResult } from '../platform/types';
import { StepError, describeFailure, type Session } from './session';
import { LAUNCHD_LABEL } from './templates';

export const LAUNCHCTL = '/bin/launchctl';
export const LAUNCHD_TARGET = `system/${LAUNCHD_LABEL}`;
/** launchctl's "Could not find service … in domain for system". */
export const NOT_FOUND = 113;
/** errno values launchctl reports: ESRCH, EIO, EINPROGRESS, EALREADY. */
export const ESRCH = 3;
export const EIO = 5;
export const EINPROGRESS = 36;
export const EALREADY = 37;

/** How long a booted-out job may take to go: launchd SIGKILLs it after ExitTimeOut (20 s). */
export const GONE_WITHIN_MS = 30_000;
/** How long bootstrap is retried while launchd is still tearing the old job down. */
export const BOOTSTRAP_WITHIN_MS = 15_000;

export interface JobState {
  loaded: boolean;
  /** The job's process, when `print` names one (a running job). */
  pid: number | null;
  /** `state = …` from `print` (running, not running, spawn scheduled, …), when it says. */
  state: string | null;
  /** `last exit code = …`, when it says. */
  lastExit: string | null;
}

/** Hints from `launchctl print` text: the top-level `pid = N`, `state = …`, `last exit code = …`. */
export function parsePrint(text: string): Omit<JobState, 'loaded'> {
  const field = (name: string): string | null => {
    // Top level of the job's block: one tab deep (nested blocks are indented further).
    const m = new RegExp(`^\\t${name} = (.+)$`, 'm').exec(text);
    return m ? m[1]!.trim() : null;
  };
  const pidText = field('pid');
  const pid = pidText !== null && /^\d{1,10}$/.test(pidText) && Number(pidText) > 0 ? Number(pidText) : null;
  return { pid, state: field('state'), lastExit: field('last exit code') };
}

/** Pauses between polls: short first (the job usually goes at once), then at most half a second. */
function* pauses(): Generator<number> {
  let ms = 50;
  for (;;) {
    yield ms;
    ms = Math.min(Math.round(ms * 1.6), 500);
  }
}

function printArgv(): string[] {
  return [LAUNCHCTL, 'print', LAUNCHD_TARGET];
}

function stateOf(r: RunResult): JobState {
  if (r.code === 0) return { loaded: true, ...parsePrint(r.stdout) };
  if (r.code === NOT_FOUND) return { loaded: false, pid: null, state: null, lastExit: null };
  throw new StepError(`could not ask launchd about the job: ${describeFailure(r)}`);
}

/** What launchd knows of the job now. */
export async function jobState(session: Session): Promise<JobState> {
  return stateOf(await session.ask(printArgv()));
}

/** Polls `print` (not recorded step by step) until the job is gone; throws after the bound. */
async function waitUntilGone(session: Session, withinMs: number): Promise<void> {
  const start = session.now();
  let polls = 0;
  for (const pause of pauses()) {
    polls += 1;
    const state = stateOf(await session.opts.runner.run(printArgv()));
    if (!state.loaded) {
      const ms = Math.round(session.now() - start);
      session.steps.push({ kind: 'ran', argv: printArgv(), note: `until launchd no longer lists the job: ${polls} time(s), ${ms} ms` });
      return;
    }
    if (session.now() - start >= withinMs) {
      session.steps.push({ kind: 'ran', argv: printArgv(), note: `${polls} time(s): the job is still there` });
      throw new StepError(
        `launchd still lists ${LAUNCHD_TARGET} ${Math.round(withinMs / 1000)} s after \`launchctl bootout\`` +
          `${state.pid !== null ? ` (pid ${state.pid} has not exited)` : ''}; look at \`sudo launchctl print ${LAUNCHD_TARGET}\`, ` +
          'then run the command again',
      );
    }
    await session.sleep(pause);
  }
}

/** Boots the job out and returns once launchd no longer lists it. A job not loaded is fine. */
export async function bootoutAndWait(session: Session, withinMs = GONE_WITHIN_MS): Promise<void> {
  // 3: not loaded (gone already, or never there). 36/37: a teardown already under way.
  await session.run([LAUNCHCTL, 'bootout', LAUNCHD_TARGET], (r) => r.code === ESRCH || r.code === EINPROGRESS || r.code === EALREADY);
  await waitUntilGone(session, withinMs);
}

/** `bootstrap system PLIST`, retried while launchd answers 5 or 37 (still busy with the old job). */
export async function bootstrapWithRetry(session: Session, plist: string, withinMs = BOOTSTRAP_WITHIN_MS): Promise<void> {
  const argv = [LAUNCHCTL, 'bootstrap', 'system', plist];
  const start = session.now();
  let attempts = 0;
  for (const pause of pauses()) {
    attempts += 1;
    const r = await session.opts.runner.run(argv);
    const busy = r.code === EIO || r.code === EALREADY;
    if (r.code === 0 || !busy || session.now() - start >= withinMs) {
      session.steps.push({ kind: 'ran', argv, ...(attempts > 1 ? { note: `attempt ${attempts}` } : {}) });
      if (r.code === 0) return;
      const hint = busy
        ? `launchd kept refusing for ${Math.round(withinMs / 1000)} s; \`sudo launchctl print ${LAUNCHD_TARGET}\` shows whether an old job is still there, ` +
          `and \`plutil -lint ${plist}\` whether launchd can read the plist`
        : `\`plutil -lint ${plist}\` checks the plist`;
      throw new StepError(`${describeFailure(r)}; ${hint}`);
    }
    await session.sleep(pause);
  }
  throw new StepError('unreachable');
}
