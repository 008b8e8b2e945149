// `install` makes root run node, dist/ and node_modules/ at every boot: it refuses code that
// another user owns or can write, and writes nothing then. Each attack builds a package tree
// with one such file; making files another user owns needs root (CI runs as root; elsewhere
// these skip with the reason).
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandRunner } from '../../src/platform/types';
import { installService, type ServiceHost, type ServiceOptions } from '../../src/service/install';
import { serviceCodeProblems } from '../../src/service/trust-check';
import { REPO } from '../helpers/cli';

const root = process.getuid?.() === 0;
if (!root && process.env.CI === 'true') throw new Error('security-install tests need root in CI (they chown files to another user)');
if (!root) console.warn('skipping security-install.test.ts: it needs root to make files another user owns'); // eslint-disable-line no-console
const maybe = root ? describe : describe.skip;
const EVE = 65534;

maybe('install refuses to make root run code other users can change (as root)', () => {
  let base: string;
  let pkg: string;
  let target: string;
  let calls: string[];
  const runner: CommandRunner = {
    async run(argv) {
      calls.push(argv.join(' '));
      return { argv, code: 0, signal: null, stdout: '', stderr: '' };
    },
  };

  beforeEach(() => {
    // Not under /tmp: install's pre-flight refuses a daemon there (PrivateTmp would hide it).
    // /dev/shm is a root-owned sticky tmpfs, as /tmp is, so it is fine above the package.
    base = mkdtempSync(join('/dev/shm', 'lk-sec-install-'));
    chmodSync(base, 0o755);
    pkg = join(base, 'pkg');
    target = join(base, 'target');
    calls = [];
    for (const d of ['systemd', 'launchd', 'config', 'dist/daemon', 'node_modules/yaml/dist', 'node_modules/.bin']) mkdirSync(join(pkg, d), { recursive: true });
    copyFileSync(join(REPO, 'systemd', 'loopkeeper.service'), join(pkg, 'systemd', 'loopkeeper.service'));
    copyFileSync(join(REPO, 'launchd', 'dev.loopkeeper.daemon.plist'), join(pkg, 'launchd', 'dev.loopkeeper.daemon.plist'));
    writeFileSync(join(pkg, 'package.json'), '{"name":"loopkeeper"}\n');
    writeFileSync(join(pkg, 'dist', 'daemon', 'main.js'), '// daemon\n');
    writeFileSync(join(pkg, 'node_modules', 'yaml', 'dist', 'index.js'), '// module\n');
    symlinkSync('../yaml/dist/index.js', join(pkg, 'node_modules', '.bin', 'yaml'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  // The running system as install sees it: systemd there, the daemon answering; files are real.
  const host: ServiceHost = {
    exists: async () => true,
    realpath: async (p) => p,
    waitForDaemon: async () => ({ ok: true }),
    tail: async () => null,
  };

  function options(over: Partial<ServiceOptions['paths']> = {}): ServiceOptions {
    return {
      platform: 'linux',
      root: target,
      activate: true,
      paths: { node: process.execPath, daemon: join(pkg, 'dist', 'daemon', 'main.js'), ...over },
      runner,
      packageDir: pkg,
      host,
    };
  }

  async function refused(over: Partial<ServiceOptions['paths']> = {}): Promise<string> {
    const r = await installService(options(over));
    expect(r.ok).toBe(false);
    // Nothing written, nothing run.
    expect(existsSync(join(target, 'etc/systemd/system/loopkeeper.service'))).toBe(false);
    expect(existsSync(join(target, 'etc/loopkeeper'))).toBe(false);
    expect(calls).toEqual([]);
    expect(r.error).toMatch(/^refusing to install a service that runs, as root, code other users can change: /);
    expect(r.error).toMatch(/Fix: chown -R root \/.* && chmod -R go-w /);
    return r.error!;
  }

  it('installs a package that only root can change (the check passes real trees with .bin links)', async () => {
    const r = await installService(options());
    expect(r.ok).toBe(true);
    expect(readFileSync(join(target, 'etc/systemd/system/loopkeeper.service'), 'utf8')).toContain(join(pkg, 'dist', 'daemon', 'main.js'));
    expect(calls).toContain('systemctl daemon-reload');
  });

  it('refuses a module in node_modules owned by another user', async () => {
    chownSync(join(pkg, 'node_modules', 'yaml', 'dist', 'index.js'), EVE, EVE);
    expect(await refused()).toContain(`${join(pkg, 'node_modules', 'yaml', 'dist', 'index.js')} is owned by uid ${EVE}, not root`);
  });

  it('refuses a group-writable file in dist/ and a world-writable directory in node_modules', async () => {
    chmodSync(join(pkg, 'dist', 'daemon', 'main.js'), 0o664);
    chmodSync(join(pkg, 'node_modules', 'yaml'), 0o777);
    const e = await refused();
    expect(e).toContain('main.js is writable by its group (mode 0664)');
    expect(e).toContain(`${join(pkg, 'node_modules', 'yaml')} is writable by others (mode 0777)`);
  });

  it('refuses a package directory owned by another user, and a node binary another user owns', async () => {
    chownSync(pkg, EVE, EVE);
    expect(await refused()).toContain(`${pkg} (above ${join(pkg, 'dist', 'daemon', 'main.js')}) is owned by uid ${EVE}`);
    chownSync(pkg, 0, 0);
    const node = join(base, 'bin', 'node');
    mkdirSync(join(base, 'bin'));
    writeFileSync(node, '#!/bin/sh\n'); // stands for a node binary another user installed (e.g. under ~/.nvm)
    chmodSync(node, 0o755);
    chownSync(node, EVE, EVE);
    expect(await refused({ node })).toContain(`${node} is owned by uid ${EVE}`);
  });

  it('refuses a symlink in node_modules into another user’s directory', async () => {
    const eve = join(base, 'home-eve');
    mkdirSync(join(eve, 'mod'), { recursive: true });
    writeFileSync(join(eve, 'mod', 'index.js'), '// evil\n');
    chownSync(eve, EVE, EVE);
    symlinkSync(join(eve, 'mod'), join(pkg, 'node_modules', 'evil'));
    expect(await refused()).toContain(`${eve} (above ${join(eve, 'mod')}) is owned by uid ${EVE}`);
  });

  it('this checkout passes the check when root owns it (a real node_modules of thousands of files)', () => {
    if (statSync(REPO).uid !== 0) {
      console.warn(`${REPO} is not owned by root: the real-tree check is meaningless here`); // eslint-disable-line no-console
      return;
    }
    const started = process.hrtime.bigint();
    const problems = serviceCodeProblems({ node: process.execPath, daemon: join(REPO, 'dist', 'daemon', 'main.js'), packageDir: REPO });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(problems).toEqual([]);
    console.log(`install trust check of ${REPO}: ${ms.toFixed(0)} ms`); // eslint-disable-line no-console
  });
});
