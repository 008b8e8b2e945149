import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandRunner, RunResult } from '../../../src/platform/types';
import {
  MINIMAL_CONFIG,
  inertExample,
  installService,
  uninstallService,
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

function setup(platform: ServicePlatform, opts: { activate?: boolean; example?: string | null } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'lk-install-'));
  const pkg = mkdtempSync(join(tmpdir(), 'lk-pkg-'));
  const repo = join(__dirname, '..', '..', '..');
  mkdirSync(join(pkg, 'systemd'));
  mkdirSync(join(pkg, 'launchd'));
  mkdirSync(join(pkg, 'config'));
  writeFileSync(join(pkg, 'systemd', 'loopkeeper.service'), readFileSync(join(repo, 'systemd', 'loopkeeper.service')));
  writeFileSync(join(pkg, 'launchd', 'dev.loopkeeper.daemon.plist'), readFileSync(join(repo, 'launchd', 'dev.loopkeeper.daemon.plist')));
  if (opts.example !== null) writeFileSync(join(pkg, 'config', 'loopkeeper.example.yaml'), opts.example ?? 'version: 1\n# example\n');
  const daemon = join(pkg, 'main.js');
  writeFileSync(daemon, '');
  const runner = fakeRunner();
  const options: ServiceOptions = {
    platform,
    root,
    activate: opts.activate ?? false,
    paths: { node: '/usr/bin/node', daemon },
    runner,
    packageDir: pkg,
  };
  return { root, pkg, runner, options };
}

describe('install on Linux', () => {
  it('writes the unit, the config dir with the example config and conf.d/, and loads nothing with --root', async () => {
    const { root, runner, options } = setup('linux');
    const r = await installService(options);
    expect(r.ok).toBe(true);
    const unit = readFileSync(join(root, 'etc/systemd/system/loopkeeper.service'), 'utf8');
    expect(unit).toContain(`ExecStart=/usr/bin/node --max-semi-space-size=1 --lite-mode --no-expose-wasm ${options.paths.daemon}\n`);
    expect(statSync(join(root, 'etc/systemd/system/loopkeeper.service')).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(root, 'etc/loopkeeper/loopkeeper.yaml'), 'utf8')).toBe(inertExample('version: 1\n# example\n'));
    expect(statSync(join(root, 'etc/loopkeeper/conf.d')).isDirectory()).toBe(true);
    expect(runner.calls).toEqual([]);
    expect(r.steps.map((s) => s.kind)).toEqual(['wrote', 'created', 'created', 'wrote']);
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

  it('is idempotent: a second run changes nothing', async () => {
    const { root, options } = setup('linux');
    await installService(options);
    const before = statSync(join(root, 'etc/systemd/system/loopkeeper.service')).mtimeMs;
    const r = await installService(options);
    expect(r.steps.map((s) => s.kind)).toEqual(['unchanged', 'exists', 'exists', 'exists']);
    expect(statSync(join(root, 'etc/systemd/system/loopkeeper.service')).mtimeMs).toBe(before);
  });

  it('without --root reloads systemd and enables and starts the service', async () => {
    const { runner, options } = setup('linux', { activate: true });
    expect((await installService(options)).ok).toBe(true);
    expect(runner.calls).toEqual(['systemctl daemon-reload', 'systemctl enable --now loopkeeper.service']);
  });

  it('restarts a running service whose unit changed (enable --now would keep the old ExecStart)', async () => {
    const { runner, options } = setup('linux', { activate: true });
    await installService(options);
    runner.calls.length = 0;
    await installService(options);
    expect(runner.calls).toEqual(['systemctl daemon-reload', 'systemctl enable --now loopkeeper.service']);
    runner.calls.length = 0;
    await installService({ ...options, paths: { ...options.paths, node: '/usr/local/bin/node' } });
    expect(runner.calls).toEqual([
      'systemctl daemon-reload',
      'systemctl enable --now loopkeeper.service',
      'systemctl restart loopkeeper.service',
    ]);
  });

  it('stops at a failing command and says which, with its exit code and output', async () => {
    const { options } = setup('linux', { activate: true });
    options.runner = fakeRunner((argv) => (argv[1] === 'enable' ? { code: 1, stderr: 'Failed to enable unit: Access denied\n' } : {}));
    const r = await installService(options);
    expect(r.ok).toBe(false);
    expect(r.error).toBe('`systemctl enable --now loopkeeper.service` exited with 1: Failed to enable unit: Access denied');
  });

  it('reports a runner that cannot start systemctl at all', async () => {
    const { options } = setup('linux', { activate: true });
    options.runner = { run: () => Promise.reject(new Error('systemctl was not found; is it installed?')) };
    const r = await installService(options);
    expect(r).toMatchObject({ ok: false, error: 'systemctl was not found; is it installed?' });
  });

  it('refuses to load a service whose daemon does not exist', async () => {
    const { runner, options } = setup('linux', { activate: true });
    const r = await installService({ ...options, paths: { node: '/usr/bin/node', daemon: '/nonexistent/dist/daemon/main.js' } });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/\/nonexistent\/dist\/daemon\/main\.js does not exist: build first/);
    expect(runner.calls).toEqual([]);
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

describe('install on macOS', () => {
  it('writes the LaunchDaemon plist and the config dir; --root loads nothing', async () => {
    const { root, runner, options } = setup('darwin');
    expect((await installService(options)).ok).toBe(true);
    const plist = readFileSync(join(root, 'Library/LaunchDaemons/dev.loopkeeper.daemon.plist'), 'utf8');
    expect(plist).toContain(`<string>${options.paths.daemon}</string>`);
    expect(existsSync(join(root, 'etc/loopkeeper/conf.d'))).toBe(true);
    expect(runner.calls).toEqual([]);
  });

  it('bootstraps a job that is not loaded, and leaves a loaded unchanged one alone', async () => {
    const { options } = setup('darwin', { activate: true });
    let loaded = false;
    const runner = fakeRunner((argv) => {
      if (argv[1] === 'print') return { code: loaded ? 0 : 113, stderr: loaded ? '' : 'Could not find service' };
      if (argv[1] === 'bootstrap') loaded = true;
      return {};
    });
    options.runner = runner;
    expect((await installService(options)).ok).toBe(true);
    expect(runner.calls).toEqual([
      'launchctl print system/dev.loopkeeper.daemon',
      'launchctl enable system/dev.loopkeeper.daemon',
      'launchctl bootstrap system /Library/LaunchDaemons/dev.loopkeeper.daemon.plist',
    ]);
    runner.calls.length = 0;
    expect((await installService(options)).ok).toBe(true);
    expect(runner.calls).toEqual(['launchctl print system/dev.loopkeeper.daemon']);
  });

  it('reloads a loaded job whose plist changed', async () => {
    const { options } = setup('darwin', { activate: true });
    await installService({ ...options, runner: fakeRunner() });
    const runner = fakeRunner();
    const r = await installService({ ...options, runner, paths: { ...options.paths, node: '/opt/homebrew/bin/node' } });
    expect(r.ok).toBe(true);
    expect(runner.calls).toEqual([
      'launchctl print system/dev.loopkeeper.daemon',
      'launchctl bootout system/dev.loopkeeper.daemon',
      'launchctl enable system/dev.loopkeeper.daemon',
      'launchctl bootstrap system /Library/LaunchDaemons/dev.loopkeeper.daemon.plist',
    ]);
  });
});

describe('uninstall', () => {
  it('Linux: disables and stops, removes the unit, reloads; keeps config and state; a second run does nothing', async () => {
    const { root, options } = setup('linux', { activate: true });
    await installService(options);
    const runner = fakeRunner();
    const r = await uninstallService({ ...options, runner, stateDir: '/var/lib/loopkeeper' });
    expect(r.ok).toBe(true);
    expect(runner.calls).toEqual(['systemctl disable --now loopkeeper.service', 'systemctl daemon-reload']);
    expect(existsSync(join(root, 'etc/systemd/system/loopkeeper.service'))).toBe(false);
    expect(existsSync(join(root, 'etc/loopkeeper/loopkeeper.yaml'))).toBe(true);
    expect(r.steps.filter((s) => s.kind === 'kept').map((s) => 'path' in s && s.path)).toEqual([
      join(root, 'etc/loopkeeper'),
      join(root, 'var/lib/loopkeeper'),
    ]);
    runner.calls.length = 0;
    const again = await uninstallService({ ...options, runner, stateDir: '/var/lib/loopkeeper' });
    expect(again.ok).toBe(true);
    expect(runner.calls).toEqual([]);
    expect(again.steps[0]).toEqual({ kind: 'absent', path: join(root, 'etc/systemd/system/loopkeeper.service') });
  });

  it('macOS: boots out a loaded job and removes the plist', async () => {
    const { root, options } = setup('darwin');
    await installService(options);
    const runner = fakeRunner();
    const r = await uninstallService({ ...options, activate: true, runner, stateDir: '/var/db/loopkeeper' });
    expect(r.ok).toBe(true);
    expect(runner.calls).toEqual(['launchctl print system/dev.loopkeeper.daemon', 'launchctl bootout system/dev.loopkeeper.daemon']);
    expect(existsSync(join(root, 'Library/LaunchDaemons/dev.loopkeeper.daemon.plist'))).toBe(false);
  });

  it('reports a failing disable and leaves the unit in place', async () => {
    const { root, options } = setup('linux');
    await installService(options);
    const runner = fakeRunner(() => ({ code: 1, stderr: 'Access denied' }));
    const r = await uninstallService({ ...options, activate: true, runner, stateDir: '/var/lib/loopkeeper' });
    expect(r).toMatchObject({ ok: false, error: '`systemctl disable --now loopkeeper.service` exited with 1: Access denied' });
    expect(existsSync(join(root, 'etc/systemd/system/loopkeeper.service'))).toBe(true);
  });
});
