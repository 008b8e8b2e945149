// The only place in loopkeeper that starts a process. Commands are argv arrays run without a
// shell, so no address or interface name can ever be interpreted as shell syntax. A non-zero exit
// is a normal answer (callers read stderr to learn what happened); only a program that cannot be
// started at all is an exception.
import { spawn } from 'node:child_process';
import type { CommandRunner, RunOptions, RunResult } from './types';

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

const DEFAULT_TIMEOUT_MS = 60_000;

export function createRunner(opts: { timeoutMs?: number } = {}): Runner {
  let spawned = 0;
  const defaultTimeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0 || !argv[0]) return Promise.reject(new Error('runner: empty argv'));
    const timeoutMs = options.timeoutMs ?? defaultTimeout;
    return new Promise<RunResult>((resolve, reject) => {
      // LC_ALL=C: callers match the tools' English error texts (e.g. "Address already assigned").
      const child = spawn(argv[0]!, argv.slice(1), {
        shell: false,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let settled = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      timer.unref();

      child.once('spawn', () => {
        spawned++;
      });
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      // A child that exits before reading all of its input closes the pipe: EPIPE is not our error.
      child.stdin.on('error', () => undefined);
      child.once('error', (e: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const why = e.code === 'ENOENT' ? `${argv[0]} was not found; is it installed?` : `could not start: ${e.message}`;
        reject(new CommandError(argv, null, null, '', why));
      });
      child.once('close', (code, signal) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        let stderr = Buffer.concat(err).toString('utf8');
        if (timedOut) stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}timed out after ${timeoutMs} ms`;
        resolve({ argv: [...argv], code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr });
      });
      if (options.input !== undefined) child.stdin.end(options.input);
      else child.stdin.end();
    });
  }

  return {
    run,
    get spawned() {
      return spawned;
    },
  };
}
