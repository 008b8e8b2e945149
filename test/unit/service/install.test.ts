import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandRunner, RunResult } from '../../../src/platform/types';
import {
  MINIMAL_CONFIG,
  inertExample,
  installService,
  uninstallService,
  type ServiceHost,
  type ServiceOptions,
  type ServicePlatform,
} from '../../../src/service/install';

/** Records argv; answers from a table (default: exit 0). */
function fakeRunner(answers: (argv: readonly string[]) => Partial<RunResult> = () => ({})): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async run(argv) {
      calls.push(argv.join(' '));
      return { argv, code: 0, signal: null, stdout: '', stderr: '', ...answers(argv) };
    },
  };
}

/** systemctl as a fake that keeps the unit's state: enable --now makes it enabled and active. */
function systemdRunner(state: { enabled: boolean; active: boolean; needReload: boolean } = { enabled: false, active: false, needReload: false }) {
  const runner = fakeRunner((argv) => {
    if (argv[1] === 'show') {
      return { stdout: `NeedDaemonReload=${state.needReload ? 'yes' : 'no'}\nUnitFileState=${state.enabled ? 'enabled' : ''}\nActiveState=${state.active ? 'active' : 'inactive'}\n` };
    }
    if (argv[1] === 'daemon-reload') state.needReload = false;
    if (argv[1] === 'enable') Object.assign(state, { enabled: true, active: true });
    return {};
  });
  return Object.assign(runner, { state });
}

const SHOW = 'systemctl show loopkeeper.service --property=NeedDaemonReload,UnitFileState,ActiveState';

/** The running system as install sees it: which paths exist, whether the daemon answers. */
function fakeHost(opts: { missing?: string[]; realpaths?: Record<string, string>; answers?: boolean; log?: string | null } = {}) {
  const waits: Array<{ socket: string; withinMs: number }> = [];
  const host: ServiceHost & { waits: typeof waits } = {
    waits,
    exists: async (p) => !(opts.missing ?? []).includes(p),
    realpath: async (p) => opts.realpaths?.[p] ?? p,
    waitForDaemon: async (socket, withinMs) => {
      waits.push({ socket, withinMs });
      return opts.answers === false ? { ok: false, reason: `${socket} never appeared within 10 s` } : { ok: true };
    },
    tail: async () => (opts.log === undefined ? 'line 1\nline 2' : opts.log),
  };
  return host;
}

function setup(platform: ServicePlatform, opts: { activate?: boolean; example?: string | null; host?: ServiceHost } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'lk-install-'));
  const pkg = mkdtempSync(join(tmpdir(), 'lk-pkg-'));
  const repo = join(__dirname, '..', '..', '..');
  mkdirSync(join(pkg, 'systemd'));
  mkdirSync(join(pkg, 'launchd'));
  mkdirSync(join(pkg, 'config'));
  writeFileSync(join(pkg, 'systemd', 'loopkeeper.service'), readFileSync(join(repo, 'systemd', 'loopkeeper.service')));
  writeFileSync(join(pkg, 'launchd', 'dev.loopkeeper.daemon.plist'), readFileSync(join(repo, 'launchd', 'dev.loopkeeper.daemon.plist')));
  if (opts.example !== null) writeFileSync(join(pkg, 'config', 'loopkeeper.example.yaml'), opts.example ?? 'version: 1\n# example\n');
  // Paths of an installation outside /tmp (the host fake says they exist): pre-flight refuses /tmp.
  const daemon = '/opt/lk/dist/daemon/main.js';
  const runner = fakeRunner();
  const host = opts.host ?? fakeHost();
  const options: ServiceOptions = {
    platform,
    root,
    activate: opts.activate ?? false,
    paths: { node: '/usr/bin/node', daemon, ready: '/opt/lk/dist/service/ready.js' },
    runner,
    packageDir: pkg,
    host,
  };
  return { root, pkg, runner, options, host };
}

const unitIn = (root: string) => join(root, 'etc/systemd/system/loopkeeper.service');

describe('install on Linux', () => {
  it('writes the unit, the config dir with the example config and conf.d/, and loads nothing with --root', async () => {
    const { root, runner, options } = setup('linux');
    const r = await installService(options);
    expect(r.ok).toBe(true);
    const unit = readFileSync(unitIn(root), 'utf8');
    expect(unit).toContain(`ExecStart=/usr/bin/node --max-semi-space-size=1 --lite-mode --no-expose-wasm ${options.paths.daemon}\n`);
    expect(unit).toContain(`ExecStartPost=/usr/bin/node ${options.paths.ready}\n`);
    expect(statSync(unitIn(root)).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(root, 'etc/loopkeeper/loopkeeper.yaml'), 'utf8')).toBe(inertExample('version: 1\n# example\n'));
    expect(statSync(join(root, 'etc/loopkeeper/conf.d')).isDirectory()).toBe(true);
    expect(runner.calls).toEqual([]);
    expect(r.steps.map((s) => s.kind)).toEqual(['wrote', 'created', 'created', 'wrote']);
    expect(r.changed).toBe(true);
  });

  it('replaces a symlink planted at the unit path instead of writing through it, leaving no temp file', async () => {
    const { root, options } = setup('linux');
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    const victim = join(root, 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, unitIn(root));
    // The temp name install once used (`<unit>.loopkeeper-<pid>.tmp`), planted as a link: the
    // writer's temp file is exclusive and randomly named, so this link is never written through.
    const oldTemp = `${unitIn(root)}.loopkeeper-${process.pid}.tmp`;
    symlinkSync(victim, oldTemp);
    const r = await installService(options);
    expect(r.ok).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(unitIn(root)).isFile()).toBe(true);
    expect(readFileSync(unitIn(root), 'utf8')).toContain('ExecStart=');
    const { readdirSync } = require('node:fs') as typeof import('node:fs');
    expect(readdirSync(join(root, 'etc/systemd/system')).filter((n: string) => n.includes('tmp'))).toEqual([`loopkeeper.service.loopkeeper-${process.pid}.tmp`]);
  });

  it('writes a minimal valid config when the package has no example', async () => {
    const { root, options } = setup('linux', { example: null });
    await installService(options);
    expect(readFileSync(join(root, 'etc/loopkeeper/loopkeeper.yaml'), 'utf8')).toBe(MINIMAL_CONFIG);
    expect(MINIMAL_CONFIG).toMatch(/^version: 1$/m);
  });

  it('never touches an existing config', async () => {
    const { root, options } = setup('linux');
    mkdirSync(join(root, 'etc/loopkeeper'), { recursive: true });
    writeFileSync(join(root, 'etc/loopkeeper/loopkeeper.yaml'), 'version: 1\naliases: [127.0.0.9]\n');
    const r = await installService(options);
    expect(readFileSync(join(root, 'etc/loopkeeper/loopkeeper.yaml'), 'utf8')).toBe('version: 1\naliases: [127.0.0.9]\n');
    expect(r.steps).toContainEqual({ kind: 'exists', path: join(root, 'etc/loopkeeper/loopkeeper.yaml'), note: 'kept as it is' });
  });

  it('is idempotent: a second run changes nothing and reports that', async () => {
    const { root, options } = setup('linux');
    await installService(options);
    const before = statSync(unitIn(root)).mtimeMs;
    const r = await installService(options);
    expect(r.steps.map((s) => s.kind)).toEqual(['unchanged', 'exists', 'exists', 'exists']);
    expect(r.changed).toBe(false);
    expect(statSync(unitIn(root)).mtimeMs).toBe(before);
  });

  it('without --root reloads systemd, enables and starts the service, then waits until the daemon answers', async () => {
    const { options, host } = setup('linux', { activate: true });
    const runner = systemdRunner();
    const r = await installService({ ...options, runner });
    expect(r).toMatchObject({ ok: true, changed: true });
    expect(runner.calls).toEqual([SHOW, 'systemctl daemon-reload', 'systemctl enable --now loopkeeper.service']);
    expect((host as ReturnType<typeof fakeHost>).waits).toEqual([{ socket: '/run/loopkeeper/loopkeeper.sock', withinMs: 10000 }]);
  });

  it('again, with the unit enabled and running on the same file: asks systemd, changes nothing, runs nothing else', async () => {
    const { options } = setup('linux', { activate: true });
    const runner = systemdRunner();
    await installService({ ...options, runner });
    runner.calls.length = 0;
    const again = await installService({ ...options, runner });
    expect(again).toMatchObject({ ok: true, changed: false });
    expect(runner.calls).toEqual([SHOW]);
    // Stopped, disabled, or systemd holding an older copy of the file: install puts it back in force.
    for (const drift of [{ active: false }, { enabled: false }, { needReload: true }]) {
      Object.assign(runner.state, { enabled: true, active: true, needReload: false }, drift);
      runner.calls.length = 0;
      const r = await installService({ ...options, runner });
      expect({ drift, changed: r.changed, calls: runner.calls }).toEqual({
        drift,
        changed: true,
        calls: [SHOW, 'systemctl daemon-reload', 'systemctl enable --now loopkeeper.service'],
      });
    }
  });

  it('restarts a running service whose unit changed (enable --now would keep the old ExecStart)', async () => {
    const { options } = setup('linux', { activate: true });
    const runner = systemdRunner();
    await installService({ ...options, runner });
    runner.calls.length = 0;
    await installService({ ...options, runner, paths: { ...options.paths, node: '/usr/local/bin/node' } });
    expect(runner.calls).toEqual([SHOW, 'systemctl daemon-reload', 'systemctl enable --now loopkeeper.service', 'systemctl restart loopkeeper.service']);
  });

  it('a failing start: says which command failed and keeps the last lines of the journal', async () => {
    const { options } = setup('linux', { activate: true });
    const runner = fakeRunner((argv) => {
      if (argv[1] === 'enable') return { code: 1, stderr: 'Job for loopkeeper.service failed because the control process exited with error code.\n' };
      if (argv[0] === 'journalctl') return { stdout: 'Dec 01 loopkeeperd: cannot listen on /run/loopkeeper/loopkeeper.sock\n' };
      return {};
    });
    options.runner = runner;
    const r = await installService(options);
    expect(r.ok).toBe(false);
    expect(r.error).toBe('`systemctl enable --now loopkeeper.service` exited with 1: Job for loopkeeper.service failed because the control process exited with error code.');
    expect(r.log).toEqual({
      source: 'journalctl -u loopkeeper.service -n 20 --no-pager',
      text: 'Dec 01 loopkeeperd: cannot listen on /run/loopkeeper/loopkeeper.sock',
    });
    // journald is asked to store what it has first: the daemon's last lines may still be in flight.
    expect(runner.calls.slice(-2)).toEqual(['journalctl --sync', 'journalctl -u loopkeeper.service -n 20 --no-pager']);
  });

  it('a daemon that started but does not answer within the bound: exit with the journal lines', async () => {
    const { options } = setup('linux', { activate: true, host: fakeHost({ answers: false }) });
    options.runner = fakeRunner((argv) => (argv[0] === 'journalctl' ? { stdout: 'last words\n' } : {}));
    const r = await installService(options);
    expect(r).toMatchObject({
      ok: false,
      error: 'the service started, but loopkeeperd did not answer on /run/loopkeeper/loopkeeper.sock within 10 s: /run/loopkeeper/loopkeeper.sock never appeared within 10 s',
      log: { source: 'journalctl -u loopkeeper.service -n 20 --no-pager', text: 'last words' },
    });
  });

  it('reports a runner that cannot start systemctl at all', async () => {
    const { options } = setup('linux', { activate: true });
    options.runner = { run: () => Promise.reject(new Error('systemctl was not found; is it installed?')) };
    const r = await installService(options);
    expect(r).toMatchObject({ ok: false, error: 'systemctl was not found; is it installed?' });
  });

  describe('pre-flight: refuses before writing anything', () => {
    it('when systemd is not running (no /run/systemd/system)', async () => {
      const { root, runner, options } = setup('linux', { activate: true, host: fakeHost({ missing: ['/run/systemd/system'] }) });
      const r = await installService(options);
      expect(r).toMatchObject({ ok: false, refused: true, steps: [] });
      expect(r.error).toMatch(/^systemd is not running on this machine \(\/run\/systemd\/system does not exist/);
      expect(runner.calls).toEqual([]);
      expect(existsSync(join(root, 'etc'))).toBe(false);
    });

    it('when the daemon or the readiness script does not exist (not built)', async () => {
      for (const which of ['daemon', 'ready'] as const) {
        const { root, options } = setup('linux', { activate: true });
        const missing = options.paths[which]!;
        options.host = fakeHost({ missing: [missing] });
        const r = await installService(options);
        expect(r).toMatchObject({ ok: false, refused: true });
        expect(r.error).toContain(`${missing} does not exist: build first`);
        expect(existsSync(join(root, 'etc'))).toBe(false);
      }
    });

    it('when node, the daemon or the readiness script is under /tmp or /var/tmp, also through a symlink', async () => {
      const cases: Array<[keyof ServiceOptions['paths'], string, Record<string, string>, RegExp]> = [
        ['daemon', '/tmp/lk/dist/daemon/main.js', {}, /^the daemon \/tmp\/lk\/dist\/daemon\/main\.js is under \/tmp: the service could not see it: the unit runs with PrivateTmp=true/],
        ['node', '/var/tmp/node/bin/node', {}, /^node \/var\/tmp\/node\/bin\/node is under \/var\/tmp/],
        ['daemon', '/opt/lk/dist/daemon/main.js', { '/opt/lk/dist/daemon/main.js': '/tmp/x/main.js' }, /^the daemon \/opt\/lk\/dist\/daemon\/main\.js \(really \/tmp\/x\/main\.js\) is under \/tmp/],
        ['ready', '/var/tmp/ready.js', {}, /^the readiness script \/var\/tmp\/ready\.js is under \/var\/tmp/],
      ];
      for (const [which, path, realpaths, message] of cases) {
        const { root, runner, options } = setup('linux', { activate: true, host: fakeHost({ realpaths }) });
        options.paths = { ...options.paths, [which]: path };
        const r = await installService(options);
        expect({ path, refused: r.refused, error: r.error }).toEqual({ path, refused: true, error: expect.stringMatching(message) });
        expect(r.error).toMatch(/Install loopkeeper somewhere permanent/);
        expect(runner.calls).toEqual([]);
        expect(existsSync(join(root, 'etc'))).toBe(false);
      }
    });

    it('not with --root: a staging tree loads nothing, so it needs no service manager', async () => {
      const { options } = setup('linux', { host: fakeHost({ missing: ['/run/systemd/system', '/bin/launchctl'] }) });
      expect((await installService(options)).ok).toBe(true);
      expect((await installService({ ...options, platform: 'darwin' })).ok).toBe(true);
    });

    it('macOS: when launchctl is not there', async () => {
      const { root, options } = setup('darwin', { activate: true, host: fakeHost({ missing: ['/bin/launchctl'] }) });
      const r = await installService(options);
      expect(r).toMatchObject({ ok: false, refused: true, error: expect.stringMatching(/^launchd's \/bin\/launchctl is not there/) });
      expect(existsSync(join(root, 'Library'))).toBe(false);
    });
  });
});

describe('the config install writes from the example', () => {
  it('comments out everything but version, so the daemon adds nothing nobody asked for', () => {
    const example = '# yaml-language-server: $schema=x\nversion: 1\naliases:\n  - 127.0.0.2   # one\n\n  # a note\nhosts:\n  api.test: 127.0.0.2\n';
    const out = inertExample(example);
    expect(out.split('\n').slice(2).join('\n')).toBe(
      '# yaml-language-server: $schema=x\nversion: 1\n# aliases:\n#   - 127.0.0.2   # one\n\n  # a note\n# hosts:\n#   api.test: 127.0.0.2\n',
    );
    expect(out.split('\n').slice(0, 2).every((l) => l.startsWith('# '))).toBe(true);
  });

  it('keeps CRLF, and adds version: 1 to an example without it', () => {
    expect(inertExample('a: 1\r\n')).toMatch(/\r\n# a: 1\r\nversion: 1\r\n$/);
    expect(inertExample('')).toMatch(/\nversion: 1\n$/);
  });
});

describe('uninstall', () => {
  const STATE = '/var/lib/loopkeeper';

  it('Linux: disables and stops, removes the unit and what install wrote, reloads; keeps state; a second run finds nothing', async () => {
    const { root, options } = setup('linux', { activate: true });
    await installService(options);
    mkdirSync(join(root, STATE), { recursive: true }); // made by systemd's StateDirectory=, not by install
    const runner = fakeRunner();
    const r = await uninstallService({ ...options, runner, stateDir: STATE });
    expect(r).toMatchObject({ ok: true, changed: true, problems: [] });
    expect(runner.calls).toEqual(['systemctl disable --now loopkeeper.service', 'systemctl daemon-reload']);
    expect(existsSync(unitIn(root))).toBe(false);
    expect(existsSync(join(root, 'etc/loopkeeper'))).toBe(false);
    expect(r.steps.filter((s) => s.kind === 'removed').map((s) => 'path' in s && s.path)).toEqual([
      unitIn(root),
      join(root, 'etc/loopkeeper/loopkeeper.yaml'),
      join(root, 'etc/loopkeeper/conf.d'),
      join(root, 'etc/loopkeeper'),
    ]);
    expect(r.steps.at(-1)).toMatchObject({ kind: 'kept', path: join(root, STATE) });
    runner.calls.length = 0;
    const again = await uninstallService({ ...options, runner, stateDir: STATE });
    expect(again).toMatchObject({ ok: true, changed: false, nothingToRemove: true });
    expect(runner.calls).toEqual([]);
    expect(again.steps[0]).toEqual({ kind: 'absent', path: unitIn(root) });
  });

  it('keeps a config the user changed and conf.d/ drop-ins, and says why', async () => {
    const { root, options } = setup('linux');
    await installService(options);
    writeFileSync(join(root, 'etc/loopkeeper/loopkeeper.yaml'), 'version: 1\naliases: [127.0.0.5]\n');
    writeFileSync(join(root, 'etc/loopkeeper/conf.d/team.yaml'), 'version: 1\n');
    const r = await uninstallService({ ...options, stateDir: STATE });
    expect(r.ok).toBe(true);
    expect(r.steps).toEqual(
      expect.arrayContaining([
        { kind: 'kept', path: join(root, 'etc/loopkeeper/loopkeeper.yaml'), note: 'your config: it differs from the one install wrote' },
        { kind: 'kept', path: join(root, 'etc/loopkeeper/conf.d'), note: 'not empty: your drop-ins' },
        { kind: 'kept', path: join(root, 'etc/loopkeeper'), note: 'not empty' },
      ]),
    );
    expect(readFileSync(join(root, 'etc/loopkeeper/loopkeeper.yaml'), 'utf8')).toBe('version: 1\naliases: [127.0.0.5]\n');
  });

  it('without systemd running: removes the unit and the enable links itself and notes there was nothing to stop', async () => {
    const { root, options } = setup('linux', { activate: true, host: fakeHost({ missing: ['/run/systemd/system'] }) });
    await installService({ ...options, activate: false });
    const wants = join(root, 'etc/systemd/system/multi-user.target.wants');
    mkdirSync(wants, { recursive: true });
    symlinkSync('/etc/systemd/system/loopkeeper.service', join(wants, 'loopkeeper.service'));
    const runner = fakeRunner();
    const r = await uninstallService({ ...options, runner, stateDir: STATE });
    expect(runner.calls).toEqual([]);
    expect(existsSync(unitIn(root))).toBe(false);
    expect(() => lstatSync(join(wants, 'loopkeeper.service'))).toThrow();
    expect(r.steps).toContainEqual({ kind: 'removed', path: join(wants, 'loopkeeper.service') });
    expect(r).toMatchObject({ ok: true, changed: true, problems: [] });
    expect(r.notes).toEqual([expect.stringMatching(/^systemd is not running \(\/run\/systemd\/system does not exist\), so there was no service to stop/)]);
  });

  it('a refusing systemctl: still removes every file, then says what it could not do', async () => {
    const { root, options } = setup('linux');
    await installService(options);
    const wants = join(root, 'etc/systemd/system/multi-user.target.wants');
    mkdirSync(wants, { recursive: true });
    symlinkSync('/etc/systemd/system/loopkeeper.service', join(wants, 'loopkeeper.service'));
    const runner = fakeRunner((argv) => (argv[1] === 'disable' ? { code: 1, stderr: 'Access denied' } : {}));
    const r = await uninstallService({ ...options, activate: true, runner, stateDir: STATE });
    expect(r.ok).toBe(false);
    expect(r.error).toBeUndefined();
    expect(r.problems).toEqual([
      '`systemctl disable --now loopkeeper.service` exited with 1: Access denied; the daemon may still be running: `sudo systemctl stop loopkeeper` stops it (a reboot does too, now that the unit is gone)',
    ]);
    expect(existsSync(unitIn(root))).toBe(false);
    expect(() => lstatSync(join(wants, 'loopkeeper.service'))).toThrow();
    expect(existsSync(join(root, 'etc/loopkeeper'))).toBe(false);
    expect(runner.calls).toEqual(['systemctl disable --now loopkeeper.service', 'systemctl daemon-reload']);
  });
});
