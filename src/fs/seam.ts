// The file-system seam: the handful of calls every file loopkeeper writes goes through (the hosts
// file, its backups, the ownership ledger, the service files). Modelled on Tailscale's whole-file
// FS, one level lower: the in-place write of a bind-mounted hosts file needs descriptors (reserve
// the space, overwrite, truncate, fsync), so the seam is the descriptor calls, not whole files.
//
// Synchronous on purpose: the hosts writer's commit window (compare, then rename) must not
// interleave with anything else of ours, and every other file written here is small.
//
// The real implementation is node:fs itself. Tests wrap it to inject ENOSPC, EROFS, EACCES or
// EBUSY at a chosen call (test/helpers/faulty-fs.ts), which is how the fault suite reaches the
// failure paths without arranging real disks (it arranges real ones too, in a namespace).
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';

export interface FileSystem {
  open(path: string, flags: number, mode?: number): number;
  close(fd: number): void;
  /** Like read(2) at `position` (null: the file offset). Returns the bytes read, 0 at the end. */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number | null): number;
  /** Like write(2): may write fewer bytes than asked (a disk that fills up mid-way). */
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number | null): number;
  fstat(fd: number): Stats;
  fsync(fd: number): void;
  ftruncate(fd: number, length: number): void;
  fchmod(fd: number, mode: number): void;
  fchown(fd: number, uid: number, gid: number): void;
  rename(from: string, to: string): void;
  /** link(2): creates `to` only if it does not exist (an exclusive publish of a finished file). */
  link(existing: string, to: string): void;
  unlink(path: string): void;
  lstat(path: string): Stats;
  stat(path: string): Stats;
  realpath(path: string): string;
  readlink(path: string): string;
  readdir(path: string): string[];
  mkdir(path: string, mode: number): void;
}

export const realFs: FileSystem = {
  open: (path, flags, mode) => openSync(path, flags, mode),
  close: (fd) => closeSync(fd),
  read: (fd, buffer, offset, length, position) => readSync(fd, buffer, offset, length, position),
  write: (fd, buffer, offset, length, position) => writeSync(fd, buffer, offset, length, position),
  fstat: (fd) => fstatSync(fd),
  fsync: (fd) => fsyncSync(fd),
  ftruncate: (fd, length) => ftruncateSync(fd, length),
  fchmod: (fd, mode) => fchmodSync(fd, mode),
  fchown: (fd, uid, gid) => fchownSync(fd, uid, gid),
  rename: (from, to) => renameSync(from, to),
  link: (existing, to) => linkSync(existing, to),
  unlink: (path) => unlinkSync(path),
  lstat: (path) => lstatSync(path),
  stat: (path) => statSync(path),
  realpath: (path) => realpathSync(path),
  readlink: (path) => readlinkSync(path),
  readdir: (path) => readdirSync(path),
  mkdir: (path, mode) => {
    mkdirSync(path, { mode });
  },
};

/** The errno code of a thrown error ('' when it has none). */
export function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException | null)?.code ?? '';
}

/** What an errno means, in words (the code follows in parentheses where messages show it). */
export function describeCode(code: string): string {
  switch (code) {
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'the disk quota is exhausted';
    case 'EROFS':
      return 'the file system is read-only';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EBUSY':
      return 'the file is busy (mounted over)';
    case 'EIO':
      return 'an I/O error';
    case 'ELOOP':
      return 'it is a symbolic link';
    case 'ENOENT':
      return 'it does not exist';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return code === '' ? 'an unknown error' : code;
  }
}

/** "no space left on the device (ENOSPC)", or the error's message when it carries no code. */
export function explain(e: unknown): string {
  const code = codeOf(e);
  if (code === '') return e instanceof Error ? e.message : String(e);
  const words = describeCode(code);
  return words === code ? code : `${words} (${code})`;
}
