// Writing a desired-state file the way the daemon will trust it (StrictModes, SPEC): atomically
// (a temp file in the same directory, fsync, rename, fsync of the directory), never writable by
// group or others, a new file 0644 owned by the writer (root, when a person ran the command with
// sudo), an existing file keeping its owner. And renaming a profile without ever replacing a file.
//
// The bytes go through the one atomic writer (fs/atomic.ts) and the file-system seam, like every
// file loopkeeper writes; what is decided here is only the mode, the owner and the directory.
import { accessSync, chmodSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { messageOf } from '../errors';
import { syncDir, writeFileAtomic } from '../fs/atomic';
import { codeOf, realFs, type FileSystem } from '../fs/seam';

const GROUP_OTHER_WRITE = 0o022;
export const NEW_FILE_MODE = 0o644;
export const NEW_DIR_MODE = 0o755;

/**
 * Writes `text` to `path` atomically; creates its directory (one level, 0755) when missing. A
 * symlinked config file is written at its target (the link stays a link).
 */
export function writeConfigFile(path: string, text: string, fs: FileSystem = realFs): void {
  const target = exists(fs, path) ? fs.realpath(path) : path;
  ensureDir(dirname(target), fs);
  let mode = NEW_FILE_MODE;
  if (exists(fs, target)) {
    const st = fs.stat(target);
    if (!st.isFile()) throw new Error(`cannot write ${path}: it is not a regular file`);
    mode = st.mode & 0o7777 & ~GROUP_OTHER_WRITE;
  }
  writeFileAtomic(target, text, { mode, fs });
}

/**
 * Renames `from` to `to` (same directory) without replacing anything at `to`: a hard link (which
 * fails if `to` exists), then the old name removed — the bytes and the inode stay the same. Where
 * links are impossible, a rename after a check.
 */
export function renameConfigFile(from: string, to: string, fs: FileSystem = realFs): void {
  const taken = (): Error => new Error(`cannot rename ${from} to ${to}: ${to} exists; nothing was changed`);
  if (exists(fs, to)) throw taken();
  try {
    fs.link(from, to);
    fs.unlink(from);
  } catch (e) {
    const code = codeOf(e);
    if (code === 'EEXIST') throw taken();
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw new Error(`cannot rename ${from} to ${to}: ${messageOf(e)}`);
    fs.rename(from, to);
  }
  syncDir(dirname(to), fs);
}

/**
 * Whether this (unprivileged) process can make the change itself and leave the file as the
 * daemon trusts it: the file is its own (or new) and the directory writable. Otherwise the command
 * is run again as root.
 */
export function canWriteHere(path: string): boolean {
  const uid = process.geteuid?.() ?? 0;
  if (uid === 0) return true;
  let owner: number | null = null;
  try {
    owner = statSync(path).uid;
  } catch {
    owner = null; // a new file: the directory decides
  }
  if (owner !== null && owner !== uid) return false;
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

function ensureDir(dir: string, fs: FileSystem): void {
  if (exists(fs, dir)) return;
  if (!exists(fs, dirname(dir))) throw new Error(`cannot create ${dir}: ${dirname(dir)} does not exist`);
  fs.mkdir(dir, NEW_DIR_MODE);
  chmodSync(dir, NEW_DIR_MODE); // mkdir applied the umask
}

function exists(fs: FileSystem, path: string): boolean {
  try {
    fs.stat(path);
    return true;
  } catch {
    return false;
  }
}
