// The hosts file's directory is checked before the writer follows a symlinked hosts file or puts
// a temp file beside it (SPEC "Services" / issue 17): a link in, or into, a directory that others
// can write would let them choose which file root rewrites.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyHosts, HostsWriteError } from '../../../src/hosts';
import { realFs, type FileSystem } from '../../../src/fs/seam';

const D = [{ name: 'a.test', addresses: ['127.0.0.2'] }];
const tmp = () => mkdtempSync(join(tmpdir(), 'lk-hosts-trust-'));

async function refusal(p: Promise<unknown>): Promise<HostsWriteError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HostsWriteError);
  return e as HostsWriteError;
}

describe('the directory of the hosts file', () => {
  it('a symlinked hosts file pointing into a directory others can write: refused, the target neither read nor written', async () => {
    const root = tmp();
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(join(open, 'hosts'), '10.0.0.1 theirs.test\n');
    mkdirSync(join(root, 'etc'));
    symlinkSync(join(open, 'hosts'), join(root, 'etc', 'hosts'));
    const e = await refusal(applyHosts(join(root, 'etc', 'hosts'), D, { stateDir: join(root, 'state') }));
    expect(e.reason).toBe('HostsDirUnsafe');
    expect(e.message).toMatch(/is writable by its group and others \(mode 0777\).*chmod go-w/);
    expect(e.message).toMatch(/nothing was read or written through it/);
    expect(readFileSync(join(open, 'hosts'), 'utf8')).toBe('10.0.0.1 theirs.test\n');
    // Not even a dry run reads through it.
    expect((await refusal(applyHosts(join(root, 'etc', 'hosts'), D, { stateDir: join(root, 'state'), dryRun: true }))).reason).toBe('HostsDirUnsafe');
  });

  it('a hosts file directly in a directory others can write is refused; in a root-owned sticky one (/tmp) it is fine', async () => {
    const root = tmp();
    chmodSync(root, 0o777);
    writeFileSync(join(root, 'hosts'), '127.0.0.1 localhost\n');
    expect((await refusal(applyHosts(join(root, 'hosts'), D, { stateDir: join(tmp(), 'state') }))).reason).toBe('HostsDirUnsafe');
    const inTmp = join(tmpdir(), `lk-hosts-sticky-${process.pid}-${Date.now()}`);
    writeFileSync(inTmp, '127.0.0.1 localhost\n');
    try {
      const out = await applyHosts(inTmp, D, { stateDir: join(tmp(), 'state') });
      expect(out.written).toBe(true);
    } finally {
      rmSync(inTmp, { force: true });
    }
  });

  it('a chain of links is checked hop by hop: a middle link in an open directory is refused', async () => {
    const root = tmp();
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    mkdirSync(join(root, 'safe'));
    writeFileSync(join(root, 'safe', 'hosts'), '127.0.0.1 localhost\n');
    symlinkSync(join(root, 'safe', 'hosts'), join(open, 'hop'));
    symlinkSync(join(open, 'hop'), join(root, 'hosts'));
    expect((await refusal(applyHosts(join(root, 'hosts'), D, { stateDir: join(root, 'state') }))).reason).toBe('HostsDirUnsafe');
    expect(readFileSync(join(root, 'safe', 'hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
  });

  it('a directory owned by another user is refused', async () => {
    const root = tmp();
    writeFileSync(join(root, 'hosts'), '127.0.0.1 localhost\n');
    const lie = (p: string, st: Stats): Stats => (p === root ? Object.assign(Object.create(Object.getPrototypeOf(st)), st, { uid: 4242 }) : st);
    const fs: FileSystem = { ...realFs, lstat: (p) => lie(p, realFs.lstat(p)), stat: (p) => lie(p, realFs.stat(p)) };
    const e = await refusal(applyHosts(join(root, 'hosts'), D, { stateDir: join(tmp(), 'state'), fs }));
    expect(e.message).toMatch(/owned by uid 4242/);
  });
});
