// loopkeeperd --log-file: every line is appended by path, so a rotation (rename + new file, as
// newsyslog does it) needs no signal: the next line lands in the new file.
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendingWriter, createLogger } from '../../../src/daemon/log';

describe('appendingWriter', () => {
  it('appends JSON lines; after the file is rotated away the next line starts a new file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-logfile-'));
    const file = join(dir, 'loopkeeper.log');
    const log = createLogger('info', appendingWriter(file));
    log.info({ n: 1 }, 'first');
    log.info({ n: 2 }, 'second');
    expect(statSync(file).mode & 0o777).toBe(0o644 & ~process.umask());
    renameSync(file, `${file}.0`);
    log.info({ n: 3 }, 'third');
    const lines = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l).msg);
    expect(lines(`${file}.0`)).toEqual(['first', 'second']);
    expect(lines(file)).toEqual(['third']);
  });

  it('a line the file cannot take goes to the fallback, and logging never throws', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-logfile-'));
    const fallback: string[] = [];
    const write = appendingWriter(join(dir, 'no', 'such', 'dir.log'), (l) => void fallback.push(l));
    expect(() => write('x\n')).not.toThrow();
    expect(fallback).toEqual(['x\n']);
    if (process.getuid?.() !== 0) {
      chmodSync(dir, 0o500);
      appendingWriter(join(dir, 'ro.log'), (l) => void fallback.push(l))('y\n');
      expect(fallback).toEqual(['x\n', 'y\n']);
    }
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });
});
