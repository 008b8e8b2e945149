// The writer against real files in temp dirs: atomic replace, owner/mode, symlinks, backups, and
// never clobbering another program's edit (simulated through the writer's test seams).
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyHosts, planHosts } from '../../../src/hosts';
import { listBackups } from '../../../src/hosts/backups';
import { applyHosts as applyWith, removeStaleTemps } from '../../../src/hosts/writer';
import type { DesiredHost } from '../../../src/model';

const ORIGINAL = '127.0.0.1\tlocalhost\r\n# keep me  \r\n10.1.2.3 other.test'; // CRLF, no final newline
const D1: DesiredHost[] = [{ name: 'api.myteam.test', addresses: ['127.0.0.2'] }];
const D2: DesiredHost[] = [{ name: 'web.myteam.test', addresses: ['127.0.0.3', 'fd00::2'] }];

function setup(content: string | null = ORIGINAL): { dir: string; file: string; state: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lk-hosts-'));
  const file = join(dir, 'hosts');
  if (content !== null) writeFileSync(file, content, 'latin1');
  return { dir, file, state: join(dir, 'state') };
}

const temps = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.loopkeeper-tmp-'));

describe('applyHosts', () => {
  it('writes the planned bytes atomically (new inode) and reports what it did', async () => {
    const { file, state, dir } = setup();
    const before = statSync(file);
    const out = await applyHosts(file, D1, { stateDir: state });
    expect(out.written).toBe(true);
    expect(out.method).toBe('rename');
    expect(out.attempts).toBe(1);
    expect(readFileSync(file)).toEqual(planHosts(Buffer.from(ORIGINAL, 'latin1'), D1).next);
    expect(statSync(file).ino).not.toBe(before.ino);
    expect(out.plan.changes).toEqual([{ kind: 'hosts', action: 'add', name: 'api.myteam.test', addresses: ['127.0.0.2'] }]);
    expect(temps(dir)).toEqual([]);
  });

  it('writes nothing when nothing changes: same inode, same mtime, no backup', async () => {
    const { file, state } = setup();
    await applyHosts(file, D1, { stateDir: state });
    // An mtime far in the past: any rewrite would move it, however fast this machine is.
    utimesSync(file, new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
    const before = statSync(file);
    const backups = listBackups(state);
    const out = await applyHosts(file, D1, { stateDir: state });
    expect(out.written).toBe(false);
    expect(out.method).toBeNull();
    const after = statSync(file);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(listBackups(state)).toEqual(backups);
  });

  it('dry run plans without touching the file or the state dir', async () => {
    const { file, state } = setup();
    const before = statSync(file);
    const out = await applyHosts(file, D1, { stateDir: state, dryRun: true });
    expect(out.written).toBe(false);
    expect(out.plan.next).not.toBeNull();
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    expect(readFileSync(file, 'latin1')).toBe(ORIGINAL);
    expect(existsSync(state)).toBe(false);
  });

  it('down gives back the original byte for byte', async () => {
    const { file, state } = setup();
    await applyHosts(file, D1, { stateDir: state });
    await applyHosts(file, D2, { stateDir: state });
    const out = await applyHosts(file, null, { stateDir: state });
    expect(out.written).toBe(true);
    expect(readFileSync(file, 'latin1')).toBe(ORIGINAL);
  });

  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot('keeps the owner, group and mode of the file', async () => {
    const { file, state } = setup();
    chownSync(file, 1234, 5678);
    chmodSync(file, 0o640);
    await applyHosts(file, D1, { stateDir: state });
    const st = statSync(file);
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([1234, 5678, 0o640]);
  });

  it('keeps an unusual mode even under a restrictive umask', async () => {
    const { file, state } = setup();
    chmodSync(file, 0o604);
    const old = process.umask(0o077);
    try {
      await applyHosts(file, D1, { stateDir: state });
    } finally {
      process.umask(old);
    }
    expect(statSync(file).mode & 0o7777).toBe(0o604);
  });

  it('follows a symlinked hosts file to its target; the link stays a link', async () => {
    const { dir, file, state } = setup();
    mkdirSync(join(dir, 'etc'));
    const link = join(dir, 'etc', 'hosts');
    symlinkSync('../hosts', link);
    const out = await applyHosts(link, D1, { stateDir: state });
    expect(out.written).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../hosts');
    expect(readFileSync(file, 'latin1')).toContain('127.0.0.2\tapi.myteam.test');
    expect(temps(join(dir, 'etc'))).toEqual([]);
  });

  it('creates a missing file with mode 0644, and the target of a dangling symlink', async () => {
    const { dir, file, state } = setup(null);
    const old = process.umask(0o077);
    try {
      await applyHosts(file, D1, { stateDir: state });
    } finally {
      process.umask(old);
    }
    expect(statSync(file).mode & 0o7777).toBe(0o644);
    expect(readFileSync(file, 'latin1')).toMatch(/^# BEGIN loopkeeper .*\n127\.0\.0\.2\tapi\.myteam\.test\n# END loopkeeper\n$/);
    expect(listBackups(state)).toEqual([]); // nothing existed to back up

    symlinkSync('made-by-link', join(dir, 'dangling'));
    await applyHosts(join(dir, 'dangling'), D1, { stateDir: state });
    expect(lstatSync(join(dir, 'dangling')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'made-by-link'), 'latin1')).toContain('api.myteam.test');
  });

  it('refuses a missing directory, a directory, a FIFO and a path below a file with clear errors', async () => {
    const { dir, file, state } = setup();
    await expect(applyHosts(join(dir, 'nope', 'hosts'), D1, { stateDir: state })).rejects.toThrow(/directory .*nope does not exist/);
    await expect(applyHosts(dir, D1, { stateDir: state })).rejects.toThrow(/is a directory, not a hosts file/);
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(applyHosts(fifo, D1, { stateDir: state })).rejects.toThrow(/not a regular file/);
    await expect(applyHosts(join(file, 'x'), D1, { stateDir: state })).rejects.toThrow(/hosts/);
  });

  it('leaves a damaged file alone and reports the lines', async () => {
    const damaged = '127.0.0.1 localhost\n# BEGIN loopkeeper (managed, edits here are overwritten)\n127.0.0.2 x\n';
    const { file, state } = setup(damaged);
    const out = await applyHosts(file, D1, { stateDir: state });
    expect(out.written).toBe(false);
    expect(out.plan.damage!.lines).toEqual([2]);
    expect(readFileSync(file, 'latin1')).toBe(damaged);
  });

  it('keeps a private backup of each replaced version, the last 10 only', async () => {
    const { file, state } = setup();
    const versions: string[] = [];
    for (let i = 0; i < 14; i++) {
      versions.push(readFileSync(file, 'latin1'));
      const out = await applyHosts(file, [{ name: `n${i}.test`, addresses: ['127.0.0.2'] }], { stateDir: state });
      expect(out.backupPath).not.toBeNull();
      expect(readFileSync(out.backupPath!, 'latin1')).toBe(versions[i]);
    }
    const names = listBackups(state);
    expect(names).toHaveLength(10);
    expect(names.map((n) => readFileSync(join(state, 'backups', n), 'latin1'))).toEqual(versions.slice(4));
    expect(statSync(join(state, 'backups')).mode & 0o777).toBe(0o700);
    for (const n of names) expect(statSync(join(state, 'backups', n)).mode & 0o777).toBe(0o600);
  });
});

describe('another program editing the file meanwhile', () => {
  it('re-reads and merges when the file changed before the commit; their edit survives', async () => {
    const { file, state, dir } = setup();
    const out = await applyWith(file, D1, { stateDir: state }, {
      beforeCommit: (attempt) => {
        if (attempt === 1) appendFileSync(file, '\n10.9.9.9 theirs.test');
      },
    });
    expect(out.written).toBe(true);
    expect(out.attempts).toBe(2);
    const text = readFileSync(file, 'latin1');
    expect(text.startsWith(`${ORIGINAL}\n10.9.9.9 theirs.test\r\n# BEGIN loopkeeper`)).toBe(true); // CRLF: the majority
    expect(text).toContain('127.0.0.2\tapi.myteam.test');
    expect(temps(dir)).toEqual([]);
  });

  it('writes nothing when the other program already made the planned change', async () => {
    const { file, state } = setup();
    const wanted = planHosts(Buffer.from(ORIGINAL, 'latin1'), D1).next!;
    const out = await applyWith(file, D1, { stateDir: state }, { beforeCommit: () => writeFileSync(file, wanted) });
    expect(out.written).toBe(false);
    expect(out.plan.next).toBeNull();
  });

  it('brings over a write that landed in the replaced file after the check', async () => {
    const { file, state } = setup('127.0.0.1 localhost\n');
    let once = true;
    const { renameSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    const out = await applyWith(file, D1, { stateDir: state }, {
      rename: (from, to) => {
        if (once) appendFileSync(to, '10.9.9.9 late.test\n'); // lands in the old inode
        once = false;
        renameSync(from, to);
      },
    });
    expect(out.written).toBe(true);
    expect(out.attempts).toBe(2);
    const text = readFileSync(file, 'latin1');
    expect(text.startsWith('127.0.0.1 localhost\n10.9.9.9 late.test\n# BEGIN loopkeeper')).toBe(true);
    expect(planHosts(readFileSync(file), D1).next).toBeNull();
  });

  it('gives up with a clear error when the file keeps changing, without overwriting anything', async () => {
    const { file, state, dir } = setup();
    let n = 0;
    await expect(
      applyWith(file, D1, { stateDir: state }, { beforeCommit: () => appendFileSync(file, `\n10.0.0.${++n} x${n}.test`) }),
    ).rejects.toThrow(/hosts file keeps changing under us/);
    expect(readFileSync(file, 'latin1')).not.toContain('# BEGIN loopkeeper');
    expect(readFileSync(file, 'latin1')).toContain(`x${n}.test`);
    expect(temps(dir)).toEqual([]);
  });

  it('falls back to an in-place write when rename fails with EBUSY (bind-mounted file)', async () => {
    const { file, state, dir } = setup();
    const ino = statSync(file).ino;
    const busy = () => {
      throw Object.assign(new Error('EBUSY: resource busy or locked, rename'), { code: 'EBUSY' });
    };
    const out = await applyWith(file, D1, { stateDir: state }, { rename: busy });
    expect(out.method).toBe('in-place');
    expect(out.backupPath).not.toBeNull();
    expect(statSync(file).ino).toBe(ino);
    expect(readFileSync(file)).toEqual(planHosts(Buffer.from(ORIGINAL, 'latin1'), D1).next);
    // Shorter content in place: the tail is cut.
    await applyWith(file, null, { stateDir: state }, { rename: busy });
    expect(readFileSync(file, 'latin1')).toBe(ORIGINAL);
    expect(temps(dir)).toEqual([]);
  });

  it('reports another rename failure as an error and leaves no temp file', async () => {
    const { file, state, dir } = setup();
    const fail = () => {
      throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    };
    await expect(applyWith(file, D1, { stateDir: state }, { rename: fail })).rejects.toThrow(/cannot replace .*EROFS/);
    expect(readFileSync(file, 'latin1')).toBe(ORIGINAL);
    expect(temps(dir)).toEqual([]);
  });
});

describe('temp files left by a writer that died', () => {
  it('are removed on the next write; a live writer\'s are kept', async () => {
    const { file, state, dir } = setup();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadName = `.loopkeeper-tmp-${dead.stdout}-0123456789abcdef`;
    const liveName = `.loopkeeper-tmp-${process.ppid}-0123456789abcdef`;
    writeFileSync(join(dir, deadName), 'x');
    writeFileSync(join(dir, liveName), 'x');
    writeFileSync(join(dir, '.loopkeeper-tmp-not-ours'), 'x');
    await applyHosts(file, D1, { stateDir: state });
    expect(temps(dir).sort()).toEqual(['.loopkeeper-tmp-not-ours', liveName].sort());
    // Ancient ones go whoever left them.
    expect(removeStaleTemps(dir, Date.now() + 2 * 60 * 60 * 1000)).toBe(1);
    expect(temps(dir)).toEqual(['.loopkeeper-tmp-not-ours']);
  });
});
