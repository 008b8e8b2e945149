// Which files make up the config. One layout everywhere (SPEC "Binaries"): a config directory —
// /etc/loopkeeper by default, or any directory named with --config / LOOPKEEPER_CONFIG — is its
// *.yaml (and *.yml) files, then its conf.d/*.yaml; the default directory's main file is
// loopkeeper.yaml, and it must exist. A file named with --config is read as it is. Files are
// merged in the order returned here; within a directory that is lexical (byte) order. The CLI's
// edits and profiles go to the conf.d/ of the config directory (editDirOf).
import { existsSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../model';
import type { Runtime } from '../runtime';
import { decodeConfigBytes, type ReadResult } from './read';
import { MAX_FILE_BYTES } from './limits';

const CONFIG_NAME = /\.ya?ml$/;
export const CONF_D = 'conf.d';

/**
 * A config state that is not on disk (yet): absolute path → the text the file would hold, or
 * null for a file that would be gone. The CLI validates an edit this way before writing it.
 */
export type ConfigOverlay = ReadonlyMap<string, string | null>;

/** The overlay's text for `file`, checked as its bytes would be on disk; undefined when the overlay has no say. */
export function overlayText(overlay: ConfigOverlay | undefined, file: string): ReadResult | undefined {
  const text = overlay?.get(resolve(file));
  if (text === undefined) return undefined;
  if (text === null) return { ok: false, message: 'no such file' };
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > MAX_FILE_BYTES) {
    return { ok: false, message: `would be ${bytes.length.toLocaleString('en-US')} bytes; config files are limited to ${MAX_FILE_BYTES.toLocaleString('en-US')} bytes` };
  }
  return decodeConfigBytes(bytes);
}

/** Whether a directory entry is a config file: *.yaml or *.yml, not a dotfile (editor locks like `.#x.yaml`). */
export function isConfigName(name: string): boolean {
  return CONFIG_NAME.test(name) && !name.startsWith('.');
}

/** Config files in a directory, lexical order. */
function configNames(names: readonly string[]): string[] {
  return names.filter(isConfigName).sort(byteOrder);
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function confDirOf(defaultConfigFile: string): string {
  return join(dirname(defaultConfigFile), CONF_D);
}

/**
 * The conf.d/ that CLI edits and profiles go to: beside the default file, or in the first
 * directory named with --config; null when only files were named (then an edit needs --file).
 */
export function editDirOf(runtime: Runtime): string | null {
  if (runtime.configPaths === null) return confDirOf(runtime.defaultConfigFile);
  const dir = runtime.configPaths.find(isDirSync);
  return dir === undefined ? null : join(dir, CONF_D);
}

/** Files named directly with --config (not found in a directory), resolved. */
export function namedConfigFiles(runtime: Runtime): Set<string> {
  return new Set((runtime.configPaths ?? []).filter((p) => !isDirSync(p)).map((p) => resolve(p)));
}

/** The config files in `dir`, as the directory holds them with `overlay` applied; null when it cannot be listed. */
async function listDir(dir: string, overlay?: ConfigOverlay): Promise<string[] | null> {
  let names: string[] | null;
  try {
    names = await fsp.readdir(dir);
  } catch {
    names = null;
  }
  return withOverlay(dir, names, overlay);
}

function withOverlay(dir: string, names: string[] | null, overlay: ConfigOverlay | undefined): string[] | null {
  if (!overlay || overlay.size === 0) return names === null ? null : configNames(names).map((n) => join(dir, n));
  const here = resolve(dir);
  const set = new Set(names ?? []);
  let touched = false;
  for (const [path, text] of overlay) {
    if (dirname(path) !== here) continue;
    touched = true;
    if (text === null) set.delete(basename(path));
    else set.add(basename(path));
  }
  if (names === null && !touched) return null;
  return configNames([...set]).map((n) => join(dir, n));
}

export async function resolveConfigFiles(runtime: Runtime, overlay?: ConfigOverlay): Promise<{ files: string[]; diagnostics: Diagnostic[] }> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const error = (file: string, message: string): void => void diagnostics.push({ file, line: 1, col: 1, severity: 'error', message });

  if (runtime.configPaths === null) {
    const main = runtime.defaultConfigFile;
    const gone = overlay?.get(resolve(main)) === null;
    if (!gone && (existsSync(main) || typeof overlay?.get(resolve(main)) === 'string')) files.push(main);
    else error(main, 'no config file; create it (see config/loopkeeper.example.yaml) or pass --config');
    files.push(...((await listDir(confDirOf(main), overlay)) ?? []));
  } else {
    for (const path of runtime.configPaths) {
      const st = await fsp.stat(path).catch(() => null);
      if (st?.isDirectory()) {
        const inside = await listDir(path, overlay);
        if (inside === null) {
          error(path, 'cannot list this directory (permission denied?)');
          continue;
        }
        const confd = (await listDir(join(path, CONF_D), overlay)) ?? [];
        if (inside.length === 0 && confd.length === 0) {
          error(path, `is a directory without *.yaml or *.yml files; put the config there or pass a file (searched it and its ${CONF_D}/)`);
        }
        files.push(...inside, ...confd);
      } else {
        files.push(path); // missing or unreadable files are reported by loadConfig, at the file
      }
    }
  }
  return { files: unique(files), diagnostics };
}

/** Drops later repeats of the same file (named twice, or once directly and once via its directory). */
function unique(files: readonly string[]): string[] {
  const seen = new Set<string>();
  return files.filter((f) => {
    const key = resolve(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The files and directories the daemon watches to notice config changes: every config file, the
 * directory of each (editors replace files by rename, and a new default file appears there), and
 * the conf.d directory of every config directory. Only paths that exist now are returned
 * (fs.watch cannot watch a missing path); the daemon calls this again after every reload, so a
 * conf.d created later (by `loopkeeper hosts add`) is watched from then on — its creation is
 * seen in the directory above it.
 */
export function configWatchPaths(runtime: Runtime): string[] {
  const out: string[] = [];
  const addIfExists = (p: string): void => {
    if (!out.includes(p) && existsSync(p)) out.push(p);
  };
  const addDir = (dir: string): void => {
    addIfExists(dir);
    for (const f of listDirSync(dir)) addIfExists(f);
  };
  if (runtime.configPaths === null) {
    const main = runtime.defaultConfigFile;
    addIfExists(main);
    addIfExists(dirname(main));
    addDir(confDirOf(main));
  } else {
    for (const path of runtime.configPaths) {
      if (isDirSync(path)) {
        addDir(path);
        addDir(join(path, CONF_D));
      } else {
        addIfExists(path);
        addIfExists(dirname(path));
      }
    }
  }
  return out;
}

/**
 * Where the config will be read from once it exists, whether or not anything is there now: the
 * default file and its conf.d, or each --config path (a missing one named like a config file is
 * a file; otherwise a directory, with its conf.d). The daemon watches these too — one that does
 * not exist yet from its nearest existing parent (src/daemon/watch.ts) — so a config created after
 * start-up (`/etc/loopkeeper/loopkeeper.yaml`) is picked up without a restart.
 */
export function expectedConfigPaths(runtime: Runtime): string[] {
  if (runtime.configPaths === null) return [runtime.defaultConfigFile, confDirOf(runtime.defaultConfigFile)];
  const out: string[] = [];
  for (const path of runtime.configPaths) {
    if (isDirSync(path) || (!existsSync(path) && !isConfigName(basename(path)))) out.push(path, join(path, CONF_D));
    else out.push(path);
  }
  return [...new Set(out)];
}

function isDirSync(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function listDirSync(dir: string): string[] {
  try {
    return configNames(readdirSync(dir)).map((n) => join(dir, n));
  } catch {
    return [];
  }
}
