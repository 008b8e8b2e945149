// OpenSSH-style StrictModes for a daemon that runs as root, checked BEFORE a config file is read:
// whoever can change a config file, or replace it, decides what root adds to the loopback
// interface and /etc/hosts — and a file that is refused is never opened, so no message (status,
// logs, validate) can quote what it contains.
//
// fs/trust.ts checks the resolved file and every directory above it (owner root or the daemon's
// user, no group/other write, a root-owned sticky directory fine as an ancestor). That alone
// misses the directories a symlink is found in: conf.d/x.yaml -> /etc/shadow, planted in a
// conf.d others can write, resolves to a perfectly trusted file, and the parse errors would
// quote its lines into the status every local user can read. So the path is walked as the
// kernel resolves it, and every directory a name is looked up in — lexically and through every
// link — must be trusted too, and every link on the way owned by root or the daemon's user.
import { lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { checkTrusted, type TrustFs, type TrustProblem } from '../fs/trust';

/** The file-system seam of the walk: fs/trust's plus readlink. */
export interface WalkFs extends TrustFs {
  readlink(path: string): string;
}

const realFs: WalkFs = { lstat: lstatSync, stat: statSync, realpath: (p) => realpathSync(p), readlink: (p) => readlinkSync(p) };

export interface ConfigTrustOptions {
  /** Owners allowed besides root; default the effective uid of this process (fs/trust's default). */
  trustedUids?: readonly number[];
  fs?: WalkFs;
  /** Directory results shared across the files of one load (a conf.d of many files). */
  cache?: Map<string, TrustProblem[]>;
}

const MAX_LINKS = 40;

/** Every reason a root daemon must not read `file`; empty when it may. */
export function configFileProblems(file: string, opts: ConfigTrustOptions = {}): TrustProblem[] {
  const fs = opts.fs ?? realFs;
  const trusted = new Set([0, ...(opts.trustedUids ?? defaultTrusted())]);
  const cache = opts.cache ?? new Map<string, TrustProblem[]>();
  const problems: TrustProblem[] = [];
  const trustOpts = { trustedUids: [...trusted], fs };

  const enterDir = (dir: string): void => {
    let found = cache.get(dir);
    if (found === undefined) {
      found = checkTrusted(dir, { expect: 'dir', ...trustOpts }).filter((p) => !(p.path === dir && p.kind === 'writable' && stickyRoot(dir, fs)));
      cache.set(dir, found);
    }
    problems.push(...found);
  };

  // Walk the path as the kernel resolves it. `cur` is always a real directory.
  let pending = parts(resolve(file));
  let cur = '/';
  enterDir(cur);
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      cur = resolve(cur, '..');
      continue;
    }
    const next = join(cur, name);
    let st: Stats;
    try {
      st = fs.lstat(next);
    } catch {
      break; // missing or unreadable: checkTrusted below says which
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) {
        problems.push({ path: next, kind: 'unreadable', message: `${file}: too many levels of symbolic links` });
        break;
      }
      if (!trusted.has(st.uid)) {
        problems.push({
          path: next,
          kind: 'owner',
          message: `${next} (on the way to ${file}) is a symbolic link owned by uid ${st.uid}, not root; loopkeeper runs as root and refuses it — replace it with a link owned by root`,
        });
      }
      let target: string;
      try {
        target = fs.readlink(next);
      } catch {
        break;
      }
      pending = [...parts(target), ...pending];
      if (isAbsolute(target)) {
        cur = '/';
      }
      continue;
    }
    if (pending.length === 0) break; // the file itself: checkTrusted below
    if (!st.isDirectory()) break;
    cur = next;
    enterDir(cur);
  }
  // The file itself and its resolved chain (a missing file: the directory it would appear in).
  problems.push(...checkTrusted(file, { expect: 'file', mayBeMissing: true, ...trustOpts }));
  return unique(problems);
}

function parts(p: string): string[] {
  return p.split('/').filter((s) => s !== '');
}

function stickyRoot(dir: string, fs: TrustFs): boolean {
  try {
    const st = fs.stat(dir);
    return st.uid === 0 && (st.mode & 0o1000) !== 0;
  } catch {
    return false;
  }
}

function defaultTrusted(): number[] {
  const uid = process.geteuid?.() ?? 0;
  return uid === 0 ? [0] : [0, uid];
}

function unique(list: TrustProblem[]): TrustProblem[] {
  const seen = new Set<string>();
  return list.filter((p) => {
    const key = `${p.path}\0${p.kind}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Whether a problem only says the file is not there or not a regular file. The reader refuses
 * those without reading a byte and says so in its own words; every directory on the way has been
 * checked, so nobody untrusted can put a file there in between.
 */
export function onlyNotAFile(problems: readonly TrustProblem[]): boolean {
  return problems.every((p) => p.kind === 'missing' || p.kind === 'type');
}
