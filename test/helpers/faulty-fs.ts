// A file-system seam that fails on purpose: the real node:fs, except where a fault says otherwise.
// A fault picks a call (the operation, the path — for descriptor calls the path it was opened
// with — and which matching call) and throws an errno error, or, for ENOSPC-like faults on write,
// lets a byte budget through first (short writes, then the error), as a disk that fills up does.
import type { FileSystem } from '../../src/fs/seam';
import { realFs } from '../../src/fs/seam';

export type Op = keyof FileSystem;

export interface Fault {
  op: Op;
  /** The path (prefix string, RegExp or predicate); for fd calls, the path the fd was opened with. */
  path?: string | RegExp | ((path: string) => boolean);
  code: string;
  /**
   * Only for op 'write': the disk fills up. This many bytes past the end of the files that match
   * still fit (over all matching writes), then short writes and `code`.
   */
  afterBytes?: number;
  /** Fail the nth matching call only (1-based); default every matching call. */
  nth?: number;
  /** Only calls whose open flags include all of these (op 'open'). */
  flags?: number;
}

export interface FaultyFs extends FileSystem {
  /** "op path" per call, in order (descriptor calls name the path they were opened with). */
  readonly calls: string[];
  /** How many times each fault fired. */
  readonly fired: number[];
  /** Flags of every open, by path. */
  readonly openFlags: Array<{ path: string; flags: number }>;
}

export function errno(code: string, op = 'op', path = ''): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated failure, ${op} '${path}'`), { code, syscall: op, path });
}

function matches(m: Fault['path'], path: string): boolean {
  if (m === undefined) return true;
  if (typeof m === 'string') return path.startsWith(m);
  if (m instanceof RegExp) return m.test(path);
  return m(path);
}

export function faultyFs(faults: Fault[], base: FileSystem = realFs): FaultyFs {
  const fdPath = new Map<number, string>();
  const calls: string[] = [];
  const fired = faults.map(() => 0);
  const seen = faults.map(() => 0);
  const budget = faults.map((f) => f.afterBytes ?? 0);
  const openFlags: Array<{ path: string; flags: number }> = [];

  /** The fault that applies to this call, if any (counting matches for `nth`). */
  const pick = (op: Op, path: string, flags?: number): number => {
    for (let i = 0; i < faults.length; i++) {
      const f = faults[i]!;
      if (f.op !== op || !matches(f.path, path)) continue;
      if (f.flags !== undefined && ((flags ?? 0) & f.flags) !== f.flags) continue;
      seen[i]!++;
      if (f.nth !== undefined && seen[i] !== f.nth) continue;
      return i;
    }
    return -1;
  };
  const guard = (op: Op, path: string, flags?: number): void => {
    calls.push(`${op} ${path}`);
    const i = pick(op, path, flags);
    if (i < 0) return;
    if (op === 'write' && faults[i]!.afterBytes !== undefined) return; // handled in write
    fired[i]!++;
    throw errno(faults[i]!.code, op, path);
  };
  const ofFd = (fd: number): string => fdPath.get(fd) ?? `fd:${fd}`;

  const fs: FaultyFs = {
    calls,
    fired,
    openFlags,
    open(path, flags, mode) {
      guard('open', path, flags);
      openFlags.push({ path, flags });
      const fd = base.open(path, flags, mode);
      fdPath.set(fd, path);
      return fd;
    },
    close(fd) {
      guard('close', ofFd(fd));
      fdPath.delete(fd);
      base.close(fd);
    },
    read(fd, buffer, offset, length, position) {
      guard('read', ofFd(fd));
      return base.read(fd, buffer, offset, length, position);
    },
    write(fd, buffer, offset, length, position) {
      const path = ofFd(fd);
      calls.push(`write ${path}`);
      const i = pick('write', path);
      if (i >= 0) {
        const f = faults[i]!;
        if (f.afterBytes === undefined) {
          fired[i]!++;
          throw errno(f.code, 'write', path);
        }
        // Like a real disk, only bytes past the end of the file need new space: overwriting
        // what the file already holds always fits.
        const size = base.fstat(fd).size;
        const start = position ?? size;
        const held = Math.max(0, size - start);
        const fits = held + budget[i]!;
        if (fits <= 0) {
          fired[i]!++;
          throw errno(f.code, 'write', path);
        }
        const n = base.write(fd, buffer, offset, Math.min(length, fits), position);
        budget[i] = budget[i]! - Math.max(0, n - held);
        return n;
      }
      return base.write(fd, buffer, offset, length, position);
    },
    fstat(fd) {
      guard('fstat', ofFd(fd));
      return base.fstat(fd);
    },
    fsync(fd) {
      guard('fsync', ofFd(fd));
      base.fsync(fd);
    },
    ftruncate(fd, length) {
      guard('ftruncate', ofFd(fd));
      base.ftruncate(fd, length);
    },
    fchmod(fd, mode) {
      guard('fchmod', ofFd(fd));
      base.fchmod(fd, mode);
    },
    fchown(fd, uid, gid) {
      guard('fchown', ofFd(fd));
      base.fchown(fd, uid, gid);
    },
    rename(from, to) {
      guard('rename', to);
      base.rename(from, to);
    },
    link(existing, to) {
      guard('link', to);
      base.link(existing, to);
    },
    unlink(path) {
      guard('unlink', path);
      base.unlink(path);
    },
    lstat(path) {
      guard('lstat', path);
      return base.lstat(path);
    },
    stat(path) {
      guard('stat', path);
      return base.stat(path);
    },
    realpath(path) {
      guard('realpath', path);
      return base.realpath(path);
    },
    readlink(path) {
      guard('readlink', path);
      return base.readlink(path);
    },
    readdir(path) {
      guard('readdir', path);
      return base.readdir(path);
    },
    mkdir(path, mode) {
      guard('mkdir', path);
      base.mkdir(path, mode);
    },
  };
  return fs;
}
