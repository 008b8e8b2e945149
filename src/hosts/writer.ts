// Applying a plan to the real file: backup, temp file + fsync + rename (or an in-place write
// where rename cannot work), never clobbering an edit another program made meanwhile. The file
// operations themselves are the one atomic writer's (fs/atomic.ts), through the file-system seam.
//
// The file operations are synchronous on purpose: the check "is the file still what we planned
// from?" and the rename that follows must sit as close together as possible, with nothing of
// ours interleaved between them.
import { constants, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { DesiredHost } from '../model';
import { saveBackup } from './backups';
import { planHosts, type HostsPlan } from './plan';
import { planHostsCached } from './plan-cache';
import { messageOf } from '../errors';
import {
  closeQuietly,
  createTemp,
  FileWriteError,
  removeStaleTemps as removeStaleTempsIn,
  syncDir,
  TEMP_PREFIX as TEMP,
  unlinkQuietly,
  writeInPlace,
  type WriteOutcome,
} from '../fs/atomic';
import { codeOf, explain, realFs, type FileSystem } from '../fs/seam';
import { checkTrusted } from '../fs/trust';
import { StateDirError } from '../fs/state-dir';

export interface HostsApplyOutcome {
  plan: HostsPlan;
  written: boolean;
  method: 'rename' | 'in-place' | null;
  backupPath: string | null;
  /** Write attempts (more than 1 when another program changed the file meanwhile). */
  attempts: number;
}

export interface HostsApplyOptions {
  stateDir: string;
  /** Plan only: nothing is written, not even a backup. */
  dryRun?: boolean;
  /** The file-system seam (tests inject faults through it); node:fs by default. */
  fs?: FileSystem;
}

/** Seams for tests: simulate another writer, or a file rename cannot replace. */
export interface WriterHooks {
  /** Runs when the temp file is complete, just before the final check of the target. */
  beforeCommit?: (attempt: number, target: string) => void;
  /** Replaces rename(2), e.g. to throw EBUSY like a bind-mounted file does. */
  rename?: (from: string, to: string) => void;
}

/**
 * Why a write did not happen (or not cleanly), as a value decided where the fact is known:
 * - StateDirUnusable: the backup could not be kept (state dir refused, full, read-only); the
 *   hosts file was not touched. The state dir is to blame and the message says so.
 * - HostsDirUnsafe: the directory holding the hosts file (or a symlinked file's target) fails
 *   the owner/mode rules; nothing was read through the link, nothing written.
 * - HostsPermissionDenied / HostsReadOnly / HostsNoSpace: the new content could not be put in
 *   place because of permissions (EACCES, EPERM), a read-only file system (EROFS) or a full one
 *   (ENOSPC, EDQUOT); the file is unchanged.
 * - HostsNotWritten: the new content could not be put in place for another reason (the errno is
 *   in the message); the file is unchanged.
 * - HostsContention: another program kept changing the file while loopkeeper wrote it, MAX_ATTEMPTS
 *   times in a row; loopkeeper gave up (an edit of theirs is never dropped silently).
 * - HostsRestored: an in-place write failed half-way; the old bytes were written back.
 * - HostsDamaged: an in-place write failed and the old bytes could not be written back.
 */
export type HostsFailure =
  | 'StateDirUnusable'
  | 'HostsDirUnsafe'
  | 'HostsPermissionDenied'
  | 'HostsReadOnly'
  | 'HostsNoSpace'
  | 'HostsNotWritten'
  | 'HostsContention'
  | 'HostsRestored'
  | 'HostsDamaged';

/** Why content could not be put in place, from the errno (the file is unchanged in every case). */
export function notWrittenReason(code: string): Extract<HostsFailure, 'HostsPermissionDenied' | 'HostsReadOnly' | 'HostsNoSpace' | 'HostsNotWritten'> {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'HostsPermissionDenied';
    case 'EROFS':
      return 'HostsReadOnly';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'HostsNoSpace';
    default:
      return 'HostsNotWritten';
  }
}

/** The errno behind a failure: a FileWriteError carries it as `code`, a node error too. */
function errnoOf(e: unknown): string {
  return e instanceof FileWriteError ? e.code : codeOf(e);
}

export class HostsWriteError extends Error {
  constructor(
    message: string,
    readonly reason: HostsFailure,
    /** The backup taken before the failed write, if any (to compare or restore from). */
    readonly backupPath: string | null = null,
  ) {
    super(message);
    this.name = 'HostsWriteError';
  }
}

/** After this many attempts in a row that found the file changed, give up (and say why). */
export const MAX_ATTEMPTS = 5;
export const TEMP_PREFIX = TEMP;
/** How long writes into a just-replaced file are waited for (see the rename step). */
const LATE_WRITE_GRACE_MS = 10;

interface Snapshot {
  content: Buffer;
  /** null when the file does not exist (yet). */
  stat: Stats | null;
}

export async function applyHosts(
  path: string,
  desired: DesiredHost[] | null,
  opts: HostsApplyOptions,
  hooks: WriterHooks = {},
): Promise<HostsApplyOutcome> {
  const fs = opts.fs ?? realFs;
  const target = resolveTarget(path, 0, fs);
  let snap = readTarget(fs, target, path, true);
  let plan = planHostsCached(snap.content, desired);
  if (plan.next === null || opts.dryRun) {
    return { plan, written: false, method: null, backupPath: null, attempts: 1 };
  }
  const meta = snap.stat;
  const dir = dirname(target);
  removeStaleTempsIn(dir, Date.now(), fs);

  // The loop's state. `base`: the content to plan from, holding every edit of others we know of.
  // `expected`: what the target must hold at commit time (if it holds anything else, someone
  // edited it meanwhile). `next`: what we put there. Usually base === expected; they differ
  // while an edit that landed in a file we had already replaced is being brought over.
  let base: Buffer = Buffer.from(snap.content); // off the shared read buffer
  let expected: Buffer = base;
  let next: Buffer = plan.next;
  let lastWritten: Buffer | null = null;
  let method: 'rename' | 'in-place' | null = null;
  let backupPath: string | null = null;

  /** `observed` replaced `expected` (someone else's edit): take it into the base and re-plan. */
  const adopt = (observed: Buffer): void => {
    // An append to what we expected is added to the base (which may hold more than `expected`:
    // an edit being brought over). Any other edit: the observed version is the new base.
    base = startsWith(observed, expected) ? Buffer.concat([base, observed.subarray(expected.length)]) : observed;
    plan = planHosts(base, desired);
    // A damaged block after their edit: nothing of ours to write, but their edit must not be lost.
    next = plan.next ?? base;
  };

  // While an edit from a replaced file is being brought over (base holds more than the file),
  // giving up would lose it: allow more attempts then.
  const mayTry = (attempt: number) => attempt <= MAX_ATTEMPTS || (attempt <= 2 * MAX_ATTEMPTS && !expected.equals(base));
  // The version we are about to replace is backed up once, before the loop: a backup is written
  // and fsynced (twice: file and directory), which takes a few milliseconds, and inside an
  // attempt that time would only widen the window in which another program's edit makes the
  // attempt start over. The file is read again afterwards, so an edit made while the backup was
  // written is merged like any other. (Later attempts replace versions that hold nothing but
  // that backup plus edits which the new content keeps: the merge never drops them.)
  if (meta !== null) {
    backupPath = keepBackup(opts.stateDir, expected, path, fs);
    const fresh = readTarget(fs, target, path).content;
    if (!fresh.equals(expected)) {
      adopt(fresh);
      expected = fresh;
    }
  }
  let attempt = 0;
  while (mayTry(++attempt)) {
    if (next.equals(expected)) return { plan, written: method !== null, method, backupPath, attempts: attempt };
    let temp: { path: string; ownerKept: boolean };
    try {
      temp = createTemp(dir, next, { like: meta, fs });
    } catch (e) {
      throw notWritten(path, e, backupPath);
    }
    hooks.beforeCommit?.(attempt, target);

    // Held across the rename: a program that opened the old file before it and writes after our
    // check writes into this inode, and we read that back below.
    const oldFd = openOld(fs, target);
    let now: Buffer;
    try {
      now = readTarget(fs, target, path).content;
    } catch (e) {
      closeQuietly(fs, oldFd);
      unlinkQuietly(fs, temp.path);
      throw e;
    }
    if (!now.equals(expected)) {
      // Someone else edited the file since we read it: merge again from their version.
      closeQuietly(fs, oldFd);
      unlinkQuietly(fs, temp.path);
      adopt(now);
      expected = now;
      continue;
    }

    let how: 'rename' | 'in-place';
    if (temp.ownerKept) {
      try {
        (hooks.rename ?? fs.rename)(temp.path, target);
        how = 'rename';
      } catch (e) {
        const code = codeOf(e);
        if (code === 'ENOENT' && !exists(fs, temp.path)) {
          // Our temp file vanished (another writer's clean-up misjudged it): just try again.
          closeQuietly(fs, oldFd);
          continue;
        }
        unlinkQuietly(fs, temp.path);
        if (code !== 'EBUSY' && code !== 'EXDEV') {
          closeQuietly(fs, oldFd);
          throw new HostsWriteError(
            `cannot replace ${target}: ${explain(e)}; the hosts file was not written (its content is unchanged)`,
            notWrittenReason(code),
            backupPath,
          );
        }
        // A bind-mounted file (containers, systemd ReadWritePaths) cannot be replaced.
        inPlace(fs, target, path, next, expected, backupPath, oldFd);
        how = 'in-place';
      }
    } else {
      // We could not give the temp file the original owner (not root): keep the inode instead.
      unlinkQuietly(fs, temp.path);
      inPlace(fs, target, path, next, expected, backupPath, oldFd);
      how = 'in-place';
    }
    method = how;
    lastWritten = next;
    if (how === 'rename') syncDir(dir, fs);

    // A program that opened the old file just before the rename may not have written yet (it
    // can be descheduled between open and write): give it a moment before looking.
    if (oldFd !== null && how === 'rename') await new Promise((r) => setTimeout(r, LATE_WRITE_GRACE_MS));
    const late = oldFd === null || how === 'in-place' ? null : readFd(fs, oldFd);
    closeQuietly(fs, oldFd);
    const written = next;
    if (late !== null && !late.equals(expected)) {
      // A write landed in the file we replaced, after our check: bring it over, merged.
      adopt(late);
      expected = written;
      continue;
    }
    return { plan, written: true, method, backupPath, attempts: attempt };
  }
  if (lastWritten !== null && !expected.equals(base)) {
    // We replaced the file and an edit made meanwhile is not in it yet: never drop it silently.
    throw new HostsWriteError(
      `hosts file keeps changing under us: ${path} changed ${MAX_ATTEMPTS} times while loopkeeper was writing it; ` +
        `an edit another program made meanwhile may be missing — compare with the backup ${backupPath ?? '(none)'}`,
      'HostsContention',
      backupPath,
    );
  }
  throw new HostsWriteError(
    `hosts file keeps changing under us: ${path} changed ${MAX_ATTEMPTS} times while loopkeeper was writing it; ` +
      'nothing was overwritten — try again when the other program is done',
    'HostsContention',
    backupPath,
  );
}

/** The backup before a write, or a HostsWriteError that blames the state dir (nothing written). */
function keepBackup(stateDir: string, content: Buffer, shownAs: string, fs: FileSystem): string {
  try {
    return saveBackup(stateDir, content, new Date(), fs);
  } catch (e) {
    const why = e instanceof StateDirError || e instanceof FileWriteError ? e.message : explain(e);
    throw new HostsWriteError(
      `state dir ${stateDir}: cannot keep a backup of ${shownAs} before changing it (${why}); ` +
        `so the hosts file was not written (its content is unchanged) — make room in the state dir or fix it, then reconcile again`,
      'StateDirUnusable',
    );
  }
}

function notWritten(shownAs: string, e: unknown, backupPath: string | null): HostsWriteError {
  return new HostsWriteError(
    `cannot write ${shownAs}: ${messageOf(e)}; the hosts file was not written (its content is unchanged)`,
    notWrittenReason(errnoOf(e)),
    backupPath,
  );
}

const FAILURE_OF: Record<WriteOutcome, HostsFailure> = {
  'not-written': 'HostsNotWritten',
  restored: 'HostsRestored',
  damaged: 'HostsDamaged',
};

/** The in-place write, its failure turned into what happened to the hosts file. */
function inPlace(
  fs: FileSystem,
  target: string,
  shownAs: string,
  next: Buffer,
  old: Buffer,
  backupPath: string | null,
  oldFd: number | null,
): void {
  try {
    writeInPlace(target, next, old, fs);
  } catch (e) {
    closeQuietly(fs, oldFd);
    if (!(e instanceof FileWriteError)) throw e;
    const restore = e.outcome === 'damaged' ? ` — restore it from the backup ${backupPath ?? '(none was kept)'}` : '';
    throw new HostsWriteError(
      `${shownAs} cannot be replaced by rename (bind-mounted), and the in-place write failed: ${e.message}${restore}`,
      e.outcome === 'not-written' ? notWrittenReason(e.code) : FAILURE_OF[e.outcome],
      backupPath,
    );
  }
}

// ---- `loopkeeper backups restore`: a whole version put back, only over what was shown ----

/** The file no longer holds what the caller compared against: nothing was written. */
export class HostsChangedError extends Error {
  constructor(readonly path: string) {
    super(`${path} changed since it was read; nothing was written`);
    this.name = 'HostsChangedError';
  }
}

/**
 * Replaces the whole file with `next`, but only while it still holds exactly `expected` — checked
 * after the backup and again right before the rename. The current version becomes a backup first.
 * Same path as applyHosts, through the same atomic writer: temp file beside the target with its
 * owner and mode, fsync, rename; in place where the file is bind-mounted (EBUSY, EXDEV) or its
 * owner cannot be kept. Failures are HostsWriteErrors that say what became of the file.
 */
export function replaceHostsFile(
  path: string,
  expected: Buffer,
  next: Buffer,
  opts: { stateDir: string; fs?: FileSystem },
): { written: boolean; method: 'rename' | 'in-place' | null; backupPath: string | null } {
  const fs = opts.fs ?? realFs;
  const target = resolveTarget(path, 0, fs);
  const still = (): boolean => readTarget(fs, target, path).content.equals(expected);
  const snap = readTarget(fs, target, path);
  if (!snap.content.equals(expected)) throw new HostsChangedError(path);
  if (next.equals(expected)) return { written: false, method: null, backupPath: null };
  const backupPath = snap.stat === null ? null : keepBackup(opts.stateDir, Buffer.from(expected), path, fs);
  const dir = dirname(target);
  removeStaleTempsIn(dir, Date.now(), fs);
  let temp: { path: string; ownerKept: boolean };
  try {
    temp = createTemp(dir, next, { like: snap.stat, fs });
  } catch (e) {
    throw notWritten(path, e, backupPath);
  }
  if (!still()) {
    unlinkQuietly(fs, temp.path);
    throw new HostsChangedError(path);
  }
  if (temp.ownerKept) {
    try {
      fs.rename(temp.path, target);
      syncDir(dir, fs);
      return { written: true, method: 'rename', backupPath };
    } catch (e) {
      unlinkQuietly(fs, temp.path);
      const code = codeOf(e);
      if (code !== 'EBUSY' && code !== 'EXDEV') {
        throw new HostsWriteError(`cannot replace ${target}: ${explain(e)}; the hosts file was not written (its content is unchanged)`, notWrittenReason(code), backupPath);
      }
    }
  } else {
    unlinkQuietly(fs, temp.path);
  }
  inPlace(fs, target, path, next, expected, backupPath, null);
  return { written: true, method: 'in-place', backupPath };
}

/**
 * The file to write: symlinks followed (the link stays a link), but only out of directories root
 * can trust — the directory holding the path, and the one holding each link's target (OpenSSH
 * safe_path rules, fs/trust.ts): a link in, or into, a directory someone else can write would let
 * them choose which file root rewrites.
 */
export function resolveTarget(path: string, depth = 0, fs: FileSystem = realFs): string {
  const abs = resolve(path);
  checkHostsDir(dirname(abs), path, fs);
  let st: Stats;
  try {
    st = fs.lstat(abs);
  } catch (e) {
    const code = codeOf(e);
    if (code !== 'ENOENT') throw new Error(`cannot resolve ${path}: ${explain(e)}`);
    // Missing: it will be created, but only in a directory that exists.
    const parent = dirname(abs);
    let realParent: string;
    try {
      realParent = fs.realpath(parent);
    } catch {
      throw new Error(`cannot create ${path}: directory ${parent} does not exist`);
    }
    return join(realParent, basename(abs));
  }
  if (!st.isSymbolicLink()) {
    try {
      return join(fs.realpath(dirname(abs)), basename(abs));
    } catch (e) {
      throw new Error(`cannot resolve ${path}: ${explain(e)}`);
    }
  }
  if (depth >= 40) throw new Error(`cannot resolve ${path}: too many levels of symbolic links`);
  let link: string;
  try {
    link = fs.readlink(abs);
  } catch (e) {
    throw new Error(`cannot resolve ${path}: ${explain(e)}`);
  }
  // Each hop's directory is checked before the hop is taken.
  return resolveTarget(resolve(dirname(abs), link), depth + 1, fs);
}

function checkHostsDir(dir: string, shownAs: string, fs: FileSystem): void {
  const problems = checkTrusted(dir, { expect: 'dir', asAncestor: true, fs, label: `${dir} (the directory of ${shownAs})` });
  // A missing directory, or a file where a directory should be: the caller reports those, in
  // its own words. Only what makes the directory untrustworthy stops us here.
  const real = problems.filter((p) => p.kind === 'owner' || p.kind === 'writable' || p.kind === 'symlink');
  if (real.length === 0) return;
  throw new HostsWriteError(
    `hosts file ${shownAs}: ${real.map((p) => p.message).join('; ')}; nothing was read or written through it`,
    'HostsDirUnsafe',
  );
}

// The first read of every apply goes into one buffer kept between calls: a no-op reconcile of a
// large file then neither allocates nor page-faults, it only reads and compares. Contents read
// into it are valid until the next such read (nothing in applyHosts awaits in between).
let readBuffer = Buffer.alloc(0);

function reusableBuffer(size: number): Buffer {
  if (readBuffer.length < size) readBuffer = Buffer.allocUnsafe(size + (size >> 3));
  return readBuffer.subarray(0, size);
}

function readTarget(fs: FileSystem, target: string, shownAs: string, reuse = false): Snapshot {
  let fd: number;
  try {
    fd = fs.open(target, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ENOENT') return { content: Buffer.alloc(0), stat: null };
    if (code === 'EACCES' || code === 'EPERM') {
      throw new Error(`cannot read ${shownAs}: permission denied (managing it needs root)`);
    }
    if (code === 'ENOTDIR') throw new Error(`cannot read ${shownAs}: a part of its path is not a directory (it is not a hosts file path)`);
    throw new Error(`cannot read ${shownAs}: ${explain(e)}`);
  }
  try {
    const stat = fs.fstat(fd);
    if (stat.isDirectory()) throw new Error(`${shownAs} is a directory, not a hosts file`);
    if (!stat.isFile()) throw new Error(`${shownAs} is not a regular file`);
    return { content: readFd(fs, fd, stat.size, reuse ? reusableBuffer(stat.size) : undefined), stat };
  } finally {
    closeQuietly(fs, fd);
  }
}

/**
 * The file behind fd from offset 0, as long as fstat says (or up to where it ends, if it shrank
 * meanwhile: the commit-time comparison catches any change made during the read).
 */
function readFd(fs: FileSystem, fd: number, sizeHint?: number, into?: Buffer): Buffer {
  const size = sizeHint ?? fs.fstat(fd).size;
  const buf = into ?? Buffer.allocUnsafe(size);
  let len = 0;
  while (len < size) {
    const n = fs.read(fd, buf, len, size - len, len);
    if (n === 0) break;
    len += n;
  }
  return len === size ? buf : buf.subarray(0, len);
}

function openOld(fs: FileSystem, target: string): number | null {
  try {
    return fs.open(target, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return null;
  }
}

/** Temp files of writers that died before their rename; see fs/atomic.ts. */
export function removeStaleTemps(dir: string, nowMs: number = Date.now()): number {
  return removeStaleTempsIn(dir, nowMs);
}

function startsWith(whole: Buffer, prefix: Buffer): boolean {
  return whole.length >= prefix.length && whole.subarray(0, prefix.length).equals(prefix);
}

function exists(fs: FileSystem, path: string): boolean {
  try {
    fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}
