// The state lock: two loopkeeper processes (the daemon reconciling while someone runs `apply` or
// `down`) never change aliases and write the ledger at the same time. Whoever holds it reads the
// ledger, looks at the interface, changes it and writes the ledger; the other waits, then reads
// what the first one wrote.
//
// Linux: flock(2) on STATE_DIR/lock. Node has no flock, so util-linux's `flock FD` is run on the
// lock file's open descriptor, which the child shares: the lock belongs to that open file
// description, which this process keeps, so it stays held after `flock` exits and the kernel
// drops it when this process closes it or dies — even by SIGKILL; no stale lock is ever left.
// One short process per acquisition, only when there is something to change (a no-op reconcile
// takes no lock). Where no `flock` program exists (macOS), a pid file made with O_EXCL stands in:
// a holder that died is noticed by its pid, at the cost of a small window where two processes
// that both found the same dead holder could both proceed.
import { constants as fsConstants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { CommandRunner } from '../platform/types';
import { findExecutable } from '../platform/linux';
import { CommandError } from '../platform/runner';
import { messageOf } from '../errors';
import { ensureStateDir } from '../fs/state-dir';
import { explain } from '../fs/seam';

export const LOCK_FILE = 'lock';
export const PID_LOCK_FILE = 'lock.pid';
export const FLOCK_CANDIDATES = ['/usr/bin/flock', '/bin/flock'] as const;

/** What a holder wrote about itself (informational: the lock itself is the kernel's). */
export interface LockHolder {
  pid: number;
  command?: string;
  since?: string;
}

export interface StateLock {
  readonly kind: 'flock' | 'pidfile';
  /** Idempotent. */
  release(): Promise<void>;
}

export interface LockOptions {
  runner: CommandRunner;
  /** Called once when another process holds the lock: who it is, when it said. */
  onWait?: (holder: LockHolder | null) => void;
  /** Where to look for `flock`; an empty list forces the pid-file lock (tests). */
  flockCandidates?: readonly string[];
  /** Pid-file lock only: how often a held lock is looked at again. */
  pollMs?: number;
  /** Written into the lock file for whoever waits (default: this process's command line). */
  command?: string;
}

export class LockError extends Error {
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`cannot take the state lock ${path}: ${why}`);
    this.name = 'LockError';
  }
}

/** Seconds one `flock -w` waits before it is run again (a held lock is waited for without end). */
const FLOCK_WAIT_SECONDS = 60;

export async function acquireStateLock(stateDir: string, opts: LockOptions): Promise<StateLock> {
  try {
    ensureStateDir(stateDir); // created 0755 if missing; refused when others could write to it
  } catch (e) {
    throw new LockError(join(stateDir, LOCK_FILE), `the state dir cannot be used (${messageOf(e)})`);
  }
  const flock = await findExecutable(opts.flockCandidates ?? FLOCK_CANDIDATES);
  return flock !== null ? flockLock(stateDir, flock, opts) : pidFileLock(stateDir, opts);
}

function holderText(opts: LockOptions): string {
  const command = opts.command ?? process.argv.slice(1).map((a) => a.split('/').pop()).join(' ');
  return `${JSON.stringify({ pid: process.pid, command, since: new Date().toISOString() })}\n`;
}

/** Pure: the holder a lock file names, or null for anything else. */
export function parseHolder(text: string): LockHolder | null {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (!o || typeof o !== 'object' || typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0) return null;
    const h: LockHolder = { pid: o.pid };
    if (typeof o.command === 'string') h.command = o.command.slice(0, 200);
    if (typeof o.since === 'string') h.since = o.since.slice(0, 40);
    return h;
  } catch {
    return null;
  }
}

async function flockLock(stateDir: string, flock: string, opts: LockOptions): Promise<StateLock> {
  const path = join(stateDir, LOCK_FILE);
  let handle: fs.FileHandle;
  try {
    // O_NOFOLLOW: a symlink planted there must not make root create or open a file elsewhere.
    handle = await fs.open(path, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LockError(path, code === 'ELOOP' ? 'it is a symbolic link, which loopkeeper never follows' : explain(e));
  }
  try {
    if (!(await handle.stat()).isFile()) throw new LockError(path, 'it is not a regular file');
    const attempt = async (args: string[], timeoutMs?: number): Promise<boolean> => {
      const r = await opts.runner.run([flock, ...args, '3'], { fds: [handle.fd], ...(timeoutMs ? { timeoutMs } : {}) });
      if (r.code === 0 && !r.signal) return true;
      if (r.code === 1) return false; // held (-n), or still held after -w
      throw new LockError(path, CommandError.fromResult(r).message);
    };
    if (!(await attempt(['-x', '-n']))) {
      opts.onWait?.(await readHolder(handle));
      while (!(await attempt(['-x', '-w', String(FLOCK_WAIT_SECONDS)], (FLOCK_WAIT_SECONDS + 30) * 1000))) {
        // still held: wait again (the holder's own work is bounded by its timeouts)
      }
    }
    // Ours now: say who holds it, for whoever waits next.
    const text = holderText(opts);
    await handle.truncate(0);
    await handle.write(text, 0, 'utf8');
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e instanceof LockError ? e : new LockError(path, explain(e));
  }
  let released = false;
  return {
    kind: 'flock',
    async release() {
      if (released) return;
      released = true;
      await handle.close(); // the kernel drops the lock with the last descriptor of it
    },
  };
}

async function readHolder(handle: fs.FileHandle): Promise<LockHolder | null> {
  try {
    const buf = Buffer.alloc(1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return parseHolder(buf.subarray(0, bytesRead).toString('utf8'));
  } catch {
    return null;
  }
}

/** The lock file's text, never through a symbolic link (ELOOP) and at most 4 KiB. */
async function readNoFollow(path: string): Promise<string> {
  const h = await fs.open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await h.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await h.close();
  }
}

/** Whether `pid` is a live process (EPERM: alive, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function pidFileLock(stateDir: string, opts: LockOptions): Promise<StateLock> {
  const path = join(stateDir, PID_LOCK_FILE);
  const mine = holderText(opts);
  const pollMs = opts.pollMs ?? 200;
  let told = false;
  for (;;) {
    try {
      const h = await fs.open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
      try {
        await h.write(mine, 0, 'utf8');
      } finally {
        await h.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new LockError(path, explain(e));
    }
    let text: string;
    try {
      text = await readNoFollow(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // released meanwhile
      throw new LockError(path, code === 'ELOOP' ? 'it is a symbolic link, which loopkeeper never follows' : explain(e));
    }
    const holder = parseHolder(text);
    if (holder === null || !processAlive(holder.pid)) {
      // Its holder died (or it is not a lock file we write): take it away, unless it changed meanwhile.
      const again = await readNoFollow(path).catch(() => null);
      if (again === text) await fs.unlink(path).catch(() => undefined);
      continue;
    }
    if (!told) {
      told = true;
      opts.onWait?.(holder);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  let released = false;
  return {
    kind: 'pidfile',
    async release() {
      if (released) return;
      released = true;
      const text = await readNoFollow(path).catch(() => null);
      if (text === mine) await fs.unlink(path).catch(() => undefined);
    },
  };
}
