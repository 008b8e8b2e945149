// Whether a path is safe for a root process to trust (OpenSSH's safe_path(), as StrictModes
// uses it): the resolved path and every directory above it up to `/` must be owned by root or by
// the process's own user, and writable by nobody else. One exception, as in OpenSSH: a root-owned
// sticky directory (/tmp) is fine as an ANCESTOR, because nobody else can replace or rename what
// root (or our user) put in it. Symlinks are followed (the target chain is what is checked), and
// with `noSymlink` the path itself must not be one.
//
// Synchronous on purpose: a handful of stat calls, and the hosts writer that uses it is
// synchronous. Messages name paths, owners and modes only, never file content.
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

export type TrustProblemKind = 'owner' | 'writable' | 'symlink' | 'type' | 'missing' | 'unreadable';

export interface TrustProblem {
  /** The path the problem is about (the checked path, or one of its ancestors). */
  path: string;
  kind: TrustProblemKind;
  /** What is wrong and what fixes it, in words a user can act on. */
  message: string;
}

/** The seam: tests hand in a fake tree; by default the real file system. */
export interface TrustFs {
  lstat(path: string): Stats;
  stat(path: string): Stats;
  realpath(path: string): string;
}

const realFs: TrustFs = { lstat: lstatSync, stat: statSync, realpath: (p) => realpathSync(p) };

export interface TrustOptions {
  /** What the path must be. */
  expect: 'file' | 'dir';
  /** Refuse when the path itself is a symlink (state dir, socket dir). */
  noSymlink?: boolean;
  /**
   * A path that does not exist yet (a state dir created on first use): check its nearest
   * existing ancestor instead, as the directory it will be created in.
   */
  mayBeMissing?: boolean;
  /**
   * Judge the path itself as an ancestor: a root-owned sticky directory (/tmp) is fine. For the
   * directory that holds a file root writes by rename: nobody else can replace what root put in
   * a sticky directory, just as for any other ancestor.
   */
  asAncestor?: boolean;
  /** Owners allowed besides root; default the effective uid of this process. */
  trustedUids?: readonly number[];
  /** How the path is named in messages (default the path itself). */
  label?: string;
  fs?: TrustFs;
}

function defaultTrusted(): number[] {
  const uid = process.geteuid?.() ?? 0;
  return uid === 0 ? [0] : [0, uid];
}

/** Every reason `path` cannot be trusted; empty when it can. */
export function checkTrusted(path: string, opts: TrustOptions): TrustProblem[] {
  const fs = opts.fs ?? realFs;
  const trusted = new Set(opts.trustedUids ?? defaultTrusted());
  trusted.add(0);
  const label = opts.label ?? path;
  const abs = resolve(path);
  const problems: TrustProblem[] = [];

  let leaf: Stats;
  try {
    leaf = fs.lstat(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === 'ENOENT' || code === 'ENOTDIR') && opts.mayBeMissing) {
      const parent = nearestExisting(dirname(abs), fs);
      if (parent === null) return [{ path: abs, kind: 'missing', message: `${label}: no directory above it exists` }];
      return checkAncestors(parent, trusted, fs, label);
    }
    if (code === 'ENOENT' || code === 'ENOTDIR') return [{ path: abs, kind: 'missing', message: `${label} does not exist` }];
    return [{ path: abs, kind: 'unreadable', message: `${label} cannot be examined (${code ?? 'error'})` }];
  }
  if (leaf.isSymbolicLink() && opts.noSymlink) {
    return [
      {
        path: abs,
        kind: 'symlink',
        message: `${label} is a symbolic link; loopkeeper runs as root and does not follow it here — make it a real directory owned by root`,
      },
    ];
  }

  let real: string;
  let st: Stats;
  try {
    real = fs.realpath(abs);
    st = fs.stat(real);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return [{ path: abs, kind: code === 'ENOENT' ? 'missing' : 'unreadable', message: `${label} cannot be resolved (${code ?? 'error'})` }];
  }
  const shown = real === abs ? label : `${label} (→ ${real})`;
  const isType = opts.expect === 'file' ? st.isFile() : st.isDirectory();
  if (!isType) {
    problems.push({ path: real, kind: 'type', message: `${shown} is not a ${opts.expect === 'file' ? 'regular file' : 'directory'}` });
    return problems;
  }
  problems.push(...ownerAndMode(real, st, trusted, shown, opts.asAncestor ?? false));
  if (real !== '/') problems.push(...checkAncestors(dirname(real), trusted, fs, shown));
  return problems;
}

/** A path's problems as one sentence (for errors), or null when it can be trusted. */
export function trustError(path: string, opts: TrustOptions): string | null {
  const problems = checkTrusted(path, opts);
  return problems.length === 0 ? null : problems.map((p) => p.message).join('; ');
}

function nearestExisting(dir: string, fs: TrustFs): string | null {
  for (let d = dir; ; d = dirname(d)) {
    try {
      fs.stat(d);
      return fs.realpath(d);
    } catch {
      if (d === '/' || dirname(d) === d) return null;
    }
  }
}

/**
 * `dir` and every directory above it, each as an ancestor (a root-owned sticky one is fine). For a
 * missing path, `dir` is the directory it will be created in: an ancestor too.
 */
function checkAncestors(dir: string, trusted: Set<number>, fs: TrustFs, label: string): TrustProblem[] {
  const problems: TrustProblem[] = [];
  for (let d = dir; ; d = dirname(d)) {
    let st: Stats;
    try {
      st = fs.stat(d);
    } catch (e) {
      problems.push({ path: d, kind: 'unreadable', message: `${d} (above ${label}) cannot be examined (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
      break;
    }
    problems.push(...ownerAndMode(d, st, trusted, `${d} (above ${label})`, true));
    if (d === '/' || dirname(d) === d) break;
  }
  return problems;
}

function ownerAndMode(path: string, st: Stats, trusted: Set<number>, shown: string, ancestor: boolean): TrustProblem[] {
  const out: TrustProblem[] = [];
  if (!trusted.has(st.uid)) {
    out.push({
      path,
      kind: 'owner',
      message: `${shown} is owned by uid ${st.uid}, not root; loopkeeper runs as root and refuses it — fix: chown root ${quote(path)}`,
    });
  }
  if (st.mode & GROUP_OTHER_WRITE) {
    const stickyRoot = ancestor && st.isDirectory() && (st.mode & STICKY) !== 0 && st.uid === 0;
    if (!stickyRoot) {
      const who = whoCanWrite(st.mode);
      const fix =
        st.isDirectory() && st.mode & STICKY
          ? 'move it to a directory only root can write, e.g. /etc/loopkeeper'
          : `fix: chmod go-w ${quote(path)}`;
      out.push({
        path,
        kind: 'writable',
        message: `${shown} is writable by ${who} (mode ${modeText(st.mode)}); loopkeeper runs as root and refuses it — ${fix}`,
      });
    }
  }
  return out;
}

function whoCanWrite(mode: number): string {
  const group = (mode & 0o020) !== 0;
  const other = (mode & 0o002) !== 0;
  return group && other ? 'its group and others' : group ? 'its group' : 'others';
}

function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Quotes a path for a command line a person will paste into a shell. */
export function quote(path: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
