// Applying a plan to the real file: backup, temp file + fsync + rename (or an in-place write
// where rename cannot work), never clobbering an edit another program made meanwhile.
//
// The file operations are synchronous on purpose: the check "is the file still what we planned
// from?" and the rename that follows must sit as close together as possible, with nothing of
// ours interleaved between them.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { DesiredHost } from '../model';
import { saveBackup } from './backups';
import { planHosts, type HostsPlan } from './plan';
import { planHostsCached } from './plan-cache';
import { messageOf } from '../errors';

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
}

/** Seams for tests: simulate another writer, or a file rename cannot replace. */
export interface WriterHooks {
  /** Runs when the temp file is complete, just before the final check of the target. */
  beforeCommit?: (attempt: number, target: string) => void;
  /** Replaces rename(2), e.g. to throw EBUSY like a bind-mounted file does. */
  rename?: (from: string, to: string) => void;
}

/** After this many attempts in a row that found the file changed, give up (and say why). */
export const MAX_ATTEMPTS = 5;
export const TEMP_PREFIX = '.loopkeeper-tmp-';
/** How long writes into a just-replaced file are waited for (see the rename step). */
const LATE_WRITE_GRACE_MS = 10;
const TEMP_NAME = /^\.loopkeeper-tmp-(\d+)-[0-9a-f]+$/;
/** No live write holds a temp file this long; older ones are debris whoever left them. */
const TEMP_MAX_AGE_MS = 60 * 60 * 1000;

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
  const target = resolveTarget(path);
  let snap = readTarget(target, path, true);
  let plan = planHostsCached(snap.content, desired);
  if (plan.next === null || opts.dryRun) {
    return { plan, written: false, method: null, backupPath: null, attempts: 1 };
  }
  const meta = snap.stat;
  const dir = dirname(target);
  removeStaleTemps(dir);

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
  let backedUp: Buffer | null = null;

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
  let attempt = 0;
  while (mayTry(++attempt)) {
    if (next.equals(expected)) return { plan, written: method !== null, method, backupPath, attempts: attempt };
    const ours = lastWritten !== null && expected.equals(lastWritten);
    if (meta !== null && !ours && (backedUp === null || !backedUp.equals(expected))) {
      backupPath = saveBackup(opts.stateDir, expected);
      backedUp = expected;
    }
    const temp = writeTemp(dir, next, meta);
    hooks.beforeCommit?.(attempt, target);

    // Held across the rename: a program that opened the old file before it and writes after our
    // check writes into this inode, and we read that back below.
    const oldFd = openOld(target);
    let now: Buffer;
    try {
      now = readTarget(target, path).content;
    } catch (e) {
      closeQuietly(oldFd);
      unlinkQuietly(temp.path);
      throw e;
    }
    if (!now.equals(expected)) {
      // Someone else edited the file since we read it: merge again from their version.
      closeQuietly(oldFd);
      unlinkQuietly(temp.path);
      adopt(now);
      expected = now;
      continue;
    }

    let how: 'rename' | 'in-place';
    if (temp.ownerKept) {
      try {
        (hooks.rename ?? renameSync)(temp.path, target);
        how = 'rename';
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && !exists(temp.path)) {
          // Our temp file vanished (another writer's clean-up misjudged it): just try again.
          closeQuietly(oldFd);
          continue;
        }
        if (code !== 'EBUSY' && code !== 'EXDEV') {
          closeQuietly(oldFd);
          unlinkQuietly(temp.path);
          throw new Error(`cannot replace ${target}: ${messageOf(e)}`);
        }
        // A bind-mounted file (containers, systemd ReadWritePaths) cannot be replaced.
        unlinkQuietly(temp.path);
        writeInPlace(target, next);
        how = 'in-place';
      }
    } else {
      // We could not give the temp file the original owner (not root): keep the inode instead.
      unlinkQuietly(temp.path);
      writeInPlace(target, next);
      how = 'in-place';
    }
    method = how;
    lastWritten = next;
    if (how === 'rename') fsyncDir(dir);

    // A program that opened the old file just before the rename may not have written yet (it
    // can be descheduled between open and write): give it a moment before looking.
    if (oldFd !== null && how === 'rename') await new Promise((r) => setTimeout(r, LATE_WRITE_GRACE_MS));
    const late = oldFd === null || how === 'in-place' ? null : readFd(oldFd);
    closeQuietly(oldFd);
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
    throw new Error(
      `hosts file keeps changing under us: ${path} changed ${MAX_ATTEMPTS} times while loopkeeper was writing it; ` +
        `an edit another program made meanwhile may be missing — compare with the backup ${backupPath ?? '(none)'}`,
    );
  }
  throw new Error(
    `hosts file keeps changing under us: ${path} changed ${MAX_ATTEMPTS} times while loopkeeper was writing it; ` +
      'nothing was overwritten — try again when the other program is done',
  );
}

/** The file to write: symlinks followed (the link stays a link). */
export function resolveTarget(path: string, depth = 0): string {
  try {
    return realpathSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot resolve ${path}: ${messageOf(e)}`);
  }
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    // Missing: it will be created, but only in a directory that exists.
    const parent = dirname(resolve(path));
    let realParent: string;
    try {
      realParent = realpathSync(parent);
    } catch {
      throw new Error(`cannot create ${path}: directory ${parent} does not exist`);
    }
    return join(realParent, basename(path));
  }
  if (st.isSymbolicLink() && depth < 40) {
    // A dangling link: create its target.
    return resolveTarget(resolve(dirname(path), readlinkSync(path)), depth + 1);
  }
  throw new Error(`cannot resolve ${path}`);
}

// The first read of every apply goes into one buffer kept between calls: a no-op reconcile of a
// large file then neither allocates nor page-faults, it only reads and compares. Contents read
// into it are valid until the next such read (nothing in applyHosts awaits in between).
let readBuffer = Buffer.alloc(0);

function reusableBuffer(size: number): Buffer {
  if (readBuffer.length < size) readBuffer = Buffer.allocUnsafe(size + (size >> 3));
  return readBuffer.subarray(0, size);
}

function readTarget(target: string, shownAs: string, reuse = false): Snapshot {
  let fd: number;
  try {
    fd = openSync(target, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { content: Buffer.alloc(0), stat: null };
    if (code === 'EACCES' || code === 'EPERM') {
      throw new Error(`cannot read ${shownAs}: permission denied (managing it needs root)`);
    }
    throw new Error(`cannot read ${shownAs}: ${messageOf(e)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new Error(`${shownAs} is a directory, not a hosts file`);
    if (!stat.isFile()) throw new Error(`${shownAs} is not a regular file`);
    return { content: readFd(fd, stat.size, reuse ? reusableBuffer(stat.size) : undefined), stat };
  } finally {
    closeSync(fd);
  }
}

/**
 * The file behind fd from offset 0, as long as fstat says (or up to where it ends, if it shrank
 * meanwhile: the commit-time comparison catches any change made during the read).
 */
function readFd(fd: number, sizeHint?: number, into?: Buffer): Buffer {
  const size = sizeHint ?? fstatSync(fd).size;
  const buf = into ?? Buffer.allocUnsafe(size);
  let len = 0;
  while (len < size) {
    const n = readSync(fd, buf, len, size - len, len);
    if (n === 0) break;
    len += n;
  }
  return len === size ? buf : buf.subarray(0, len);
}

function openOld(target: string): number | null {
  try {
    return openSync(target, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
}

/** A complete, synced temp file beside the target, with the target's mode and owner. */
function writeTemp(dir: string, content: Buffer, meta: Stats | null): { path: string; ownerKept: boolean } {
  const path = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(8).toString('hex')}`);
  const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o600);
  let ownerKept = true;
  try {
    writeAll(fd, content);
    if (meta !== null) {
      const mine = fstatSync(fd);
      if (mine.uid !== meta.uid || mine.gid !== meta.gid) {
        try {
          fchownSync(fd, meta.uid, meta.gid);
        } catch {
          ownerKept = false;
        }
      }
    }
    // After chown, which may clear set-id bits; explicit, because open() applied the umask.
    fchmodSync(fd, meta === null ? 0o644 : meta.mode & 0o7777);
    fsyncSync(fd);
  } catch (e) {
    closeQuietly(fd);
    unlinkQuietly(path);
    throw new Error(`cannot write a temp file in ${dir}: ${messageOf(e)}`);
  }
  closeSync(fd);
  return { path, ownerKept };
}

/**
 * For a file that cannot be replaced. Not atomic (a crash mid-write leaves a mixed file; the
 * backup taken before has the old version), so used only where rename is impossible. No O_TRUNC:
 * the file is never empty on the way, the tail is cut only after the new content is in.
 */
function writeInPlace(target: string, content: Buffer): void {
  const fd = openSync(target, constants.O_WRONLY);
  try {
    writeAll(fd, content, 0);
    ftruncateSync(fd, content.length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, content: Buffer, position?: number): void {
  let off = 0;
  while (off < content.length) {
    const pos = position === undefined ? null : position + off;
    off += writeSync(fd, content, off, content.length - off, pos);
  }
}

/** Makes the rename itself durable. Some file systems cannot sync a directory: fine. */
function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // Best effort: the data itself is already synced.
  } finally {
    closeQuietly(fd);
  }
}

/**
 * Temp files of writers that died before their rename (killed, power loss). Ours are named with
 * the writer's pid: a dead pid's file is debris. A live writer's is left alone, unless ancient.
 */
export function removeStaleTemps(dir: string, nowMs: number = Date.now()): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    const path = join(dir, name);
    let stale = pid !== process.pid && !isAlive(pid);
    if (!stale) {
      try {
        stale = nowMs - statSync(path).mtimeMs > TEMP_MAX_AGE_MS;
      } catch {
        continue;
      }
    }
    if (stale && unlinkQuietly(path)) removed++;
  }
  return removed;
}

function startsWith(whole: Buffer, prefix: Buffer): boolean {
  return whole.length >= prefix.length && whole.subarray(0, prefix.length).equals(prefix);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function closeQuietly(fd: number | null): void {
  if (fd === null) return;
  try {
    closeSync(fd);
  } catch {
    // Already closed or invalid: nothing left to release.
  }
}

function unlinkQuietly(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

