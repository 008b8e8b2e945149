// The npm package as a user gets it: `npm pack` (prepack builds dist/ from scratch), then
// `npm install -g --prefix TMP loopkeeper-VERSION.tgz` (dependencies from the registry), then the
// installed commands: `--version`, `validate` on the shipped example, `install --root DIR`. Also
// what is in the tarball (no source maps, no sources, the LICENSE and what the service needs)
// and what `npm install -g .` does in a fresh clone without dev dependencies.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/cli';
import { copySources, npmEnv, packCheckout, type Packed } from '../helpers/pack';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
  bin: Record<string, string>;
  files: string[];
  man?: string | string[];
};

describe('the npm package', () => {
  let dir: string;
  let packed: Packed;
  let prefix: string;
  const installed = () => join(prefix, 'lib', 'node_modules', 'loopkeeper');
  const run = (bin: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(join(prefix, 'bin', bin), args, { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1', ...env } });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lk-package-'));
    packed = packCheckout(dir);
    prefix = join(dir, 'prefix');
    const r = spawnSync('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', packed.tarball], {
      cwd: dir,
      encoding: 'utf8',
      env: npmEnv(),
    });
    if (r.status !== 0) throw new Error(`npm install -g of the tarball failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  });

  afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(
      `npm package: ${packed?.report.filename}: ${packed?.report.entryCount} files, ${packed?.report.size} bytes packed, ` +
        `${packed?.report.unpackedSize} bytes unpacked`,
    );
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships dist/ without source maps, the service files, the config example, LICENSE and README; no sources or tests', () => {
    const paths = packed.report.files.map((f) => f.path);
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
    expect(paths.filter((p) => /^(src|test|bench|scripts|deploy)\//.test(p))).toEqual([]);
    for (const must of [
      'package.json',
      'LICENSE',
      'README.md',
      pkg.bin.loopkeeper!,
      pkg.bin.loopkeeperd!,
      'dist/service/ready.js',
      'dist/daemon/config-child.js',
      'systemd/loopkeeper.service',
      'launchd/dev.loopkeeper.daemon.plist',
      'config/loopkeeper.example.yaml',
      'config/loopkeeper.schema.json',
    ]) {
      expect({ must, shipped: paths.includes(must) }).toEqual({ must, shipped: true });
    }
    // The man page, where the checkout has one (package.json's `man` names it).
    for (const page of [pkg.man ?? []].flat()) expect(paths).toContain(page.replace(/^\.\//, ''));
    // Every emitted module of the build is there (nothing under dist/ left out by `files`).
    expect(paths.filter((p) => p.startsWith('dist/') && p.endsWith('.js')).length).toBeGreaterThan(50);
    expect(readFileSync(join(installed(), 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
  });

  it('carries the metadata a registry page needs', () => {
    const shipped = JSON.parse(readFileSync(join(installed(), 'package.json'), 'utf8'));
    expect(shipped).toMatchObject({
      name: 'loopkeeper',
      license: 'MIT',
      os: ['linux', 'darwin'],
      engines: { node: '>=20' },
      repository: { type: 'git', url: expect.stringMatching(/^git\+https:\/\//) },
      homepage: expect.stringMatching(/^https:\/\//),
      bugs: { url: expect.stringMatching(/^https:\/\//) },
      keywords: expect.arrayContaining(['loopback', 'hosts']),
    });
  });

  it('the installed commands run: --version of both, validate on the shipped example', () => {
    expect(run('loopkeeper', ['--version'])).toMatchObject({ status: 0, stdout: `${pkg.version}\n` });
    expect(run('loopkeeperd', ['--version'])).toMatchObject({ status: 0, stdout: `${pkg.version}\n` });
    const v = run('loopkeeper', ['validate', join(installed(), 'config', 'loopkeeper.example.yaml')]);
    expect({ status: v.status, stderr: v.stderr }).toEqual({ status: 0, stderr: '' });
    expect(v.stdout).toMatch(/^1 file\(s\) valid: \d+ aliases, \d+ hosts\n$/);
  });

  it('`install --root DIR` from the installed package writes a unit that runs the installed daemon', () => {
    const root = join(dir, 'root');
    const r = run('loopkeeper', ['install', '--root', root]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toContain(`Installed the systemd service under ${root}; nothing was loaded.`);
    const unit = readFileSync(join(root, 'etc/systemd/system/loopkeeper.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} --max-semi-space-size=1 --lite-mode --no-expose-wasm ${installed()}/dist/daemon/main.js\n`);
    expect(unit).toContain(`ExecStartPost=${process.execPath} ${installed()}/dist/service/ready.js\n`);
    expect(readFileSync(join(root, 'etc/loopkeeper/loopkeeper.yaml'), 'utf8')).toMatch(/^# Installed by `loopkeeper install`/);
  });

  it('hints name `loopkeeper` when the installed bin is on PATH', () => {
    const r = run('loopkeeper', ['reconcile'], { PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, LOOPKEEPER_SOCKET: join(dir, 'none.sock') });
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('(to reconcile without the daemon: loopkeeper apply)');
  });

  it('`npm install -g .` in a fresh clone (no dev dependencies) says to run `npm ci` first, not "tsc: not found"', () => {
    const clone = copySources(join(dir, 'clone'));
    const r = spawnSync('npm', ['install', '--global', '--prefix', join(dir, 'prefix-clone'), '.'], { cwd: clone, encoding: 'utf8', env: npmEnv() });
    expect(r.status).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).not.toMatch(/tsc: not found/);
    expect(out).toMatch(/cannot build dist\/ in .*: TypeScript, a dev dependency, is not installed there/);
    expect(out).toMatch(/run `npm ci` first .*then `npm install -g \.`/);
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    expect(readdirSync(dir)).toContain(packed.report.filename);
  });
});
