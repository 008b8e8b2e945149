// STATE_DIR and what lies in it, as the root daemon must treat them: the directory is checked
// (owner, mode, no symlink, ancestors up to /) before anything in it is believed, and nothing
// inside is ever followed. Each attack of issue 17 item 6 is reproduced: refused, targets unchanged.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realFs, type FileSystem } from '../../../src/fs/seam';
import { ensurePrivateSubdir, ensureStateDir, StateDirError, stateDirProblem } from '../../../src/fs/state-dir';
import { applyHosts, HostsWriteError } from '../../../src/hosts';
import { readLedger, writeLedger } from '../../../src/reconcile/ledger';
import { reconcileAliases } from '../../../src/reconcile/aliases';
import { createReconciler } from '../../../src/reconcile/reconciler';
import { resolveRuntime } from '../../../src/runtime';
import { DEFAULT_SETTINGS } from '../../../src/model';
import { fakePlatform } from '../../helpers/fake-platform';

const tmp = () => mkdtempSync(join(tmpdir(), 'lk-state-'));
const D = [{ name: 'a.test', addresses: ['127.0.0.2'] }];
const opts = (stateDir: string) => ({ stateDir, prune: true, mode: 'reconcile' as const, dryRun: false });

/** The real file system, except that `owned` paths report another owner (no chown needed). */
function ownedBy(uid: number, paths: string[]): FileSystem {
  const lie = (p: string, st: Stats): Stats => (paths.includes(p) ? Object.assign(Object.create(Object.getPrototypeOf(st)), st, { uid }) : st);
  return { ...realFs, lstat: (p) => lie(p, realFs.lstat(p)), stat: (p) => lie(p, realFs.stat(p)) };
}

describe('stateDirProblem', () => {
  it('trusts a private directory of ours, and a missing one under it (created on first use)', () => {
    const dir = tmp();
    expect(stateDirProblem(dir)).toBeNull();
    expect(stateDirProblem(join(dir, 'state', 'deeper'))).toBeNull();
  });

  it.each([
    ['0777', /is writable by its group and others \(mode 0777\).*fix: chmod go-w/],
    ['0775', /is writable by its group \(mode 0775\)/],
    ['0757', /is writable by others \(mode 0757\)/],
  ])('refuses a state dir with mode %s, naming the fix', (mode, why) => {
    const dir = join(tmp(), 'state');
    mkdirSync(dir);
    chmodSync(dir, parseInt(mode, 8));
    expect(stateDirProblem(dir)).toMatch(why);
    expect(stateDirProblem(dir)).toMatch(/changes nothing until it can trust it/);
  });

  it('refuses a symlinked state dir, one owned by someone else, and a writable ancestor', () => {
    const root = tmp();
    mkdirSync(join(root, 'real'));
    symlinkSync(join(root, 'real'), join(root, 'link'));
    expect(stateDirProblem(join(root, 'link'))).toMatch(/is a symbolic link/);
    expect(stateDirProblem(join(root, 'real'), { fs: ownedBy(4242, [join(root, 'real')]), trustedUids: [] })).toMatch(
      /owned by uid 4242, not root.*chown root/,
    );
    const open = join(root, 'open');
    mkdirSync(join(open, 'state'), { recursive: true });
    chmodSync(open, 0o777);
    expect(stateDirProblem(join(open, 'state'))).toMatch(/above state dir .* is writable by its group and others/);
    // …also while the state dir itself does not exist yet.
    expect(stateDirProblem(join(open, 'not-yet'))).toMatch(/writable by its group and others/);
  });

  it('ensureStateDir creates a missing state dir, and throws for a refused one without creating anything', () => {
    const root = tmp();
    ensureStateDir(join(root, 'a', 'b'));
    expect(statSync(join(root, 'a', 'b')).isDirectory()).toBe(true);
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(() => ensureStateDir(join(open, 'state'))).toThrow(StateDirError);
    expect(existsSync(join(open, 'state'))).toBe(false);
  });
});

describe('the ownership ledger in a state dir that cannot be trusted', () => {
  it('a forged ledger is not read, no alias is changed, and the result says how to fix the dir', async () => {
    const state = join(tmp(), 'state');
    mkdirSync(state);
    writeFileSync(join(state, 'state.json'), JSON.stringify({ version: 1, interface: 'lo', owned: ['127.0.0.77'] }));
    chmodSync(state, 0o777);
    const platform = fakePlatform(['127.0.0.1', '::1', '127.0.0.77']); // someone else's alias
    const read = await readLedger(state);
    expect(read).toMatchObject({ refused: true, ledger: { owned: [] } });
    const r = await reconcileAliases(platform, ['127.0.0.2'], opts(state));
    expect(platform.requests).toEqual([]); // nothing added, and above all 127.0.0.77 not removed
    expect(platform.addresses.has('127.0.0.77')).toBe(true);
    expect(r.ledgerFailure).toMatchObject({ reason: 'StateDirRefused', message: expect.stringMatching(/chmod go-w/) });
    await expect(writeLedger(state, { version: 1, owned: [] })).rejects.toThrow(StateDirError);
  });

  it('the reconcile is degraded (not ok), with the reason and the fix', async () => {
    const dir = tmp();
    const state = join(dir, 'state');
    mkdirSync(state);
    chmodSync(state, 0o777);
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    const runtime = resolveRuntime({ hostsFile: join(dir, 'hosts'), stateDir: state, socket: join(dir, 's') }, {}, 'linux');
    const rec = createReconciler(runtime, { platform: fakePlatform() });
    const report = await rec.reconcile({ aliases: ['127.0.0.2'], hosts: D, settings: DEFAULT_SETTINGS }, { trigger: 'cli' });
    expect(report.result).toBe('degraded');
    expect(report.aliasesInSync).toMatchObject({ status: 'False', reason: 'StateDirRefused' });
    expect(report.hostsInSync).toMatchObject({ status: 'False', reason: 'StateDirUnusable' });
    expect(report.problems.join('\n')).toMatch(/chmod go-w/);
    expect(readFileSync(join(dir, 'hosts'), 'utf8')).toBe('127.0.0.1 localhost\n'); // no backup possible: not written
  });
});

describe('nothing planted inside the state dir is followed', () => {
  it('a FIFO named state.json is refused at once (no hang), never copied, and replaced by the ledger', async () => {
    const state = tmp();
    expect(spawnSync('mkfifo', [join(state, 'state.json')]).status).toBe(0);
    expect(await readLedger(state)).toMatchObject({ corrupt: true, problem: expect.stringMatching(/not a regular file/) });
    const platform = fakePlatform();
    await reconcileAliases(platform, ['127.0.0.2'], opts(state));
    expect(lstatSync(join(state, 'state.json')).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')).owned).toEqual(['127.0.0.2']);
    expect(existsSync(join(state, 'state.json.corrupt'))).toBe(false);
  });

  it('a FIFO named state.json.corrupt does not block keeping a corrupt ledger aside', async () => {
    const state = tmp();
    writeFileSync(join(state, 'state.json'), '{not json');
    expect(spawnSync('mkfifo', [join(state, 'state.json.corrupt')]).status).toBe(0);
    await reconcileAliases(fakePlatform(), ['127.0.0.2'], opts(state));
    expect(readFileSync(join(state, 'state.json.corrupt'), 'utf8')).toBe('{not json');
  });

  it('state.json symlinked to a secret: the secret is neither read nor copied out nor overwritten', async () => {
    const dir = tmp();
    const state = join(dir, 'state');
    mkdirSync(state);
    writeFileSync(join(dir, 'shadow'), 'root:SECRET-HASH:19000::::::\n', { mode: 0o600 });
    symlinkSync(join(dir, 'shadow'), join(state, 'state.json'));
    const read = await readLedger(state);
    expect(read).toMatchObject({ corrupt: true, problem: expect.stringMatching(/symbolic link/) });
    expect(read.problem).not.toContain('SECRET');
    await reconcileAliases(fakePlatform(), ['127.0.0.2'], opts(state));
    expect(readFileSync(join(dir, 'shadow'), 'utf8')).toBe('root:SECRET-HASH:19000::::::\n');
    expect(statSync(join(dir, 'shadow')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(state, 'state.json.corrupt'))).toBe(false);
    expect(lstatSync(join(state, 'state.json')).isFile()).toBe(true); // the link itself was replaced
  });

  it('state.json.corrupt symlinked to a root file: that file is not overwritten', async () => {
    const dir = tmp();
    const state = join(dir, 'state');
    mkdirSync(state);
    writeFileSync(join(dir, 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    writeFileSync(join(state, 'state.json'), '{"version": 9}');
    symlinkSync(join(dir, 'passwd'), join(state, 'state.json.corrupt'));
    await reconcileAliases(fakePlatform(), ['127.0.0.2'], opts(state));
    expect(readFileSync(join(dir, 'passwd'), 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n');
    expect(readFileSync(join(state, 'state.json.corrupt'), 'utf8')).toBe('{"version": 9}');
    expect(lstatSync(join(state, 'state.json.corrupt')).isFile()).toBe(true);
  });

  it('backups symlinked to a root directory: it is not chmodded, not emptied, and the hosts file is not written', async () => {
    const dir = tmp();
    const state = join(dir, 'state');
    const victim = join(dir, 'victim');
    mkdirSync(state);
    mkdirSync(victim);
    chmodSync(victim, 0o755);
    for (let i = 0; i < 15; i++) writeFileSync(join(victim, `hosts.2020-01-01T00-00-00.0${String(i).padStart(2, '0')}Z`), 'keep');
    symlinkSync(victim, join(state, 'backups'));
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    const e = await applyHosts(join(dir, 'hosts'), D, { stateDir: state }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HostsWriteError);
    expect((e as HostsWriteError).reason).toBe('StateDirUnusable');
    expect((e as HostsWriteError).message).toMatch(/^state dir .*backups is a symbolic link/);
    expect(statSync(victim).mode & 0o777).toBe(0o755);
    expect(readdirSync(victim)).toHaveLength(15);
    expect(readFileSync(join(dir, 'hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
  });

  it('a backups directory with a wide mode is made private (through a descriptor); a foreign one is refused', () => {
    const state = tmp();
    mkdirSync(join(state, 'backups'));
    chmodSync(join(state, 'backups'), 0o755);
    ensurePrivateSubdir(state, 'backups');
    expect(statSync(join(state, 'backups')).mode & 0o777).toBe(0o700);
    expect(() => ensurePrivateSubdir(state, 'backups', { fs: ownedBy(4242, [join(state, 'backups')]), trustedUids: [] })).toThrow(
      /owned by uid 4242/,
    );
    writeFileSync(join(state, 'file'), '');
    expect(() => ensurePrivateSubdir(state, 'file')).toThrow(/is not a directory/);
  });
});
