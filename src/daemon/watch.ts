// File-change triggers. Editors save by writing a temp file and renaming it over the original,
// which replaces the inode a file watch is attached to; so each file's DIRECTORY is watched
// (filtered by name), plus the file itself for in-place writes through a bind mount (whose
// directory events never fire). Events are debounced: one save is one trigger.
import { watch, type FSWatcher } from 'node:fs';
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

export function watchTargets(targets: readonly WatchTarget[], onChange: () => void, debounceMs = 50): Watcher {
  const watchers: FSWatcher[] = [];
  const fileWatchers = new Map<string, FSWatcher>();
  const unwatched: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const fire = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
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
  for (const [dir, matchers] of dirs) {
    const w = tryWatch(dir, (_event, name) => {
      if (name === null || matchers.some((m) => m(name))) {
        fire();
        for (const t of targets) if (t.kind === 'file' && dirname(t.path) === dir && basename(t.path) === name) armFile(t.path);
      }
    });
    if (w) watchers.push(w);
    else unwatched.push(dir);
  }

  return {
    unwatched,
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
      for (const w of fileWatchers.values()) w.close();
    },
  };
}
