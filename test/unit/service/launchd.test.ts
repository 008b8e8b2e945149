// install/uninstall on macOS against an in-process launchd that keeps the job's state (see
// fake-launchctl.ts): the asynchronous bootout, the retried bootstrap, the check that the job that
// answers is launchd's, the stable node path, the newsyslog drop-in.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installService, uninstallService, type ServiceOptions } from '../../../src/service/install';
import { parsePrint } from '../../../src/service/launchctl';
import { fakeLaunchd, launchdHost, type LaunchdModel } from './fake-launchctl';
import { parsePlist } from './plist-xml';

const PLIST = 'Library/LaunchDaemons/dev.loopkeeper.daemon.plist';
const NEWSYSLOG = 'etc/newsyslog.d/loopkeeper.conf';

function setup(model: Partial<LaunchdModel> = {}, hostOpts: Parameters<typeof launchdHost>[1] = {}, activate = true) {
  const root = mkdtempSync(join(tmpdir(), 'lk-launchd-'));
  const pkg = mkdtempSync(join(tmpdir(), 'lk-pkg-'));
  const repo = join(__dirname, '..', '..', '..');
  mkdirSync(join(pkg, 'launchd'));
  writeFileSync(join(pkg, 'launchd', 'dev.loopkeeper.daemon.plist'), readFileSync(join(repo, 'launchd', 'dev.loopkeeper.daemon.plist')));
  const { model: m, runner } = fakeLaunchd(model);
  const host = launchdHost(m, hostOpts);
  const options: ServiceOptions = {
    platform: 'darwin',
    root,
    activate,
    paths: { node: '/usr/local/bin/node', daemon: '/usr/local/lib/node_modules/loopkeeper/dist/daemon/main.js' },
    runner,
    packageDir: pkg,
    host,
    env: { PATH: '/usr/bin:/bin' },
  };
  return { root, m, runner, host, options };
}

function programArguments(root: string): string[] {
  const doc = parsePlist(readFileSync(join(root, PLIST), 'utf8')) as { ProgramArguments: string[] };
  return doc.ProgramArguments;
}

describe('install on macOS', () => {
  it('--root: writes the plist, the newsyslog drop-in and the config dir, and runs nothing', async () => {
    const t = setup({}, {}, false);
    const r = await installService(t.options);
    expect(r.ok).toBe(true);
    expect(t.runner.calls).toEqual([]);
    expect(programArguments(t.root)).toEqual([
      '/usr/local/bin/node',
      '--max-semi-space-size=1',
      '--lite-mode',
      '--no-expose-wasm',
      t.options.paths.daemon,
      '--log-file',
      '/var/log/loopkeeper.log',
    ]);
    expect(readFileSync(join(t.root, NEWSYSLOG), 'utf8')).toMatch(/^\/var\/log\/loopkeeper\.log\troot:wheel\t644\t5\t1024\t\*\tBN$/m);
    expect(r.steps.map((s) => ('path' in s ? `${s.kind} ${s.path.slice(t.root.length)}` : s.kind))).toEqual([
      `wrote /${PLIST}`,
      `wrote /${NEWSYSLOG}`,
      'created /etc/loopkeeper',
      'created /etc/loopkeeper/conf.d',
      'wrote /etc/loopkeeper/loopkeeper.yaml',
    ]);
  });

  it('on a fresh machine: enable, bootstrap, then checks the daemon answers and is the job launchd runs', async () => {
    const t = setup();
    const r = await installService(t.options);
    expect(r).toMatchObject({ ok: true, changed: true });
    expect(t.runner.calls).toEqual([
      '/bin/launchctl print system/dev.loopkeeper.daemon',
      '/bin/launchctl enable system/dev.loopkeeper.daemon',
      '/bin/launchctl bootstrap system /Library/LaunchDaemons/dev.loopkeeper.daemon.plist',
      '/bin/launchctl print system/dev.loopkeeper.daemon',
    ]);
    expect(t.host.waits).toEqual(['/var/run/loopkeeper.sock 10000 reconciled']);
  });

  it('again with the job loaded and running on the same plist: changes nothing', async () => {
    const t = setup();
    await installService(t.options);
    t.runner.calls.length = 0;
    const r = await installService(t.options);
    expect(r).toMatchObject({ ok: true, changed: false });
    expect(t.runner.calls).toEqual(['/bin/launchctl print system/dev.loopkeeper.daemon', '/bin/launchctl print system/dev.loopkeeper.daemon']);
  });

  it('a changed plist while the job runs: bootout, waits until launchd no longer lists it, then bootstrap (retried while busy)', async () => {
    const t = setup({ loaded: true, lingerPolls: 4, busyBootstraps: 2 });
    const r = await installService(t.options);
    expect(r.ok).toBe(true);
    // Never a bootstrap while launchd still listed the old job; the busy ones were retried.
    expect(t.m.log).toEqual([
      'print:loaded',
      'bootout',
      'print:loaded',
      'print:loaded',
      'print:loaded',
      'print:loaded',
      'print:gone',
      'enable',
      'bootstrap:5(busy)',
      'bootstrap:5(busy)',
      'bootstrap:0',
      'print:loaded',
    ]);
    expect(t.m).toMatchObject({ loaded: true, running: true, pid: 501 });
    const ran = r.steps.filter((s) => s.kind === 'ran').map((s) => `${(s as { argv: string[] }).argv.slice(1).join(' ')}${s.note ? ` (${s.note})` : ''}`);
    expect(ran).toEqual([
      'print system/dev.loopkeeper.daemon',
      'bootout system/dev.loopkeeper.daemon',
      'print system/dev.loopkeeper.daemon (until launchd no longer lists the job: 5 time(s), ' + `${t.host.sleeps.slice(0, 4).reduce((a, b) => a + b, 0)} ms)`,
      'enable system/dev.loopkeeper.daemon',
      'bootstrap system /Library/LaunchDaemons/dev.loopkeeper.daemon.plist (attempt 3)',
      'print system/dev.loopkeeper.daemon',
    ]);
  });

  it('bootout answering 3 (No such process: the job went meanwhile) is not fatal', async () => {
    const t = setup({ loaded: true });
    // The job disappears between install's look and its bootout.
    const run = t.runner.run.bind(t.runner);
    t.runner.run = async (argv, o) => {
      if (argv[1] === 'bootout') {
        t.m.loaded = false;
        t.m.running = false;
      }
      return run(argv, o);
    };
    const r = await installService(t.options);
    expect(r.ok).toBe(true);
    expect(t.m.log).toEqual(['print:loaded', 'bootout', 'print:gone', 'enable', 'bootstrap:0', 'print:loaded']);
  });

  it('a booted-out job that never goes: fails after the bound, naming the job and what to look at, without a bootstrap', async () => {
    const t = setup({ loaded: true, neverGone: true });
    const r = await installService(t.options);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^launchd still lists system\/dev\.loopkeeper\.daemon 30 s after `launchctl bootout`; look at `sudo launchctl print/);
    expect(t.m.log.filter((l) => l.startsWith('bootstrap'))).toEqual([]);
    expect(t.host.clock()).toBeGreaterThanOrEqual(30_000);
  });

  it('a bootstrap refused with 5 beyond the bound: fails with the answer, what to check, and the log', async () => {
    const t = setup({ busyBootstraps: 1000 }, { log: 'last words' });
    const r = await installService(t.options);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^`\/bin\/launchctl bootstrap system \/Library\/LaunchDaemons\/dev\.loopkeeper\.daemon\.plist` exited with 5: Bootstrap failed: 5: Input\/output error; launchd kept refusing for 15 s/);
    expect(r.error).toContain('plutil -lint /Library/LaunchDaemons/dev.loopkeeper.daemon.plist');
    expect(r.log).toEqual({ source: '/var/log/loopkeeper.log', text: 'last words' });
  });

  it('another bootstrap failure is not retried', async () => {
    const t = setup({ bootstrapFails: { code: 78, stderr: 'Bootstrap failed: 78: Function not implemented\n' } });
    const r = await installService(t.options);
    expect(r.ok).toBe(false);
    expect(t.m.log.filter((l) => l.startsWith('bootstrap'))).toEqual(['bootstrap:78']);
    expect(r.error).toMatch(/exited with 78: Bootstrap failed: 78/);
  });

  it('a daemon started by hand answering on the socket is not taken for the job: fails naming both pids', async () => {
    const t = setup({}, { log: 'loopkeeperd: the socket is in use' });
    t.m.answeringPid = 4242;
    const r = await installService(t.options);
    expect(r.ok).toBe(false);
    expect(r.error).toBe(
      "launchd's job system/dev.loopkeeper.daemon runs as pid 501, but the loopkeeperd answering on /var/run/loopkeeper.sock is pid 4242 " +
        '(started by hand? stop it: `sudo kill 4242`); then run install again',
    );
    expect(r.log?.text).toBe('loopkeeperd: the socket is in use');
  });

  it('a job that does not answer within the bound: fails with the last lines of /var/log/loopkeeper.log', async () => {
    const t = setup({}, { answers: false, log: 'loopkeeperd: EACCES' });
    const r = await installService(t.options);
    expect(r).toMatchObject({ ok: false, log: { source: '/var/log/loopkeeper.log', text: 'loopkeeperd: EACCES' } });
    expect(r.error).toMatch(/did not answer on \/var\/run\/loopkeeper\.sock within 10 s/);
  });

  it('a loaded job on the same plist that is not running (KeepAlive waiting out its throttle) is kickstarted', async () => {
    const t = setup();
    await installService(t.options);
    t.m.running = false;
    t.m.log.length = 0;
    const r = await installService(t.options);
    expect(r).toMatchObject({ ok: true, changed: true });
    expect(t.m.log).toEqual(['print:loaded', 'kickstart', 'print:loaded']);
  });

  it('a job launchd is already removing (a bootout by hand; kickstart answers 113): waits until it is gone, then bootstraps', async () => {
    const t = setup({ lingerPolls: 3 });
    await installService(t.options);
    await t.runner.run(['/bin/launchctl', 'bootout', 'system/dev.loopkeeper.daemon']);
    t.m.log.length = 0;
    const r = await installService(t.options);
    expect(r).toMatchObject({ ok: true, changed: true });
    expect(t.m.log).toEqual(['print:loaded', 'kickstart:113', 'bootout', 'print:loaded', 'print:loaded', 'print:gone', 'enable', 'bootstrap:0', 'print:loaded']);
  });

  it('a job launchd lists as not running after the start: fails, with its state and the log', async () => {
    const t = setup({}, { log: 'posix_spawn: No such file or directory' });
    await installService(t.options);
    t.m.running = false;
    // kickstart "succeeds" but the job stays down.
    const run = t.runner.run.bind(t.runner);
    t.runner.run = async (argv, o) => {
      const r = await run(argv, o);
      if (argv[1] === 'kickstart') t.m.running = false;
      return r;
    };
    const r = await installService(t.options);
    expect(r.ok).toBe(false);
    expect(r.error).toBe("launchd's job system/dev.loopkeeper.daemon is not running (state = not running, last exit code = 78: EX_CONFIG); then run install again");
  });
});

describe('the node path the plist names', () => {
  const cellar = '/opt/homebrew/Cellar/node/22.1.0/bin/node';

  it('a Homebrew Cellar node with /opt/homebrew/bin/node linking to it: the link, never the versioned path', async () => {
    const t = setup({}, { realpaths: { '/opt/homebrew/bin/node': cellar } }, false);
    const r = await installService({ ...t.options, paths: { ...t.options.paths, node: cellar } });
    expect(r.ok).toBe(true);
    expect(programArguments(t.root)[0]).toBe('/opt/homebrew/bin/node');
    expect(r.steps[0]).toMatchObject({ kind: 'wrote', note: `node: /opt/homebrew/bin/node, a link to ${cellar} that survives upgrades` });
    expect(r.notes).toEqual([]);
  });

  it('no stable link to the Cellar binary: names it, and warns that an upgrade breaks the service', async () => {
    // /opt/homebrew/bin/node exists but is another node (node@20's, say).
    const t = setup({}, { realpaths: { '/opt/homebrew/bin/node': '/opt/homebrew/Cellar/node@20/20.9.0/bin/node' }, exists: (p) => !p.startsWith('/usr/local/') }, false);
    const r = await installService({ ...t.options, paths: { ...t.options.paths, node: cellar } });
    expect(r.ok).toBe(true);
    expect(programArguments(t.root)[0]).toBe(cellar);
    expect(r.notes).toEqual([expect.stringMatching(/^the service names \/opt\/homebrew\/Cellar\/node\/22\.1\.0\/bin\/node, a path that an upgrade of node removes/)]);
  });
});

describe('the node link and the trust check', () => {
  it('a link in a directory others can write is not used (they could point root at any binary): the binary itself, with a note', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-linkdir-'));
    mkdirSync(join(dir, 'bin'));
    require('node:fs').chmodSync(join(dir, 'bin'), 0o777);
    const cellar = '/opt/homebrew/Cellar/node/22.1.0/bin/node';
    const t = setup({}, { realpaths: { [join(dir, 'bin', 'node')]: cellar }, exists: (p) => p !== '/opt/homebrew/bin/node' && p !== '/usr/local/bin/node' });
    const r = await installService({ ...t.options, env: { PATH: join(dir, 'bin') }, paths: { ...t.options.paths, node: cellar } });
    expect(r.ok).toBe(true);
    expect(programArguments(t.root)[0]).toBe(cellar);
    expect(r.notes).toEqual([expect.stringMatching(new RegExp(`^not naming ${join(dir, 'bin', 'node')} in the plist: .*is writable by its group and others \\(mode 0777\\).*; it names /opt/homebrew/Cellar/node/22\\.1\\.0/bin/node`))]);
  });
});

describe('uninstall on macOS', () => {
  it('boots the job out and waits until it is gone, removes the plist and the newsyslog drop-in, keeps the log', async () => {
    const t = setup();
    await installService(t.options);
    mkdirSync(join(t.root, 'var/log'), { recursive: true });
    writeFileSync(join(t.root, 'var/log/loopkeeper.log'), '{}\n');
    t.m.lingerPolls = 3;
    t.m.log.length = 0;
    const r = await uninstallService({ ...t.options, stateDir: '/var/db/loopkeeper' });
    expect(r.ok).toBe(true);
    expect(t.m.log).toEqual(['print:loaded', 'bootout', 'print:loaded', 'print:loaded', 'print:loaded', 'print:gone']);
    expect(existsSync(join(t.root, PLIST))).toBe(false);
    expect(existsSync(join(t.root, NEWSYSLOG))).toBe(false);
    expect(r.steps).toContainEqual({ kind: 'kept', path: join(t.root, 'var/log/loopkeeper.log'), note: "the daemon's log (and its rotated copies)" });
  });

  it('uninstall then install: the new bootstrap comes only after the old job is gone', async () => {
    const t = setup();
    await installService(t.options);
    t.m.lingerPolls = 6;
    expect((await uninstallService({ ...t.options, stateDir: '/var/db/loopkeeper' })).ok).toBe(true);
    t.m.busyBootstraps = 1;
    t.m.log.length = 0;
    const r = await installService(t.options);
    expect(r.ok).toBe(true);
    expect(t.m.log).toEqual(['print:gone', 'enable', 'bootstrap:5(busy)', 'bootstrap:0', 'print:loaded']);
  });

  it('a bootout that fails still removes the files, and says what to run', async () => {
    const t = setup();
    await installService(t.options);
    const run = t.runner.run.bind(t.runner);
    t.runner.run = async (argv, o) =>
      argv[1] === 'bootout' ? { argv, code: 5, signal: null, stdout: '', stderr: 'Boot-out failed: 5: Input/output error\n' } : run(argv, o);
    const r = await uninstallService({ ...t.options, stateDir: '/var/db/loopkeeper' });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      '`/bin/launchctl bootout system/dev.loopkeeper.daemon` exited with 5: Boot-out failed: 5: Input/output error; ' +
        'the daemon may still be running: `sudo launchctl bootout system/dev.loopkeeper.daemon` stops it',
    ]);
    expect(existsSync(join(t.root, PLIST))).toBe(false);
  });

  it('a job that is not loaded: nothing to boot out', async () => {
    const t = setup();
    await installService({ ...t.options, activate: false });
    const r = await uninstallService({ ...t.options, stateDir: '/var/db/loopkeeper' });
    expect(r.ok).toBe(true);
    expect(t.m.log).toEqual(['print:gone']);
  });

  it('without launchctl: removes the files and notes there was no job to boot out', async () => {
    const t = setup({}, { exists: (p) => p !== '/bin/launchctl' });
    await installService({ ...t.options, activate: false });
    const r = await uninstallService({ ...t.options, stateDir: '/var/db/loopkeeper' });
    expect(r.notes).toEqual(['/bin/launchctl is not there, so there was no launchd job to boot out; the files are removed.']);
    expect(t.runner.calls).toEqual([]);
    expect(existsSync(join(t.root, PLIST))).toBe(false);
  });
});

describe('reading launchctl print', () => {
  it('takes the top-level pid, state and last exit code, not those of nested blocks', () => {
    const text = [
      'system/dev.loopkeeper.daemon = {',
      '\tactive count = 1',
      '\tstate = running',
      '\tpid = 812',
      '\tlast exit code = (never exited)',
      '\tendpoints = {',
      '\t\tstate = 0',
      '\t\tpid = 1',
      '\t}',
      '}',
    ].join('\n');
    expect(parsePrint(text)).toEqual({ pid: 812, state: 'running', lastExit: '(never exited)' });
  });

  it('says nothing it cannot read: no pid, a garbled pid, another layout', () => {
    expect(parsePrint('system/x = {\n\tstate = not running\n}')).toEqual({ pid: null, state: 'not running', lastExit: null });
    expect(parsePrint('\tpid = 12ab\n')).toMatchObject({ pid: null });
    expect(parsePrint('    pid = 99\n')).toMatchObject({ pid: null });
    expect(parsePrint('x'.repeat(100_000))).toEqual({ pid: null, state: null, lastExit: null });
  });
});

