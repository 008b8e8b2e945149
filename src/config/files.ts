// Which files make up the config: the default file plus conf.d/*.yaml beside it, or the paths named
// with --config / LOOPKEEPER_CONFIG (a directory stands for its *.yaml and *.yml files). Files are
// merged in the order returned here; within a directory that is lexical (byte) order.
import { existsSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../model';
import type { Runtime } from '../runtime';

const CONFIG_NAME = /\.ya?ml$/;

/** Config files in a directory, lexical order; dotfiles (editor locks like `.#x.yaml`) are skipped. */
function configNames(names: readonly string[]): string[] {
  return names.filter((n) => CONFIG_NAME.test(n) && !n.startsWith('.')).sort(byteOrder);
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function confDirOf(defaultConfigFile: string): string {
  return join(dirname(defaultConfigFile), 'conf.d');
}

async function listDir(dir: string): Promise<string[] | null> {
  try {
    return configNames(await fsp.readdir(dir)).map((n) => join(dir, n));
  } catch {
    return null;
  }
}

export async function resolveConfigFiles(runtime: Runtime): Promise<{ files: string[]; diagnostics: Diagnostic[] }> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const error = (file: string, message: string): void => void diagnostics.push({ file, line: 1, col: 1, severity: 'error', message });

  if (runtime.configPaths === null) {
    const main = runtime.defaultConfigFile;
    if (existsSync(main)) files.push(main);
    else error(main, 'no config file; create it (see config/loopkeeper.example.yaml) or pass --config');
    files.push(...((await listDir(confDirOf(main))) ?? []));
  } else {
    for (const path of runtime.configPaths) {
      const st = await fsp.stat(path).catch(() => null);
      if (st?.isDirectory()) {
        const inside = await listDir(path);
        if (inside === null) error(path, 'cannot list this directory (permission denied?)');
        else if (inside.length === 0) error(path, 'is a directory without *.yaml or *.yml files; put the config there or pass a file');
        else files.push(...inside);
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
 * the conf.d directory. Only paths that exist now are returned (fs.watch cannot watch a missing
 * path); the daemon calls this again after every reload.
 */
export function configWatchPaths(runtime: Runtime): string[] {
  const out: string[] = [];
  const addIfExists = (p: string): void => {
    if (!out.includes(p) && existsSync(p)) out.push(p);
  };
  const addFileAndDir = (file: string): void => {
    addIfExists(file);
    addIfExists(dirname(file));
  };
  if (runtime.configPaths === null) {
    const main = runtime.defaultConfigFile;
    addFileAndDir(main);
    const confd = confDirOf(main);
    addIfExists(confd);
    for (const f of listDirSync(confd)) addIfExists(f);
  } else {
    for (const path of runtime.configPaths) {
      if (isDirSync(path)) {
        addIfExists(path);
        for (const f of listDirSync(path)) addIfExists(f);
      } else {
        addFileAndDir(path);
      }
    }
  }
  return out;
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
