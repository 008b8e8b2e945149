// File-change triggers. Editors save by writing a temp file and renaming it over the original,
// which replaces the inode a file watch is attached to; so each file's DIRECTORY is watched
// (filtered by name), plus the file itself for in-place writes through a bind mount (whose
// directory events never fire). Events are debounced: one save is one trigger. A directory that
// does not exist yet is watched from its nearest existing parent (SPEC: a config created after
// start-up is picked up without a restart).
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface WatchTarget {
  /** A file (watched through its directory, and directly) or a directory (any entry counts). */
  path: string;
  kind: 'file' | 'dir';
  /** For a dir: only entries matching this (e.g. *.yaml). */
  match?: (name: string) => boolean;
}

export interface Watcher {
  close(): void;
  /** Paths that could not be watched (missing); the cron schedule still covers them. */
  readonly unwatched: string[];
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** `onFirstEvent`: called at the first event of a debounce window, before the wait (the daemon starts its config loader then). */
export function watchTargets(targets: readonly WatchTarget[], onChange: () => void, debounceMs = 50, onFirstEvent?: () => void): Watcher {
  const dirWatchers = new Map<string, FSWatcher>();
  /** Watches of the nearest existing parent of a directory that does not exist yet. */
  const ancestors = new Map<string, FSWatcher>();
  const fileWatchers = new Map<string, FSWatcher>();
  const unwatched: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const fire = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    else onFirstEvent?.();
    timer = setTimeout(() => {
      timer = null;
      if (!closed) onChange();
    }, debounceMs);
  };

  const tryWatch = (path: string, listener: (event: string, name: string | null) => void): FSWatcher | null => {
    try {
      const w = watch(path, { persistent: false }, (event, name) => listener(event, name === null ? null : String(name)));
      w.on('error', () => {
        // The watched thing went away (deleted directory, replaced file): the dir watch or the
        // schedule covers it from here.
        w.close();
      });
      return w;
    } catch {
      return null;
    }
  };

  const armFile = (file: string): void => {
    fileWatchers.get(file)?.close();
    const w = tryWatch(file, () => {
      fire();
      // After a rename the watch points at the old inode: re-attach to the new file.
      setImmediate(() => !closed && armFile(file));
    });
    if (w) fileWatchers.set(file, w);
    else fileWatchers.delete(file);
  };

  const dirs = new Map<string, ((name: string) => boolean)[]>();
  for (const t of targets) {
    const dir = t.kind === 'dir' ? t.path : dirname(t.path);
    const want = basename(t.path);
    const match = t.kind === 'dir' ? (t.match ?? (() => true)) : (n: string) => n === want;
    dirs.set(dir, [...(dirs.get(dir) ?? []), match]);
    if (t.kind === 'file') armFile(t.path);
  }
  const filesIn = (dir: string): string[] => targets.filter((t) => t.kind === 'file' && dirname(t.path) === dir).map((t) => t.path);

  const armDir = (dir: string, matchers: ((name: string) => boolean)[]): void => {
    if (closed) return;
    const w = tryWatch(dir, (_event, name) => {
      if (!exists(dir)) {
        // The directory itself went away (rm -r): wait for it again from above.
        dirWatchers.get(dir)?.close();
        dirWatchers.delete(dir);
        fire();
        awaitDir(dir, matchers);
        return;
      }
      if (name === null || matchers.some((m) => m(name))) {
        fire();
        for (const f of filesIn(dir)) if (basename(f) === name) armFile(f);
      }
    });
    if (w) {
      dirWatchers.set(dir, w);
      return;
    }
    if (exists(dir)) unwatched.push(dir); // there but not watchable (permissions): the schedule covers it
    else awaitDir(dir, matchers);
  };

  /**
   * A directory that does not exist yet (/etc/loopkeeper before the first config): watch its
   * nearest existing parent for the next path component; when that appears, go one level down,
   * until the directory itself is watched — then its files count as changed (they may have been
   * written before the watch was armed).
   */
  const awaitDir = (dir: string, matchers: ((name: string) => boolean)[]): void => {
    if (closed) return;
    let child = dir;
    let parent = dirname(dir);
    while (parent !== child && !exists(parent)) {
      child = parent;
      parent = dirname(parent);
    }
    if (parent === child) {
      unwatched.push(dir);
      return;
    }
    const step = basename(child);
    const arrived = (): void => {
      w?.close();
      if (ancestors.get(dir) === w) ancestors.delete(dir);
      if (closed) return;
      armDir(dir, matchers);
      for (const f of filesIn(dir)) armFile(f);
      fire();
    };
    const w = tryWatch(parent, (_event, name) => {
      if ((name === null || name === step) && exists(child)) arrived();
    });
    if (!w) {
      unwatched.push(dir);
      return;
    }
    ancestors.set(dir, w);
    // Created between the look above and the watch: no event will say so.
    if (exists(child)) arrived();
  };

  for (const [dir, matchers] of dirs) armDir(dir, matchers);

  return {
    unwatched,
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of dirWatchers.values()) w.close();
      for (const w of ancestors.values()) w.close();
      for (const w of fileWatchers.values()) w.close();
    },
  };
}
