// Writing a desired-state file the way the daemon will trust it (StrictModes, SPEC): atomically
// (a temp file in the same directory, fsync, rename, fsync of the directory), never writable by
// group or others, a new file 0644 owned by the writer (root, when a person ran the command with
// sudo), an existing file keeping its owner. And renaming a profile without ever replacing a file.
//
// This is the config files' seam; the hosts file has its own writer (compare-before-write,
// in-place fallback for bind mounts), which a config file does not need: only root edits it,
// and the daemon re-reads it on change.
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  chmodSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { messageOf } from '../errors';

const GROUP_OTHER_WRITE = 0o022;
export const NEW_FILE_MODE = 0o644;
export const NEW_DIR_MODE = 0o755;

/** Writes `text` to `path` atomically; creates its directory (one level, 0755) when missing. */
export function writeConfigFile(path: string, text: string): void {
  const target = existsSync(path) ? realpathSync(path) : path;
  const dir = dirname(target);
  ensureDir(dir);
  const old = statOrNull(target);
  if (old && !old.isFile()) throw new Error(`cannot write ${path}: it is not a regular file`);
  const temp = join(dir, `.${basename(target)}.loopkeeper-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o600);
  try {
    const bytes = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if (old) {
      const mine = fstatSync(fd);
      if (mine.uid !== old.uid || mine.gid !== old.gid) fchownSync(fd, old.uid, old.gid);
    }
    fchmodSync(fd, old ? old.mode & 0o7777 & ~GROUP_OTHER_WRITE : NEW_FILE_MODE);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkQuietly(temp);
    throw new Error(`cannot write ${path}: ${messageOf(e)}; it is unchanged`);
  }
  closeSync(fd);
  try {
    renameSync(temp, target);
  } catch (e) {
    unlinkQuietly(temp);
    throw new Error(`cannot replace ${path}: ${messageOf(e)}; it is unchanged`);
  }
  syncDir(dir);
}

/**
 * Renames `from` to `to` (same directory) without replacing anything at `to`: a hard link, then
 * the old name removed — the bytes and the inode stay the same. Where links are impossible, a
 * checked rename.
 */
export function renameConfigFile(from: string, to: string): void {
  if (existsSync(to)) throw new Error(`cannot rename ${from} to ${to}: ${to} exists; nothing was changed`);
  try {
    linkSync(from, to);
    unlinkSync(from);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`cannot rename ${from} to ${to}: ${to} exists; nothing was changed`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw new Error(`cannot rename ${from} to ${to}: ${messageOf(e)}`);
    renameSync(from, to);
  }
  syncDir(dirname(to));
}

/**
 * Whether this (unprivileged) process can make the change itself and leave the file as the
 * daemon trusts it: the file is its own (or new) and the directory writable. Otherwise the command
 * is run again as root.
 */
export function canWriteHere(path: string): boolean {
  const uid = process.geteuid?.() ?? 0;
  if (uid === 0) return true;
  const st = statOrNull(path);
  if (st && st.uid !== uid) return false;
  let dir = dirname(path);
  while (!existsSync(dir)) {
    const up = dirname(dir);
    if (up === dir) return false;
    dir = up;
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function ensureDir(dir: string): void {
  if (existsSync(dir)) return;
  if (!existsSync(dirname(dir))) throw new Error(`cannot create ${dir}: ${dirname(dir)} does not exist`);
  mkdirSync(dir, { mode: NEW_DIR_MODE });
  chmodSync(dir, NEW_DIR_MODE); // mkdir applied the umask
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // Best effort: some file systems cannot sync a directory; the data itself is synced.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
