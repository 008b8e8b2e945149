// STATE_DIR is where root keeps what it believes about its own past: the ownership ledger (which
// aliases it may remove) and the hosts backups. Whoever can write there can make root remove a
// foreign alias (a forged ledger) or, through a planted symlink, copy a secret out, overwrite a
// root file, chmod or empty a directory. So before anything in it is read or written, the
// directory must pass OpenSSH's safe_path() rules (fs/trust.ts): a real directory, not a
// symlink, owned by root or the daemon's own user, writable by nobody else, every directory
// above it likewise. Inside it, nothing is ever followed: files are opened with O_NOFOLLOW,
// written by rename (which replaces a link, never writes through it), and the backups directory
// must be a real directory of ours.
//
// As a normal user (tests with temp paths, `plan` without root) the same rules hold with that
// user's own uid trusted besides root, as trust.ts does by default.
import { constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkTrusted, quote } from './trust';
import { closeQuietly } from './atomic';
import { codeOf, explain, realFs, type FileSystem } from './seam';

export class StateDirError extends Error {
  constructor(
    message: string,
    readonly stateDir: string,
  ) {
    super(message);
    this.name = 'StateDirError';
  }
}

export interface StateDirOptions {
  fs?: FileSystem;
  /** Owners allowed besides root (default: this process's effective uid). */
  trustedUids?: readonly number[];
}

function trustedUids(opts: StateDirOptions): number[] {
  if (opts.trustedUids) return [0, ...opts.trustedUids];
  const uid = process.geteuid?.() ?? 0;
  return uid === 0 ? [0] : [0, uid];
}

/** Why `stateDir` cannot be trusted (one sentence with the fix), or null when it can. */
export function stateDirProblem(stateDir: string, opts: StateDirOptions = {}): string | null {
  const problems = checkTrusted(stateDir, {
    expect: 'dir',
    noSymlink: true,
    mayBeMissing: true,
    label: `state dir ${stateDir}`,
    trustedUids: trustedUids(opts),
    fs: opts.fs ?? realFs,
  });
  // Only what makes it untrustworthy: a missing state dir is created, and one that is not a
  // directory fails the first read or write with its own error.
  const unsafe = problems.filter((p) => p.kind === 'owner' || p.kind === 'writable' || p.kind === 'symlink');
  if (unsafe.length === 0) return null;
  return `${unsafe.map((p) => p.message).join('; ')} (loopkeeper keeps its ownership ledger and hosts backups there and changes nothing until it can trust it)`;
}

/** Throws StateDirError unless `stateDir` can be trusted; creates it (0755) when missing. */
export function ensureStateDir(stateDir: string, opts: StateDirOptions = {}): void {
  const fs = opts.fs ?? realFs;
  const problem = stateDirProblem(stateDir, opts);
  if (problem) throw new StateDirError(problem, stateDir);
  const missing: string[] = [];
  for (let d = resolve(stateDir); ; d = join(d, '..')) {
    try {
      fs.lstat(d);
      break;
    } catch (e) {
      if (codeOf(e) !== 'ENOENT') throw new StateDirError(`state dir ${stateDir}: cannot examine ${d}: ${explain(e)}`, stateDir);
      missing.push(d);
      if (d === '/') break;
    }
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdir(d, 0o755);
    } catch (e) {
      if (codeOf(e) === 'EEXIST') continue;
      throw new StateDirError(`cannot create the state dir ${stateDir} (${d}): ${explain(e)}`, stateDir);
    }
  }
  if (missing.length > 0) {
    // Whatever raced us into existence there is judged like anything else.
    const again = stateDirProblem(stateDir, opts);
    if (again) throw new StateDirError(again, stateDir);
  }
}

/**
 * STATE_DIR/`name` as a private directory (0700) of ours, created when missing. A symlink,
 * something other than a directory, or a directory someone else owns there is refused, never
 * followed, chmodded or emptied. A wider mode is narrowed through a descriptor, not by path.
 */
export function ensurePrivateSubdir(stateDir: string, name: string, opts: StateDirOptions = {}): string {
  const fs = opts.fs ?? realFs;
  ensureStateDir(stateDir, opts);
  const path = join(stateDir, name);
  try {
    fs.mkdir(path, 0o700);
  } catch (e) {
    if (codeOf(e) !== 'EEXIST') throw new StateDirError(`cannot create ${path} in the state dir: ${explain(e)}`, stateDir);
  }
  let st;
  try {
    st = fs.lstat(path);
  } catch (e) {
    throw new StateDirError(`cannot examine ${path} in the state dir: ${explain(e)}`, stateDir);
  }
  const remove = `remove it (rm -r ${quote(path)}) and loopkeeper creates it again`;
  if (st.isSymbolicLink()) throw new StateDirError(`${path} is a symbolic link; loopkeeper does not follow it — ${remove}`, stateDir);
  if (!st.isDirectory()) throw new StateDirError(`${path} is not a directory — ${remove}`, stateDir);
  if (!trustedUids(opts).includes(st.uid)) {
    throw new StateDirError(`${path} is owned by uid ${st.uid}, not root; loopkeeper refuses it — fix: chown root ${quote(path)}`, stateDir);
  }
  if ((st.mode & 0o077) !== 0) {
    let fd: number | null = null;
    try {
      fd = fs.open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      fs.fchmod(fd, 0o700);
    } catch (e) {
      throw new StateDirError(`cannot make ${path} private (chmod 700): ${explain(e)}`, stateDir);
    } finally {
      closeQuietly(fs, fd);
    }
  }
  return path;
}
