// newsyslog(8) rotates /var/log/loopkeeper.log through a drop-in in /etc/newsyslog.d/ (macOS reads
// every *.conf there). Rotation renames the file and creates a new one; loopkeeperd appends each
// line by path (`--log-file`), so its next line lands in the new file without a signal or a pid
// file (flag N). Flag B: no "logfile turned over" text line in a file of JSON lines. Archives stay
// uncompressed: launchd's stdout/stderr descriptors for the running job still point at the
// renamed file, and a compressed (deleted) archive would swallow what node itself prints there
// until the next start.
export const NEWSYSLOG_CONF = '/etc/newsyslog.d/loopkeeper.conf';

export interface RotationOptions {
  /** Archives kept besides the live file. */
  count: number;
  /** Rotate when the file reaches this many kilobytes. */
  sizeKiB: number;
}

export const DEFAULT_ROTATION: RotationOptions = { count: 5, sizeKiB: 1024 };

/** The drop-in for `log` (newsyslog.conf(5): logfile owner:group mode count size when flags). */
export function renderNewsyslogConf(log: string, opts: RotationOptions = DEFAULT_ROTATION): string {
  if (!/^\/[^\s#\\]+$/.test(log)) throw new Error(`the log path must be absolute, without spaces or '#': ${JSON.stringify(log)}`);
  return [
    '# loopkeeperd\'s log, rotated by newsyslog(8). Written by `loopkeeper install`, removed by',
    '# `loopkeeper uninstall`. The daemon reopens the file for every line, so no signal is needed (N);',
    '# B: no plain-text "turned over" line in a file of JSON lines.',
    '# logfilename\t\t[owner:group]\tmode\tcount\tsize(KiB)\twhen\tflags',
    `${log}\troot:wheel\t644\t${opts.count}\t${opts.sizeKiB}\t*\tBN`,
    '',
  ].join('\n');
}
