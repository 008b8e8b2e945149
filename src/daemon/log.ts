// The daemon's logger: one JSON object per line on stdout, in pino's line format (numeric
// `level`, `time`, `pid`, `msg`), so pino-pretty, journald and launchd's log file all read it.
// Written here rather than using pino: the daemon logs a few lines a minute, and pino with its
// dependencies costs 2.4 MB of resident memory — 4% of the daemon's whole 60 MB budget.
import { appendFileSync, writeSync } from 'node:fs';

export const LEVELS = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10, silent: Infinity } as const;
export type LevelName = keyof typeof LEVELS;

export interface Logger {
  fatal(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  trace(obj: object, msg: string): void;
}

export function isLevel(name: string): name is LevelName {
  return Object.prototype.hasOwnProperty.call(LEVELS, name);
}

/** Errors become {type, message, code, stack}; anything JSON cannot hold becomes a string. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as NodeJS.ErrnoException).code;
    return { type: value.name, message: value.message, ...(code ? { code } : {}), stack: value.stack };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * Appends each line to `path`, opening it anew every time: after a rotation (newsyslog renames the
 * file and creates a new one) the next line lands in the new file, with no signal and no pid file.
 * The daemon logs a few lines a minute, so an open per line costs nothing. A line the file cannot
 * take goes to `fallback` (stdout, which launchd and journald keep).
 */
export function appendingWriter(path: string, fallback: (line: string) => void = (l) => writeSync(1, l)): (line: string) => void {
  return (line) => {
    try {
      appendFileSync(path, line, { mode: 0o644 });
    } catch {
      fallback(line);
    }
  };
}

export function createLogger(level: LevelName, write: (line: string) => void = (l) => writeSync(1, l)): Logger {
  const min = LEVELS[level];
  const pid = process.pid;
  const emit = (n: number, obj: object, msg: string): void => {
    if (n < min) return;
    let line: string;
    try {
      line = JSON.stringify({ level: n, time: new Date().toISOString(), pid, ...obj, msg }, replacer);
    } catch (e) {
      // A cycle in a logged object must not cost the event.
      line = JSON.stringify({ level: n, time: new Date().toISOString(), pid, msg, logError: String(e) });
    }
    try {
      write(line + '\n');
    } catch {
      // stdout closed (EPIPE) or full (EAGAIN): logging must never take the daemon down.
    }
  };
  return {
    fatal: (o, m) => emit(60, o, m),
    error: (o, m) => emit(50, o, m),
    warn: (o, m) => emit(40, o, m),
    info: (o, m) => emit(30, o, m),
    debug: (o, m) => emit(20, o, m),
    trace: (o, m) => emit(10, o, m),
  };
}
