// Copies of the hosts file as it was before each write, under STATE_DIR/backups (SPEC: last 10).
// Private to root: a hosts file can name internal machines.
//
// A backup is published whole or not at all: written to an exclusive temp file in the backups
// directory, synced, then hard-linked to its final name (link(2) never replaces an existing
// name) and the temp name removed. A full disk or a read-only state dir leaves no truncated
// backup behind, only an error that names the state dir.
import { join } from 'node:path';
import { createTemp, removeStaleTemps, syncDir, unlinkQuietly } from '../fs/atomic';
import { codeOf, realFs, type FileSystem } from '../fs/seam';
import { ensurePrivateSubdir } from '../fs/state-dir';

export const BACKUPS_KEPT = 10;
const NAME = /^hosts\.(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z)(?:\.(\d+))?$/;

export function backupDir(stateDir: string): string {
  return join(stateDir, 'backups');
}

/**
 * Writes `content` as a new backup, drops the oldest beyond BACKUPS_KEPT, returns its path.
 * Throws StateDirError (the state dir or its backups directory cannot be trusted or created) or
 * FileWriteError (the backup could not be written); either way no partial backup is left.
 */
export function saveBackup(stateDir: string, content: Buffer, now: Date = new Date(), fs: FileSystem = realFs): string {
  const dir = ensurePrivateSubdir(stateDir, 'backups', { fs });
  removeStaleTemps(dir, now.getTime(), fs);
  const temp = createTemp(dir, content, { mode: 0o600, fs });
  const stamp = now.toISOString().replace(/:/g, '-');
  let path = '';
  try {
    for (let seq = 0; ; seq++) {
      path = join(dir, seq === 0 ? `hosts.${stamp}` : `hosts.${stamp}.${seq}`);
      if (publish(fs, temp.path, path)) break;
    }
  } finally {
    unlinkQuietly(fs, temp.path);
  }
  syncDir(dir, fs);
  pruneBackups(dir, fs);
  return path;
}

/** Gives the finished temp file its final name unless that name exists; false when it does. */
function publish(fs: FileSystem, temp: string, path: string): boolean {
  try {
    fs.link(temp, path);
    return true;
  } catch (e) {
    const code = codeOf(e);
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
  }
  // No hard links on this file system: rename, after making sure the name is free (only our own
  // processes write here: the directory is private to root).
  try {
    fs.lstat(path);
    return false;
  } catch (e) {
    if (codeOf(e) !== 'ENOENT') throw e;
  }
  fs.rename(temp, path);
  return true;
}

/** Backup file names, oldest first. */
export function listBackups(stateDir: string, fs: FileSystem = realFs): string[] {
  return sortedBackups(backupDir(stateDir), fs);
}

function sortedBackups(dir: string, fs: FileSystem): string[] {
  let names: string[];
  try {
    names = fs.readdir(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => ({ n, m: NAME.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => (a.m[1]! < b.m[1]! ? -1 : a.m[1]! > b.m[1]! ? 1 : Number(a.m[2] ?? 0) - Number(b.m[2] ?? 0)))
    .map((x) => x.n);
}

function pruneBackups(dir: string, fs: FileSystem): void {
  const names = sortedBackups(dir, fs);
  for (const n of names.slice(0, Math.max(0, names.length - BACKUPS_KEPT))) {
    // Already gone (another run pruned it): nothing to do.
    unlinkQuietly(fs, join(dir, n));
  }
}
