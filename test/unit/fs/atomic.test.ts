// The one atomic writer against real files in temp dirs, with faults injected through the seam:
// every failure leaves the target as it was (or says exactly what became of it) and no temp file.
import { spawnSync } from 'node:child_process';
import { constants, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTemp,
  FileReadError,
  FileWriteError,
  readRegularFile,
  removeStaleTemps,
  TEMP_PREFIX,
  writeFileAtomic,
  writeInPlace,
} from '../../../src/fs/atomic';
import { faultyFs } from '../../helpers/faulty-fs';

const tmp = () => mkdtempSync(join(tmpdir(), 'lk-atomic-'));
const temps = (dir: string) => readdirSync(dir).filter((n) => n.startsWith(TEMP_PREFIX));

function caught(fn: () => unknown): FileWriteError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FileWriteError) return e;
    throw e;
  }
  throw new Error('expected a FileWriteError');
}

describe('writeFileAtomic', () => {
  it('creates a file with the asked mode whatever the umask, syncs it and its directory, leaves no temp', () => {
    const dir = tmp();
    const fs = faultyFs([]);
    const old = process.umask(0o077);
    try {
      expect(writeFileAtomic(join(dir, 'f'), 'hello\n', { mode: 0o644, fs })).toEqual({ method: 'rename' });
    } finally {
      process.umask(old);
    }
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('hello\n');
    expect(statSync(join(dir, 'f')).mode & 0o7777).toBe(0o644);
    expect(temps(dir)).toEqual([]);
    const order = fs.calls.filter((c) => /^(write|fsync|rename) /.test(c)).map((c) => c.replace(dir, 'D').replace(/\.loopkeeper-tmp-\d+-[0-9a-f]{16}$/, '.loopkeeper-tmp-N'));
    expect(order).toEqual(['write D/.loopkeeper-tmp-N', 'fsync D/.loopkeeper-tmp-N', 'rename D/f', 'fsync D']);
  });

  it('keeps the mode of the file it replaces, and replaces it by rename (new inode)', () => {
    const dir = tmp();
    const f = join(dir, 'f');
    writeFileSync(f, 'old', { mode: 0o604 });
    const ino = statSync(f).ino;
    writeFileAtomic(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(statSync(f).mode & 0o7777).toBe(0o604);
    expect(statSync(f).ino).not.toBe(ino);
  });

  it('creates its temp file exclusively, without following links, under a random name', () => {
    const dir = tmp();
    const fs = faultyFs([]);
    writeFileAtomic(join(dir, 'a'), 'x', { fs });
    writeFileAtomic(join(dir, 'b'), 'x', { fs });
    const opened = fs.openFlags.filter((o) => o.path.includes(TEMP_PREFIX));
    expect(opened).toHaveLength(2);
    for (const o of opened) {
      const want = constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_WRONLY;
      expect(o.flags & want).toBe(want);
      expect(o.path).toMatch(new RegExp(`/${TEMP_PREFIX.replace(/\./g, '\\.')}${process.pid}-[0-9a-f]{16}$`));
    }
    expect(opened[0]!.path).not.toBe(opened[1]!.path);
  });

  it('replaces a symlink planted at the path; the file it points to is never written', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'secret'), 'root only\n', { mode: 0o600 });
    symlinkSync(join(dir, 'secret'), join(dir, 'state.json'));
    writeFileAtomic(join(dir, 'state.json'), '{}\n', { mode: 0o644 });
    expect(readFileSync(join(dir, 'secret'), 'utf8')).toBe('root only\n');
    expect(statSync(join(dir, 'secret')).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(dir, 'state.json')).isFile()).toBe(true);
  });

  it.each(['ENOSPC', 'EROFS', 'EACCES', 'EDQUOT'])('a temp file that cannot be created (%s): not written, target untouched', (code) => {
    const dir = tmp();
    writeFileSync(join(dir, 'f'), 'old');
    const e = caught(() => writeFileAtomic(join(dir, 'f'), 'new', { fs: faultyFs([{ op: 'open', path: join(dir, TEMP_PREFIX), code }]) }));
    expect([e.code, e.outcome]).toEqual([code, 'not-written']);
    expect(e.message).toContain(`(${code})`);
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('old');
    expect(temps(dir)).toEqual([]);
  });

  it('a disk that fills up while the temp file is written: not written, the partial temp file removed', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'f'), 'old');
    const fs = faultyFs([{ op: 'write', path: join(dir, TEMP_PREFIX), code: 'ENOSPC', afterBytes: 3 }]);
    const e = caught(() => writeFileAtomic(join(dir, 'f'), 'a longer new content', { fs }));
    expect([e.code, e.outcome]).toEqual(['ENOSPC', 'not-written']);
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('old');
    expect(temps(dir)).toEqual([]);
  });

  it.each(['fsync', 'fchmod'] as const)('a failing %s of the temp file: not written', (op) => {
    const dir = tmp();
    const e = caught(() => writeFileAtomic(join(dir, 'f'), 'new', { fs: faultyFs([{ op, path: join(dir, TEMP_PREFIX), code: 'EIO' }]) }));
    expect(e.outcome).toBe('not-written');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('EBUSY on rename: fails cleanly by default, writes in place when allowed', () => {
    const dir = tmp();
    const f = join(dir, 'f');
    writeFileSync(f, 'old content');
    const ino = statSync(f).ino;
    const busy = () => faultyFs([{ op: 'rename', path: f, code: 'EBUSY' }]);
    expect(caught(() => writeFileAtomic(f, 'new', { fs: busy() })).outcome).toBe('not-written');
    expect(readFileSync(f, 'utf8')).toBe('old content');
    expect(writeFileAtomic(f, 'new', { fs: busy(), inPlaceFallback: true })).toEqual({ method: 'in-place' });
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(statSync(f).ino).toBe(ino);
    expect(temps(dir)).toEqual([]);
  });
});

describe('writeInPlace: never a cut file', () => {
  const OLD = Buffer.from('127.0.0.1 localhost\n# a line of theirs\n10.0.0.1 their.test\n');
  const LONGER = Buffer.concat([OLD, Buffer.from('# BEGIN loopkeeper\n127.0.0.2\ta.test\n# END loopkeeper\n')]);
  const SHORTER = OLD.subarray(0, 20);
  const setup = (content: Buffer = OLD) => {
    const f = join(tmp(), 'hosts');
    writeFileSync(f, content);
    return f;
  };

  it('grows and shrinks a file in place (same inode)', () => {
    const f = setup();
    const ino = statSync(f).ino;
    writeInPlace(f, LONGER, OLD);
    expect(readFileSync(f)).toEqual(LONGER);
    writeInPlace(f, SHORTER, LONGER);
    expect(readFileSync(f)).toEqual(SHORTER);
    expect(statSync(f).ino).toBe(ino);
  });

  it('reserves the space before touching an old byte: the tail goes past the end first', () => {
    const f = setup();
    const fs = faultyFs([]);
    const writes: Array<[number, number]> = [];
    const spy = { ...fs, write: (fd: number, b: Buffer, o: number, l: number, p: number | null) => (writes.push([p ?? -1, l]), fs.write(fd, b, o, l, p)) };
    writeInPlace(f, LONGER, OLD, spy);
    expect(writes[0]).toEqual([OLD.length, LONGER.length - OLD.length]);
    expect(writes[writes.length - 1]![0]).toBe(0);
  });

  it('a disk full at every possible byte of the growth leaves the old file byte for byte, "not written"', () => {
    const extra = LONGER.length - OLD.length;
    for (let room = 0; room < extra; room++) {
      const f = setup();
      const e = caught(() => writeInPlace(f, LONGER, OLD, faultyFs([{ op: 'write', path: f, code: 'ENOSPC', afterBytes: room }])));
      expect([e.code, e.outcome]).toEqual(['ENOSPC', 'not-written']);
      expect(e.message).toMatch(/not written/);
      expect(readFileSync(f)).toEqual(OLD);
    }
  });

  it('ENOSPC reported only at fsync (delayed allocation): the old file, "not written"', () => {
    const f = setup();
    const e = caught(() => writeInPlace(f, LONGER, OLD, faultyFs([{ op: 'fsync', path: f, code: 'ENOSPC', nth: 1 }])));
    expect(e.outcome).toBe('not-written');
    expect(readFileSync(f)).toEqual(OLD);
  });

  it('a failure while overwriting writes the old bytes back: "restored"', () => {
    for (const next of [LONGER, SHORTER, Buffer.from(OLD.toString().toUpperCase())]) {
      const f = setup();
      // The first write at offset 0 fails (after the reservation, if any, succeeded).
      const fs = faultyFs([]);
      let failed = false;
      const flaky = {
        ...fs,
        write: (fd: number, b: Buffer, o: number, l: number, p: number | null) => {
          if (p === 0 && !failed) {
            failed = true;
            fs.write(fd, b, o, Math.min(l, 7), p); // half-way, then the error
            throw Object.assign(new Error('EIO'), { code: 'EIO' });
          }
          return fs.write(fd, b, o, l, p);
        },
      };
      const e = caught(() => writeInPlace(f, next, OLD, flaky));
      expect(e.outcome).toBe('restored');
      expect(readFileSync(f)).toEqual(OLD);
    }
  });

  it('a failing truncate when shrinking: "restored"', () => {
    const f = setup();
    const e = caught(() => writeInPlace(f, SHORTER, OLD, faultyFs([{ op: 'ftruncate', path: f, code: 'EIO', nth: 1 }])));
    expect(e.outcome).toBe('restored');
    expect(readFileSync(f)).toEqual(OLD);
  });

  it('says "damaged" only when even the old bytes cannot be written back', () => {
    const f = setup();
    const e = caught(() => writeInPlace(f, SHORTER, OLD, faultyFs([{ op: 'ftruncate', path: f, code: 'EIO' }])));
    expect(e.outcome).toBe('damaged');
    expect(e.message).toMatch(/could not be written back/);
  });

  it.each(['EROFS', 'EACCES'])('a file that cannot be opened for writing (%s): not written', (code) => {
    const f = setup();
    const e = caught(() => writeInPlace(f, LONGER, OLD, faultyFs([{ op: 'open', path: f, code }])));
    expect([e.code, e.outcome]).toEqual([code, 'not-written']);
    expect(readFileSync(f)).toEqual(OLD);
  });
});

describe('createTemp', () => {
  it('an exclusive create that finds the name taken is an error, never a reuse', () => {
    const dir = tmp();
    const e = caught(() => createTemp(dir, Buffer.from('x'), { fs: faultyFs([{ op: 'open', code: 'EEXIST' }]) }));
    expect(e.outcome).toBe('not-written');
  });
});

describe('readRegularFile', () => {
  it('reads a file, refuses a symlink at the path, a FIFO (without blocking), a directory and a big file', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'f'), 'content');
    expect(readRegularFile(join(dir, 'f')).toString()).toBe('content');
    symlinkSync(join(dir, 'f'), join(dir, 'link'));
    const kind = (p: string, o = {}) => {
      try {
        readRegularFile(p, o);
        return 'read';
      } catch (e) {
        return (e as FileReadError).kind;
      }
    };
    expect(kind(join(dir, 'link'))).toBe('symlink');
    expect(readRegularFile(join(dir, 'link'), { followSymlink: true }).toString()).toBe('content');
    expect(spawnSync('mkfifo', [join(dir, 'fifo')]).status).toBe(0);
    expect(kind(join(dir, 'fifo'))).toBe('not-regular');
    expect(kind(dir)).toBe('not-regular');
    expect(kind(join(dir, 'f'), { maxBytes: 3 })).toBe('too-big');
    expect(kind(join(dir, 'nope'))).toBe('missing');
    expect(readlinkSync(join(dir, 'link'))).toBe(join(dir, 'f'));
  });
});

describe('removeStaleTemps', () => {
  it('removes the temp files of dead writers and ancient ones, keeps a live writer\'s and foreign names', () => {
    const dir = tmp();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(dir, `${TEMP_PREFIX}${dead}-0123456789abcdef`), 'x');
    writeFileSync(join(dir, `${TEMP_PREFIX}${process.ppid}-0123456789abcdef`), 'x');
    writeFileSync(join(dir, `${TEMP_PREFIX}not-ours`), 'x');
    expect(removeStaleTemps(dir)).toBe(1);
    expect(removeStaleTemps(dir, Date.now() + 2 * 3600 * 1000)).toBe(1);
    expect(temps(dir)).toEqual([`${TEMP_PREFIX}not-ours`]);
  });
});
