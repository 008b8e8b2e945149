// The validated result of the last config load that applied, kept in STATE_DIR so that the next
// `apply`/`plan` over the very same bytes skips YAML, the schema and the rules (at 1,024 alias
// entries they are most of a no-op apply). What a hit skips is only pure computation over the
// files' texts; everything that looks at the machine still runs every time: which files
// (conf.d is listed again), StrictModes on each, reading each.
//
// Threat analysis (why a hit can be trusted exactly as much as a fresh parse):
// - Who can plant or change an entry: only who can write STATE_DIR, and the file is used only
//   when STATE_DIR passes the same trust rules as the ownership ledger (fs/state-dir.ts: owned by
//   root or this process's user, writable by nobody else, every directory above likewise) and the
//   file itself is a regular file (opened with O_NOFOLLOW) owned by a trusted uid, writable by
//   nobody else. Whoever can write there can already forge the ledger (make root remove an alias),
//   so the cache gives nobody anything new. A cache is never trusted across users: as root only a
//   root-owned one is read; a user's own cache only ever feeds that user's own processes.
// - Staleness: the entry holds every file's path and its whole text, compared byte for byte with
//   what was just read (no hash: no collision to argue about), in order, plus the build that
//   wrote it (a build id set by the bundler, else this module's own file stamp): any change of
//   any byte, of the file list, or of loopkeeper misses.
// - Damage (torn write, junk, a hostile JSON): the entry is parsed defensively and its shape
//   checked; anything unexpected is a miss, and a miss is just the normal load. Only valid
//   results are stored (an invalid config prints its errors from a fresh parse).
// Mode 0600: a conf.d file may be private, and its text is in here.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { DesiredState, Diagnostic } from '../model';
import { readRegularFile, writeFileAtomic } from '../fs/atomic';
import { realFs } from '../fs/seam';
import { stateDirProblem } from '../fs/state-dir';

/** Set by the bundler (scripts/bundle.js): one id per build, shared by all its bundles. */
declare const LOOPKEEPER_BUILD_ID: string | undefined;

export const CONFIG_CACHE_FILE = 'config-cache.json';
const FORMAT = 1;
/** Far above any real entry (config files are limited to 1 MiB each; this is a cap on junk). */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

export interface CachedText {
  file: string;
  text: string;
}

export interface CachedResult {
  desired: DesiredState;
  diagnostics: Diagnostic[];
}

interface Entry extends CachedResult {
  format: number;
  build: string;
  files: CachedText[];
}

let buildCached: string | undefined;
function buildId(): string {
  if (buildCached === undefined) {
    if (typeof LOOPKEEPER_BUILD_ID === 'string') buildCached = LOOPKEEPER_BUILD_ID;
    else {
      const st = statSync(__filename);
      buildCached = `module:${__filename}:${st.size}:${st.mtimeMs}`;
    }
  }
  return buildCached;
}

function trustedUid(uid: number): boolean {
  return uid === 0 || uid === (process.geteuid?.() ?? 0);
}

/** The stored result for exactly these texts, or null (missing, untrusted, damaged, different). */
export function readConfigCache(stateDir: string, texts: readonly CachedText[]): CachedResult | null {
  try {
    if (stateDirProblem(stateDir) !== null) return null;
    const path = join(stateDir, CONFIG_CACHE_FILE);
    // Owner and mode of the very file read: fstat on the descriptor readRegularFile opens.
    let ok = false;
    const fs = {
      ...realFs,
      fstat(fd: number) {
        const st = realFs.fstat(fd);
        ok = st.isFile() && trustedUid(st.uid) && (st.mode & 0o022) === 0;
        return st;
      },
    };
    const bytes = readRegularFile(path, { maxBytes: MAX_CACHE_BYTES, fs });
    if (!ok) return null;
    const entry = JSON.parse(bytes.toString('utf8')) as Partial<Entry> | null;
    if (!isEntry(entry) || entry.format !== FORMAT || entry.build !== buildId()) return null;
    if (entry.files.length !== texts.length) return null;
    for (let i = 0; i < texts.length; i++) {
      if (entry.files[i]!.file !== texts[i]!.file || entry.files[i]!.text !== texts[i]!.text) return null;
    }
    return { desired: entry.desired, diagnostics: entry.diagnostics };
  } catch {
    return null;
  }
}

/**
 * Stores `result` for `texts`, best effort: an existing, trusted STATE_DIR only (it is not
 * created for this), and a failure to write is no failure of the command.
 */
export function writeConfigCache(stateDir: string, texts: readonly CachedText[], result: CachedResult): boolean {
  try {
    if (stateDirProblem(stateDir) !== null) return false;
    if (!statSync(stateDir).isDirectory()) return false;
    const entry: Entry = { format: FORMAT, build: buildId(), files: [...texts], desired: result.desired, diagnostics: result.diagnostics };
    writeFileAtomic(join(stateDir, CONFIG_CACHE_FILE), JSON.stringify(entry), { mode: 0o600, keepOwner: false });
    return true;
  } catch {
    return false;
  }
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function isEntry(e: Partial<Entry> | null): e is Entry {
  if (e === null || typeof e !== 'object') return false;
  if (typeof e.format !== 'number' || typeof e.build !== 'string') return false;
  if (!Array.isArray(e.files) || !e.files.every((f) => f !== null && typeof f === 'object' && typeof f.file === 'string' && typeof f.text === 'string')) return false;
  const d = e.desired;
  if (d === null || typeof d !== 'object' || !isStringArray(d.aliases) || !Array.isArray(d.hosts)) return false;
  if (!d.hosts.every((h) => h !== null && typeof h === 'object' && typeof h.name === 'string' && isStringArray(h.addresses))) return false;
  const s = d.settings;
  if (s === null || typeof s !== 'object') return false;
  if (typeof s.schedule !== 'string' || typeof s.prune !== 'boolean' || !isStringArray(s.allowAliasRanges) || typeof s.aliasesFromHosts !== 'boolean') return false;
  if (!Array.isArray(e.diagnostics)) return false;
  return e.diagnostics.every(
    (x) =>
      x !== null &&
      typeof x === 'object' &&
      typeof x.file === 'string' &&
      typeof x.line === 'number' &&
      typeof x.col === 'number' &&
      (x.severity === 'warning' || x.severity === 'error') &&
      typeof x.message === 'string',
  );
}
