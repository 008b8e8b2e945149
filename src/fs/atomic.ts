// The one atomic writer: every file loopkeeper writes (the hosts file, its backups, the ownership
// ledger, the service files) is written here, through the file-system seam.
//
// - A whole-file write is a temp file in the same directory, created exclusively (O_EXCL |
//   O_NOFOLLOW: nothing planted under its name is followed or reused) under a random name, filled,
//   given its owner and mode, fsynced, renamed over the target, and the directory fsynced so the
//   rename itself survives a crash. A reader sees the old file or the new one, never half of one.
// - Where rename cannot work (a bind-mounted file: EBUSY; EXDEV), the in-place write below is the
//   fallback, and it cannot leave a cut file either: see writeInPlace.
// - Failures are typed (FileWriteError) and say truthfully what became of the file: not written,
//   restored to its old bytes, or damaged (only when even putting the old bytes back failed).
import { constants, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { codeOf, explain, realFs, type FileSystem } from './seam';

/** Every temp file of ours starts with this; the writer's pid follows, then 16 random hex digits. */
export const TEMP_PREFIX = '.loopkeeper-tmp-';
const TEMP_NAME = /^\.loopkeeper-tmp-(\d+)-[0-9a-f]+$/;
/** No live write holds a temp file this long; older ones are debris whoever left them. */
const TEMP_MAX_AGE_MS = 60 * 60 * 1000;

/** What became of the target when a write failed. */
export type WriteOutcome =
  /** The target is exactly as it was (nothing of it was touched, or a new file was never made). */
  | 'not-written'
  /** The target was partly overwritten in place, then its old bytes were written back. */
  | 'restored'
  /** Partly overwritten and the old bytes could not be written back: it is not what it was. */
  | 'damaged';

export class FileWriteError extends Error {
  constructor(
    message: string,
    /** The file that was to be written. */
    readonly path: string,
    /** The errno code of the failure ('' when none). */
    readonly code: string,
    readonly outcome: WriteOutcome,
  ) {
    super(message);
    this.name = 'FileWriteError';
  }
}

const OUTCOME_TEXT: Record<WriteOutcome, string> = {
  'not-written': 'it was not written (its content is unchanged)',
  restored: 'it was changed in place and then restored to its old content byte for byte',
  damaged: 'it was changed in place and its old content could not be written back: it may be incomplete',
};

export function outcomeText(outcome: WriteOutcome): string {
  return OUTCOME_TEXT[outcome];
}

function writeError(path: string, what: string, e: unknown, outcome: WriteOutcome): FileWriteError {
  return new FileWriteError(`cannot write ${path}: ${what}: ${explain(e)}; ${OUTCOME_TEXT[outcome]}`, path, codeOf(e), outcome);
}

export interface TempFile {
  path: string;
  /** false when the wanted owner could not be given (not root): the caller may need another way. */
  ownerKept: boolean;
}

export interface TempOptions {
  /** Permission bits of the file (default: those of `like`, else 0644). */
  mode?: number;
  /** The file being replaced: its owner (and, without `mode`, its mode) are copied. */
  like?: Stats | null;
  fs?: FileSystem;
}

/** A complete, synced temp file in `dir`, exclusively created under a random name. */
export function createTemp(dir: string, content: Buffer, opts: TempOptions = {}): TempFile {
  const fs = opts.fs ?? realFs;
  // node:crypto on first use: loading it costs ~7 ms, and most runs (plan, a no-op apply) write nothing.
  const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
  const path = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(8).toString('hex')}`);
  let fd: number;
  try {
    fd = fs.open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    throw new FileWriteError(`cannot create a temp file in ${dir}: ${explain(e)}`, path, codeOf(e), 'not-written');
  }
  let ownerKept = true;
  try {
    writeAll(fs, fd, content, 0, content.length, 0);
    const like = opts.like ?? null;
    if (like !== null) {
      const mine = fs.fstat(fd);
      if (mine.uid !== like.uid || mine.gid !== like.gid) {
        try {
          fs.fchown(fd, like.uid, like.gid);
        } catch {
          ownerKept = false;
        }
      }
    }
    // After chown, which may clear set-id bits; explicit, because open() applied the umask.
    fs.fchmod(fd, opts.mode ?? (like === null ? 0o644 : like.mode & 0o7777));
    fs.fsync(fd);
  } catch (e) {
    closeQuietly(fs, fd);
    unlinkQuietly(fs, path);
    throw new FileWriteError(`cannot write a temp file in ${dir}: ${explain(e)}`, path, codeOf(e), 'not-written');
  }
  try {
    fs.close(fd);
  } catch (e) {
    unlinkQuietly(fs, path);
    throw new FileWriteError(`cannot write a temp file in ${dir}: ${explain(e)}`, path, codeOf(e), 'not-written');
  }
  return { path, ownerKept };
}

export interface AtomicWriteOptions {
  /** Permission bits (default: those of the file replaced, else 0644). */
  mode?: number;
  /** Keep the owner of the file replaced (default true; a non-root writer cannot and does not). */
  keepOwner?: boolean;
  /** Where rename is impossible (EBUSY, EXDEV), write in place instead of failing (default false). */
  inPlaceFallback?: boolean;
  fs?: FileSystem;
}

export interface AtomicWriteResult {
  method: 'rename' | 'in-place';
}

/**
 * Writes the whole file `path` atomically (see the top of this file). A symlink at `path` is
 * replaced, never followed: a link planted there cannot make us write through it.
 */
export function writeFileAtomic(path: string, content: Buffer | string, opts: AtomicWriteOptions = {}): AtomicWriteResult {
  const fs = opts.fs ?? realFs;
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const dir = dirname(path);
  let like: Stats | null = null;
  try {
    const st = fs.lstat(path);
    if (st.isFile()) like = st;
  } catch (e) {
    if (codeOf(e) !== 'ENOENT') throw writeError(path, 'cannot examine it', e, 'not-written');
  }
  let temp: TempFile;
  try {
    temp = createTemp(dir, bytes, {
      mode: opts.mode ?? (like ? like.mode & 0o7777 : 0o644),
      like: opts.keepOwner === false ? null : like,
      fs,
    });
  } catch (e) {
    const inner = e as FileWriteError;
    throw new FileWriteError(`cannot write ${path}: ${inner.message}; ${OUTCOME_TEXT['not-written']}`, path, inner.code, 'not-written');
  }
  try {
    fs.rename(temp.path, path);
  } catch (e) {
    unlinkQuietly(fs, temp.path);
    const code = codeOf(e);
    if (!opts.inPlaceFallback || like === null || (code !== 'EBUSY' && code !== 'EXDEV')) {
      throw writeError(path, 'cannot replace it', e, 'not-written');
    }
    writeInPlace(path, bytes, readRegularFile(path, { fs }), fs);
    return { method: 'in-place' };
  }
  syncDir(dir, fs);
  return { method: 'rename' };
}

/**
 * Rewrites `target` (which holds `old`) to hold `next`, keeping its inode: for a file rename
 * cannot replace. It cannot leave a cut file when the disk fills up:
 * 1. Reserve first: when the new content is longer, its tail is written past the current end and
 *    fsynced (delayed allocation reports ENOSPC at fsync at the latest). Until then not one old
 *    byte is touched: a failure cuts the file back to its old length, and it is the old file.
 * 2. Then overwrite the head (space already held: overwriting allocated blocks needs none), cut
 *    a longer old tail, fsync.
 * 3. If step 2 fails anyway, the old bytes are written back and the old length restored.
 * The thrown FileWriteError says which of these happened. A crash (power loss, SIGKILL inside
 * step 2) can still leave a mix: callers keep a backup before writing in place.
 */
export function writeInPlace(target: string, next: Buffer, old: Buffer, fs: FileSystem = realFs): void {
  let fd: number;
  try {
    fd = fs.open(target, constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch (e) {
    throw writeError(target, 'cannot open it for writing', e, 'not-written');
  }
  try {
    if (next.length > old.length) {
      try {
        writeAll(fs, fd, next, old.length, next.length - old.length, old.length);
        fs.fsync(fd);
      } catch (e) {
        const back = tryRestore(fs, fd, old, false);
        throw writeError(target, `cannot reserve ${next.length - old.length} more bytes`, e, back ? 'not-written' : 'damaged');
      }
    }
    try {
      writeAll(fs, fd, next, 0, Math.min(next.length, old.length), 0);
      if (next.length < old.length) fs.ftruncate(fd, next.length);
      fs.fsync(fd);
    } catch (e) {
      const back = tryRestore(fs, fd, old, true);
      throw writeError(target, 'writing in place failed', e, back ? 'restored' : 'damaged');
    }
  } finally {
    closeQuietly(fs, fd);
  }
}

/** Puts `old` back (its bytes when `rewrite`, and its length), synced. false when that failed too. */
function tryRestore(fs: FileSystem, fd: number, old: Buffer, rewrite: boolean): boolean {
  try {
    if (rewrite) writeAll(fs, fd, old, 0, old.length, 0);
    fs.ftruncate(fd, old.length);
    fs.fsync(fd);
    return true;
  } catch {
    return false;
  }
}

/** Writes buffer[offset, offset + length) at `position` on, through short writes. */
export function writeAll(fs: FileSystem, fd: number, buffer: Buffer, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = fs.write(fd, buffer, offset + done, length - done, position + done);
    if (n <= 0) throw Object.assign(new Error('write wrote nothing'), { code: 'EIO' });
    done += n;
  }
}

/** Makes a rename in `dir` durable. Some file systems cannot sync a directory: then false. */
export function syncDir(dir: string, fs: FileSystem = realFs): boolean {
  let fd: number | null = null;
  try {
    fd = fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fs.fsync(fd);
    return true;
  } catch {
    return false; // best effort: the data itself is already synced
  } finally {
    if (fd !== null) closeQuietly(fs, fd);
  }
}

export type ReadFailure = 'missing' | 'symlink' | 'not-regular' | 'too-big' | 'unreadable';

export class FileReadError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly kind: ReadFailure,
    readonly code: string,
  ) {
    super(message);
    this.name = 'FileReadError';
  }
}

export interface ReadOptions {
  /** Refuse a bigger file (before reading it). */
  maxBytes?: number;
  /** Follow a symlink at the path (default false: refused with kind 'symlink'). */
  followSymlink?: boolean;
  fs?: FileSystem;
}

/**
 * The bytes of a regular file. Never follows a symlink at the path (unless asked) and never
 * blocks on a FIFO or a device (O_NONBLOCK, then refused because it is not a regular file).
 */
export function readRegularFile(path: string, opts: ReadOptions = {}): Buffer {
  const fs = opts.fs ?? realFs;
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (opts.followSymlink ? 0 : constants.O_NOFOLLOW);
  let fd: number;
  try {
    fd = fs.open(path, flags);
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FileReadError(`${path} does not exist`, path, 'missing', code);
    if (code === 'ELOOP') throw new FileReadError(`${path} is a symbolic link; it is not followed`, path, 'symlink', code);
    throw new FileReadError(`cannot read ${path}: ${explain(e)}`, path, 'unreadable', code);
  }
  try {
    const st = fs.fstat(fd);
    if (!st.isFile()) throw new FileReadError(`${path} is not a regular file`, path, 'not-regular', '');
    if (opts.maxBytes !== undefined && st.size > opts.maxBytes) {
      throw new FileReadError(`${path} is ${st.size} bytes, more than the ${opts.maxBytes} allowed`, path, 'too-big', '');
    }
    // One byte more than fstat says: a file that grew meanwhile is read to its end.
    let buf = Buffer.allocUnsafe(st.size + 1);
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        if (opts.maxBytes !== undefined && len > opts.maxBytes) {
          throw new FileReadError(`${path} is more than the ${opts.maxBytes} bytes allowed`, path, 'too-big', '');
        }
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const n = fs.read(fd, buf, len, buf.length - len, len);
      if (n === 0) break;
      len += n;
    }
    return buf.subarray(0, len);
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    throw new FileReadError(`cannot read ${path}: ${explain(e)}`, path, 'unreadable', codeOf(e));
  } finally {
    closeQuietly(fs, fd);
  }
}

/**
 * Temp files of writers that died before their rename (killed, power loss). Ours carry the
 * writer's pid: a dead pid's file is debris. A live writer's is left alone, unless ancient.
 */
export function removeStaleTemps(dir: string, nowMs: number = Date.now(), fs: FileSystem = realFs): number {
  let names: string[];
  try {
    names = fs.readdir(dir);
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
        stale = nowMs - fs.lstat(path).mtimeMs > TEMP_MAX_AGE_MS;
      } catch {
        continue;
      }
    }
    if (stale && unlinkQuietly(fs, path)) removed++;
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return codeOf(e) === 'EPERM';
  }
}

export function closeQuietly(fs: FileSystem, fd: number | null): void {
  if (fd === null) return;
  try {
    fs.close(fd);
  } catch {
    // Already closed or invalid: nothing left to release.
  }
}

export function unlinkQuietly(fs: FileSystem, path: string): boolean {
  try {
    fs.unlink(path);
    return true;
  } catch {
    return false;
  }
}
