// How hints name the loopkeeper command: the way this user can actually run it. A clone run as
// `node dist/cli/main.js` has no `loopkeeper` on PATH, so "run `sudo loopkeeper install`" would
// send them to a command that does not exist. Every hint that names a loopkeeper command line
// goes through cliHint().
//
// - `loopkeeper …` when the first `loopkeeper` on PATH resolves to this very CLI script;
// - otherwise `node /abs/dist/cli/main.js …` (the node binary's absolute path when the `node` on
//   PATH is another one);
// - with sudo: `sudo loopkeeper …` only when that `loopkeeper` sits in a system directory that
//   sudo's secure_path keeps (Debian: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin),
//   else `sudo /abs/node /abs/dist/cli/main.js …`, which works whatever PATH sudo gives (an nvm
//   or ~/.npm-global install is not on root's PATH).
import { realpathSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { packageRoot } from '../service/templates';
import { isExecutableFile } from '../fs/executable';

export interface InvocationFacts {
  /** process.argv[1]: the script node ran (a `loopkeeper` link, or dist/cli/main.js). */
  argv1: string | undefined;
  /** process.execPath. */
  execPath: string;
  /** The PATH the user's shell searches. */
  PATH: string | undefined;
  /** This installation's CLI entry, used when argv1 is not a loopkeeper CLI (tests, other entry points). */
  cliScript: string;
  /** The path with symlinks resolved, or null when it does not exist. */
  realpath(p: string): string | null;
  /** Whether p is an executable regular file (what a shell's PATH search takes). */
  executable(p: string): boolean;
}

/** Directories sudo's default secure_path (Debian, Ubuntu, Fedora) and Homebrew's bin keep on PATH. */
const SUDO_PATH_DIRS = new Set(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/snap/bin', '/opt/homebrew/bin']);

export interface Invocation {
  /** Words that start the CLI for this user: ['loopkeeper'] or ['node', '/abs/dist/cli/main.js']. */
  plain: string[];
  /** The same as root: ['sudo', 'loopkeeper'] or ['sudo', '/abs/node', '/abs/dist/cli/main.js']. */
  sudo: string[];
}

/** This process's facts (read when called). */
export const realInvocationFacts = (): InvocationFacts => ({
  argv1: process.argv[1],
  execPath: process.execPath,
  PATH: process.env.PATH,
  cliScript: join(packageRoot(), 'dist', 'cli', 'main.js'),
  realpath: (p) => {
    try {
      return realpathSync(p);
    } catch {
      return null;
    }
  },
  executable: isExecutableFile,
});

/** The first `name` a shell would run from PATH (relative PATH entries are skipped: they depend on the cwd). */
function onPath(name: string, f: InvocationFacts): string | null {
  for (const dir of (f.PATH ?? '').split(delimiter)) {
    if (dir === '' || !dir.startsWith('/')) continue;
    const p = join(dir, name);
    if (f.executable(p)) return p;
  }
  return null;
}

export function invocationOf(f: InvocationFacts): Invocation {
  const given = f.argv1 ? (f.realpath(f.argv1) ?? resolve(f.argv1)) : null;
  const script = given !== null && /(^|\/)cli\/main\.js$/.test(given) ? given : (f.realpath(f.cliScript) ?? f.cliScript);
  const named = onPath('loopkeeper', f);
  const absolute = [f.execPath, script];
  if (named !== null && f.realpath(named) === script) {
    return { plain: ['loopkeeper'], sudo: SUDO_PATH_DIRS.has(dirname(named)) ? ['sudo', 'loopkeeper'] : ['sudo', ...absolute] };
  }
  const node = onPath('node', f);
  const sameNode = node !== null && f.realpath(node) === (f.realpath(f.execPath) ?? f.execPath);
  return { plain: sameNode ? ['node', script] : absolute, sudo: ['sudo', ...absolute] };
}

let cached: Invocation | null = null;

/** How this process's user runs the CLI (worked out once per process). */
export function invocation(): Invocation {
  cached ??= invocationOf(realInvocationFacts());
  return cached;
}

/** POSIX shell quoting, only where a word needs it (for a command line a person copies). */
export function quoteWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A loopkeeper command line for a hint: cliHint('install', { sudo: true }) is
 * `sudo loopkeeper install` or `sudo /usr/bin/node /opt/lk/dist/cli/main.js install`.
 * `args` is literal text (subcommand and flags), appended as it is.
 */
export function cliHint(args: string, opts: { sudo?: boolean; how?: Invocation } = {}): string {
  const how = opts.how ?? invocation();
  const words = (opts.sudo ? how.sudo : how.plain).map(quoteWord).join(' ');
  return args === '' ? words : `${words} ${args}`;
}
