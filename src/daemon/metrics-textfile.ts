// `loopkeeperd --metrics-textfile PATH` (SPEC "The daemon and its socket API"): the `/metrics`
// text written to PATH once the socket listens and after every reconcile, for node_exporter's
// textfile collector (it reads `*.prom` files from its --collector.textfile.directory; Debian's
// package uses /var/lib/prometheus/node-exporter). Fleets that scrape node_exporter then see every
// machine's loopkeeper health without a new scrape target.
//
// Atomic: a temp file in the same directory (its name does not end in `.prom`, so the collector
// never reads it half-written), filled, fsynced, renamed over PATH. A scrape sees the old text or
// the new one. A failure never stops the daemon: it is logged (once per distinct cause, with what
// to do) and the next reconcile tries again.
//
// The writer is local to this module: the project's shared atomic writer (src/fs/atomic.ts) was
// not on main yet. Its temp names follow the same pattern (`.loopkeeper-tmp-PID-HEX`), so moving
// this onto it later changes no file name anyone sees.
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { DaemonLogger } from './daemon';

/** Debian's node_exporter reads this directory (`--collector.textfile.directory`); the unit allows it. */
export const NODE_EXPORTER_TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';
export const TEMP_PREFIX = '.loopkeeper-tmp-';
const TEMP_NAME = /^\.loopkeeper-tmp-(\d+)-[0-9a-f]+$/;

/** The file operations the writer needs (tests pass a faulty one). */
export type TextfileFs = Pick<
  typeof nodeFs,
  'openSync' | 'writeSync' | 'fchmodSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'unlinkSync' | 'readdirSync' | 'statSync'
>;

/**
 * Writes `content` to `path` through a temp file beside it and a rename. The temp file is created
 * exclusively and without following a symlink planted under its (random) name; on any failure it
 * is removed and the target is left as it was.
 */
export function writeFileAtomicSync(path: string, content: string, mode = 0o644, fs: TextfileFs = nodeFs): void {
  const tmp = join(dirname(path), `${TEMP_PREFIX}${process.pid}-${randomBytes(8).toString('hex')}`);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = nodeFs.constants;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  let renamed = false;
  try {
    const bytes = Buffer.from(content, 'utf8');
    for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fchmodSync(fd, mode); // the umask may have narrowed it; node_exporter runs as another user
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already closed */
      }
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* never created or already gone */
      }
    }
  }
}

export type TextfileCheck = { ok: true; path: string; warning?: string } | { ok: false; error: string };

/** Checks the flag's value at start-up: an absolute file path (relative ones resolve against the cwd). */
export function checkTextfilePath(value: string, fs: Pick<TextfileFs, 'statSync'> = nodeFs, cwd = process.cwd()): TextfileCheck {
  if (value.trim() === '') return { ok: false, error: '--metrics-textfile needs a file path, e.g. /var/lib/prometheus/node-exporter/loopkeeper.prom' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return { ok: false, error: `--metrics-textfile contains a control character: ${JSON.stringify(value)}` };
  const path = resolve(cwd, value);
  try {
    if (fs.statSync(path).isDirectory()) {
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
    private readonly fs: TextfileFs = nodeFs,
    private readonly alive: (pid: number) => boolean = pidAlive,
  ) {}

  /** Writes the current metrics. Never throws: a failure is logged and the next write tries again. */
  write(event: 'started' | 'reconciled'): boolean {
    try {
      if (this.written === 0 && this.failing === null) this.removeDebris();
      writeFileAtomicSync(this.path, this.render(), 0o644, this.fs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const message = typeof (e as Error)?.message === 'string' ? (e as Error).message : String(e);
      // The cause, not the message: that names the temp file, which is new every time.
      const cause = code ?? message;
      if (cause !== this.failing) {
        this.log.error({ path: this.path, event, code, advice: adviceFor(code, this.path) }, `could not write the metrics textfile: ${message}`);
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

  /** Temp files a loopkeeperd that died mid-write left beside the target (their pid is gone). */
  private removeDebris(): void {
    const dir = dirname(this.path);
    let names: string[];
    try {
      names = this.fs.readdirSync(dir);
    } catch {
      return; // the write below reports what is wrong with the directory
    }
    for (const name of names) {
      const m = TEMP_NAME.exec(name);
      if (!m || this.alive(Number(m[1]))) continue;
      try {
        this.fs.unlinkSync(join(dir, name));
        this.log.info({ path: join(dir, name) }, 'removed a temp file an earlier loopkeeperd left');
      } catch {
        /* somebody else removed it */
      }
    }
  }
}

/** Whether a process with this pid runs (before our first write, a temp file with our own pid is an earlier one's). */
function pidAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
