// One install or uninstall run: the steps it took, what it changed, and the file operations it
// makes under `root` (each recorded as a step). Shared by install.ts and the service managers.
import { constants } from 'node:fs';
import { access, lstat, mkdir, readFile, readdir, realpath, rm, rmdir } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic';
import { dirname, join } from 'node:path';
import type { RunResult } from '../platform/types';
import { defaultSocket } from '../runtime';
import type { ServiceHost, ServiceOptions, ServiceStep } from './manager';
import { callSocket, waitForAnswer } from './ready';

/** A step that failed: install stops there and reports the message. */
export class StepError extends Error {}

/** install refused before writing anything; the command adds how to run the daemon in the foreground. */
export class Refusal extends Error {}

/** A path of the target system, placed under root. */
export function under(root: string, p: string): string {
  return root === '/' ? p : join(root, p);
}

export async function exists(p: string): Promise<boolean> {
  try {
    await access(p, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether something is at p, a dangling symlink included. */
export async function lexists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

export async function readOrNull(p: string): Promise<string | null> {
  try {
    return await readFile(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * The one atomic writer (src/fs/atomic.ts): an exclusive, randomly named temp file beside the
 * target, fsync, rename, fsync of the directory. A crash never leaves half a unit file, and a
 * name planted beside it (a symlink, a guessable temp name) cannot redirect the write.
 */
async function writeAtomic(p: string, content: string, mode: number): Promise<void> {
  writeFileAtomic(p, content, { mode, keepOwner: false });
}

/** A service template of the package (systemd/, launchd/). */
export async function readTemplate(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new StepError(`cannot read the service template ${path}: ${(e as Error).message}`);
  }
}

export function describeFailure(r: RunResult): string {
  const how = r.code === null ? `was killed by ${r.signal ?? 'a signal'}` : `exited with ${r.code}`;
  const output = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(0, 5).join('\n');
  return `\`${r.argv.join(' ')}\` ${how}${output ? `: ${output}` : ''}`;
}

export const realHost: ServiceHost = {
  exists,
  realpath: (p) => realpath(p).catch(() => p),
  async waitForDaemon(socket, withinMs, until = 'answers') {
    const r = await waitForAnswer(
      until === 'reconciled' ? { socket, method: 'POST', path: '/v1/reconcile', withinMs } : { socket, method: 'GET', path: '/v1/health', withinMs },
    );
    return r.ok ? { ok: true } : { ok: false, reason: r.reason };
  },
  async tail(path, lines) {
    const text = await readOrNull(path).catch(() => null);
    if (text === null) return null;
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines).join('\n');
  },
  async daemonPid(socket) {
    try {
      const answer = await callSocket(socket, 'GET', '/v1/status');
      const pid = (JSON.parse(answer.body) as { daemon?: { pid?: unknown } }).daemon?.pid;
      return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => performance.now(),
};

export class Session {
  readonly steps: ServiceStep[] = [];
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  changed = false;
  log: { source: string; text: string } | undefined;
  constructor(readonly opts: ServiceOptions) {}

  get host(): ServiceHost {
    return this.opts.host ?? realHost;
  }

  /** The installed daemon's socket. */
  get socket(): string {
    return this.opts.socket ?? defaultSocket(this.opts.platform);
  }

  sleep(ms: number): Promise<void> {
    return (this.host.sleep ?? realHost.sleep!)(ms);
  }

  now(): number {
    return (this.host.now ?? realHost.now!)();
  }

  /** Runs argv; a non-zero exit throws a StepError unless `tolerate` accepts it. */
  async run(argv: string[], tolerate?: (r: RunResult) => boolean, timeoutMs?: number): Promise<RunResult> {
    const r = await this.opts.runner.run(argv, timeoutMs === undefined ? undefined : { timeoutMs });
    this.steps.push({ kind: 'ran', argv });
    if (r.code !== 0 && !(tolerate?.(r) ?? false)) throw new StepError(describeFailure(r));
    return r;
  }

  /** Runs argv and records it, whatever it answers (polls: only the answer matters). */
  async ask(argv: string[]): Promise<RunResult> {
    const r = await this.opts.runner.run(argv);
    this.steps.push({ kind: 'ran', argv });
    return r;
  }

  /** Runs argv; a failure is recorded as a problem (and returned false) instead of stopping. */
  async attempt(argv: string[], consequence: string, tolerate?: (r: RunResult) => boolean): Promise<boolean> {
    let r: RunResult;
    try {
      r = await this.opts.runner.run(argv);
    } catch (e) {
      this.steps.push({ kind: 'ran', argv, note: 'could not run' });
      this.problems.push(`${(e as Error).message}; ${consequence}`);
      return false;
    }
    const fine = r.code === 0 || (tolerate?.(r) ?? false);
    this.steps.push({ kind: 'ran', argv, ...(r.code === 0 ? {} : { note: fine ? `exit ${r.code}` : 'failed' }) });
    if (fine) return true;
    this.problems.push(`${describeFailure(r)}; ${consequence}`);
    return false;
  }

  /** Writes `content` unless the file already holds exactly it. Returns whether it changed. */
  async put(target: string, content: string, note?: string): Promise<{ changed: boolean; existed: boolean }> {
    const p = under(this.opts.root, target);
    const before = await readOrNull(p);
    if (before === content) {
      this.steps.push({ kind: 'unchanged', path: p, ...(note ? { note } : {}) });
      return { changed: false, existed: true };
    }
    await mkdir(dirname(p), { recursive: true, mode: 0o755 });
    await writeAtomic(p, content, 0o644);
    this.changed = true;
    this.steps.push({ kind: before === null ? 'wrote' : 'updated', path: p, ...(note ? { note } : {}) });
    return { changed: true, existed: before !== null };
  }

  async ensureDir(target: string): Promise<void> {
    const p = under(this.opts.root, target);
    const had = await exists(p);
    await mkdir(p, { recursive: true, mode: 0o755 });
    if (!had) this.changed = true;
    this.steps.push({ kind: had ? 'exists' : 'created', path: p });
  }

  async remove(target: string): Promise<boolean> {
    const p = under(this.opts.root, target);
    if (!(await lexists(p))) {
      this.steps.push({ kind: 'absent', path: p });
      return false;
    }
    await rm(p, { force: true });
    this.changed = true;
    this.steps.push({ kind: 'removed', path: p });
    return true;
  }

  /** Removes a directory install created, only when it is empty; says why it stays otherwise. */
  async removeDirIfEmpty(target: string, note: string): Promise<void> {
    const p = under(this.opts.root, target);
    let entries: string[];
    try {
      entries = await readdir(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return;
    }
    if (entries.length > 0) {
      this.steps.push({ kind: 'kept', path: p, note });
      return;
    }
    await rmdir(p);
    this.changed = true;
    this.steps.push({ kind: 'removed', path: p });
  }

  /** Waits up to the bound for the daemon to answer on its socket; else keeps the log and throws. */
  async waitUntilAnswering(collectLog: () => Promise<void>, until: 'answers' | 'reconciled' = 'answers'): Promise<void> {
    const withinMs = this.opts.answerWithinMs ?? 10_000;
    const r = await this.host.waitForDaemon(this.socket, withinMs, until);
    if (r.ok) return;
    await collectLog();
    throw new StepError(
      `the service started, but loopkeeperd did not answer on ${this.socket} within ${Math.round(withinMs / 1000)} s: ${r.reason}`,
    );
  }
}
