// Copies of the hosts file as it was before each write, under STATE_DIR/backups (SPEC: last 10).
// Private to root: a hosts file can name internal machines.
import { chmodSync, mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BACKUPS_KEPT = 10;
const NAME = /^hosts\.(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z)(?:\.(\d+))?$/;

export function backupDir(stateDir: string): string {
  return join(stateDir, 'backups');
}

/** Writes `content` as a new backup, drops the oldest beyond BACKUPS_KEPT, returns its path. */
export function saveBackup(stateDir: string, content: Buffer, now: Date = new Date()): string {
  const dir = backupDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const stamp = now.toISOString().replace(/:/g, '-');
  let path = '';
  for (let seq = 0; ; seq++) {
    path = join(dir, seq === 0 ? `hosts.${stamp}` : `hosts.${stamp}.${seq}`);
    try {
      writeFileSync(path, content, { flag: 'wx', mode: 0o600 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  pruneBackups(dir);
  return path;
}

/** Backup file names, oldest first. */
export function listBackups(stateDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(backupDir(stateDir));
  } catch {
    return [];
  }
  return names
    .map((n) => ({ n, m: NAME.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => (a.m[1]! < b.m[1]! ? -1 : a.m[1]! > b.m[1]! ? 1 : Number(a.m[2] ?? 0) - Number(b.m[2] ?? 0)))
    .map((x) => x.n);
}

function pruneBackups(dir: string): void {
  const names = listBackups(join(dir, '..'));
  for (const n of names.slice(0, Math.max(0, names.length - BACKUPS_KEPT))) {
    try {
      unlinkSync(join(dir, n));
    } catch {
      // Already gone (another run pruned it): nothing to do.
    }
  }
}
