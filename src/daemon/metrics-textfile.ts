// `loopkeeperd --metrics-textfile PATH` (SPEC "The daemon and its socket API"): the `/metrics`
// text written to PATH once the socket listens and after every reconcile, for node_exporter's
// textfile collector (it reads `*.prom` files from its --collector.textfile.directory; Debian's
// package uses /var/lib/prometheus/node-exporter). Fleets that scrape node_exporter then see every
// machine's loopkeeper health without a new scrape target.
//
// Atomic, through the project's one writer (src/fs/atomic.ts): a temp file in the same directory
// (`.loopkeeper-tmp-PID-HEX`: not a `*.prom` name, so the collector never reads it half-written),
// filled, fsynced, renamed over PATH. A scrape sees the old text or the new one. A failure never
// stops the daemon: it is logged (once per distinct cause, with what to do) and the next
// reconcile tries again.
import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { removeStaleTemps, writeFileAtomic } from '../fs/atomic';
import { codeOf, realFs, type FileSystem } from '../fs/seam';
import type { DaemonLogger } from './log-types';

/** Debian's node_exporter reads this directory (`--collector.textfile.directory`); the unit allows it. */
export const NODE_EXPORTER_TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';

export type TextfileCheck = { ok: true; path: string; warning?: string } | { ok: false; error: string };

/** Checks the flag's value at start-up: an absolute file path (relative ones resolve against the cwd). */
export function checkTextfilePath(value: string, stat: (p: string) => { isDirectory(): boolean } = statSync, cwd = process.cwd()): TextfileCheck {
  if (value.trim() === '') return { ok: false, error: '--metrics-textfile needs a file path, e.g. /var/lib/prometheus/node-exporter/loopkeeper.prom' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return { ok: false, error: `--metrics-textfile contains a control character: ${JSON.stringify(value)}` };
  const path = resolve(cwd, value);
  try {
    if (stat(path).isDirectory()) {
      return { ok: false, error: `--metrics-textfile ${path} is a directory: give a file in it, e.g. ${join(path, 'loopkeeper.prom')}` };
    }
  } catch {
    /* not there yet: the first write makes it */
  }
  if (!basename(path).endsWith('.prom')) {
    return { ok: true, path, warning: `node_exporter's textfile collector reads only *.prom files, and ${basename(path)} is not one` };
  }
  return { ok: true, path };
}

/** What to do about a write that failed, by errno code. */
export function adviceFor(code: string | undefined, path: string): string {
  const dir = dirname(path);
  switch (code) {
    case 'ENOENT':
      return `the directory ${dir} does not exist: create it (node_exporter reads the directory its --collector.textfile.directory names), then restart loopkeeper`;
    case 'EROFS':
      return (
        `${dir} is read-only for loopkeeperd: under systemd the unit's ProtectSystem=strict leaves only its ReadWritePaths= writable ` +
        `(it lists ${NODE_EXPORTER_TEXTFILE_DIR}, when that exists at start). Add a drop-in with ReadWritePaths=${dir} ` +
        '(`systemctl edit loopkeeper`), then `systemctl restart loopkeeper`'
      );
    case 'EACCES':
    case 'EPERM':
      return `loopkeeperd may not create files in ${dir}: check its owner and mode`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `the file system holding ${dir} is full`;
    default:
      return `check that ${dir} is a directory loopkeeperd can write`;
  }
}

export class MetricsTextfile {
  private failing: string | null = null;
  private written = 0;

  constructor(
    readonly path: string,
    private readonly render: () => string,
    private readonly log: DaemonLogger,
    private readonly fs: FileSystem = realFs,
  ) {}

  /** Writes the current metrics. Never throws: a failure is logged and the next write tries again. */
  write(event: 'started' | 'reconciled'): boolean {
    try {
      if (this.written === 0 && this.failing === null) {
        // Temp files of a loopkeeperd that died mid-write (their pid is gone).
        const removed = removeStaleTemps(dirname(this.path), Date.now(), this.fs);
        if (removed > 0) this.log.info({ dir: dirname(this.path), removed }, 'removed temp files an earlier loopkeeperd left');
      }
      // No owner kept: a file someone else made there is replaced by one root owns, 0644.
      writeFileAtomic(this.path, this.render(), { mode: 0o644, keepOwner: false, fs: this.fs });
    } catch (e) {
      const code = codeOf(e) || undefined;
      const message = typeof (e as Error)?.message === 'string' ? (e as Error).message : String(e);
      // The cause, not the message: that may name the temp file, which is new every time.
      const cause = code ?? message;
      if (cause !== this.failing) {
        this.log.error({ path: this.path, event, code, advice: adviceFor(code, this.path) }, `metrics textfile: ${message}`);
      } else {
        this.log.debug({ path: this.path, event, code }, 'could not write the metrics textfile (same error as before)');
      }
      this.failing = cause;
      return false;
    }
    if (this.failing !== null) this.log.info({ path: this.path, event }, 'metrics textfile written again');
    else if (this.written === 0) this.log.info({ path: this.path, event }, 'writing the metrics textfile after every reconcile');
    this.failing = null;
    this.written += 1;
    return true;
  }
}
