// The only place in loopkeeper that starts a process. Commands are argv arrays run without a
// shell, so no address or interface name can ever be interpreted as shell syntax. A non-zero exit
// is a normal answer (callers read stderr to learn what happened); only a program that cannot be
// started at all is an exception.
//
// Nothing started here outlives the work it was started for:
// - every child leads its own process group (spawned detached), and a timeout kills the whole
//   group, so a helper it forked dies with it;
// - when the child exits but something it left behind still holds its stdout/stderr, that group
//   is killed too and the pipes are closed after a short grace, so `run` always settles;
// - on Linux each child is started through `setpriv --pdeathsig KILL`, so the kernel kills it when
//   loopkeeper itself dies (even by SIGKILL), and children still running at a normal exit are
//   killed from the 'exit' hook.
import type { ChildProcess } from 'node:child_process';
import type { CommandRunner, RunOptions, RunResult } from './types';
import { isExecutableFile } from '../fs/executable';

/** A command that could not run, or whose failure a caller chose to raise. */
export class CommandError extends Error {
  readonly argv: readonly string[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;

  constructor(argv: readonly string[], code: number | null, signal: NodeJS.Signals | null, stderr: string, why?: string) {
    const status = why ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
    const detail = stderr.trim();
    super(`\`${argv.join(' ')}\` failed (${status})${detail ? `: ${detail}` : ''}`);
    this.name = 'CommandError';
    this.argv = argv;
    this.code = code;
    this.signal = signal;
    this.stderr = stderr;
  }

  static fromResult(r: RunResult): CommandError {
    return new CommandError(r.argv, r.code, r.signal, r.stderr);
  }
}

export interface Runner extends CommandRunner {
  /** Processes actually started so far (a no-op reconcile must leave this unchanged). */
  readonly spawned: number;
}

export interface RunnerOptions {
  /** Default timeout per command; a call's own `timeoutMs` wins. */
  timeoutMs?: number;
  /**
   * `setpriv` used to give each child a parent-death signal (Linux). Default: the first of
   * SETPRIV_CANDIDATES that exists; null turns it off.
   */
  setpriv?: string | null;
  /** How long pipes still held by a dead child's leftovers are waited for after its group was killed. */
  pipeGraceMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const SETPRIV_CANDIDATES = ['/usr/bin/setpriv', '/bin/setpriv'] as const;
const PIPE_GRACE_MS = 1000;

/** Process groups of children still running, across every runner: killed when loopkeeper exits. */
const live = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pgid of live) killGroup(pgid);
  });
}

/** SIGKILL to a whole process group; a group that is already gone is not an error. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: nothing left in it.
  }
}


function findSetpriv(): string | null {
  if (process.platform !== 'linux') return null;
  for (const c of SETPRIV_CANDIDATES) if (isExecutableFile(c)) return c;
  return null;
}

export function createRunner(opts: RunnerOptions = {}): Runner {
  let spawned = 0;
  const defaultTimeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const setpriv = opts.setpriv === undefined ? findSetpriv() : opts.setpriv;
  const pipeGraceMs = opts.pipeGraceMs ?? PIPE_GRACE_MS;
  installExitHook();

  function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0 || !argv[0]) return Promise.reject(new Error('runner: empty argv'));
    const program = argv[0];
    const timeoutMs = options.timeoutMs ?? defaultTimeout;
    // Through setpriv only when the program is certainly there: a missing program must still be
    // reported as missing (ENOENT below), not as setpriv's exit 127.
    const wrap = setpriv !== null && program.startsWith('/') && isExecutableFile(program);
    const actual = wrap ? [setpriv, '--pdeathsig', 'KILL', '--', ...argv] : [...argv];
    const extra = options.fds ?? [];
    return new Promise<RunResult>((resolve, reject) => {
      let child: ChildProcess;
      try {
        // node:child_process on first use: `plan` and a no-op apply never start a process.
        const { spawn } = require('node:child_process') as typeof import('node:child_process');
        // LC_ALL=C: callers match the tools' English error texts (e.g. "Address already assigned").
        child = spawn(actual[0]!, actual.slice(1), {
          shell: false,
          detached: true, // its own process group, so a timeout can kill everything it started
          stdio: ['pipe', 'pipe', 'pipe', ...extra],
          env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        });
      } catch (e) {
        reject(new CommandError(argv, null, null, '', `could not start: ${(e as Error).message}`));
        return;
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let settled = false;
      let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      let graceTimer: NodeJS.Timeout | null = null;
      const pgid = child.pid;

      const timer = setTimeout(() => {
        timedOut = true;
        if (pgid !== undefined) killGroup(pgid);
        else child.kill('SIGKILL');
      }, timeoutMs);
      timer.unref();

      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (graceTimer) clearTimeout(graceTimer);
        if (pgid !== undefined) live.delete(pgid);
        let stderr = Buffer.concat(err).toString('utf8');
        if (timedOut) stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}timed out after ${timeoutMs} ms`;
        resolve({ argv: [...argv], code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr });
      };

      child.once('spawn', () => {
        spawned++;
        if (pgid !== undefined) live.add(pgid);
      });
      child.stdout!.on('data', (b: Buffer) => out.push(b));
      child.stderr!.on('data', (b: Buffer) => err.push(b));
      // A child that exits before reading all of its input closes the pipe: EPIPE is not our error.
      child.stdin!.on('error', () => undefined);
      child.once('error', (e: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (pgid !== undefined) live.delete(pgid);
        const why = e.code === 'ENOENT' ? `${program} was not found; is it installed?` : `could not start: ${e.message}`;
        reject(new CommandError(argv, null, null, '', why));
      });
      child.once('exit', (code, signal) => {
        exited = { code, signal };
        // The child is gone. Anything of its group still alive is a leftover that may be holding
        // our pipes open: kill it, and stop waiting for the pipes after a grace period (a process
        // that left the group with setsid could still hold them).
        if (pgid !== undefined) killGroup(pgid);
        graceTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish(code, signal);
        }, pipeGraceMs);
        graceTimer.unref();
      });
      child.once('close', (code, signal) => {
        finish(exited?.code ?? code, exited?.signal ?? signal);
      });
      if (options.input !== undefined) child.stdin!.end(options.input);
      else child.stdin!.end();
    });
  }

  return {
    run,
    get spawned() {
      return spawned;
    },
  };
}
