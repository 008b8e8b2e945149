import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CommandContext } from '../../../src/cli/context';
import { resolveRuntime } from '../../../src/runtime';
import { runServiceCommand, shellWord, sudoCommand } from '../../../src/service/command';

function context(platform: NodeJS.Platform, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CommandContext = {
    runtime: resolveRuntime({}, {}, platform),
    env: {},
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    color: false,
    interactive: false,
    argv,
  };
  return { ctx, out, err };
}

const failing = { run: () => Promise.reject(new Error('must not run')) };
/** A running system where every path exists and the daemon answers. */
const noHost = {
  exists: async () => true,
  realpath: async (p: string) => p,
  waitForDaemon: async () => ({ ok: true as const }),
  tail: async () => null,
};

describe('install / uninstall commands', () => {
  it('without --root and without root: exit 1 and the exact sudo command, nothing written or run', async () => {
    const { ctx, err, out } = context('linux', ['/usr/bin/node', '/opt/lk/dist/cli/main.js', 'install']);
    const code = await runServiceCommand('install', ctx, {}, { uid: 1000, runner: failing });
    expect(code).toBe(1);
    expect(err.join('')).toBe(
      `loopkeeper: install changes the system's services and needs root. Run:\n  sudo ${process.execPath} /opt/lk/dist/cli/main.js install\n`,
    );
    expect(out).toEqual([]);
  });

  it('--root needs no root, writes under DIR and prints what it wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-cmd-'));
    const { ctx, out } = context('linux', ['node', 'main.js', 'install', '--root', dir]);
    const code = await runServiceCommand('install', ctx, { root: dir }, { uid: 1000, runner: failing, daemonPath: '/opt/lk/dist/daemon/main.js' });
    expect(code).toBe(0);
    expect(existsSync(join(dir, 'etc/systemd/system/loopkeeper.service'))).toBe(true);
    const text = out.join('');
    expect(text).toContain(`wrote     ${join(dir, 'etc/systemd/system/loopkeeper.service')}\n`);
    expect(text).toContain(`Installed the systemd service under ${dir}; nothing was loaded.`);
  });

  it('uninstall of an install: removes it, says the state stays and how to remove aliases and the hosts block', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-cmd-'));
    const deps = { uid: 0, runner: failing, daemonPath: '/opt/lk/dist/daemon/main.js' };
    expect(await runServiceCommand('install', context('darwin', []).ctx, { root: dir }, deps)).toBe(0);
    require('node:fs').mkdirSync(join(dir, 'var/db/loopkeeper'), { recursive: true }); // what the daemon would have made
    const { ctx, out, err } = context('darwin', ['node', 'main.js', 'uninstall', '--root', dir]);
    expect(await runServiceCommand('uninstall', ctx, { root: dir }, deps)).toBe(0);
    const text = out.join('');
    expect(text).toContain(`removed   ${join(dir, 'Library/LaunchDaemons/dev.loopkeeper.daemon.plist')}\n`);
    expect(text).toContain(`kept      ${join(dir, 'var/db/loopkeeper')} (the ownership ledger and hosts backups; the \`down\` command uses them)\n`);
    // The hint names the command as this user ran it (`node main.js`: no `loopkeeper` on PATH).
    expect(text).toContain(`and the files install wrote. Aliases and the hosts block stay as they are: \`sudo ${process.execPath} ${resolve('main.js')} down\` removes them`);
    expect(err).toEqual([]);
  });

  it('a second uninstall says there was nothing to remove', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-cmd-'));
    const { ctx, out } = context('linux', ['node', 'main.js', 'uninstall', '--root', dir]);
    expect(await runServiceCommand('uninstall', ctx, { root: dir }, { uid: 0, runner: failing })).toBe(0);
    expect(out.join('')).toMatch(
      new RegExp(`^loopkeeper is not installed here \\(${dir}/etc/systemd/system/loopkeeper\\.service does not exist\\): there was nothing to remove\\.$`, 'm'),
    );
    expect(out.join('')).not.toMatch(/^Removed/m);
  });

  it('install without a service manager: exit 1, nothing written, and how to run the daemon in the foreground', async () => {
    const { ctx, out, err } = context('linux', ['node', '/opt/lk/dist/cli/main.js', 'install']);
    const host = { ...noHost, exists: async (p: string) => p !== '/run/systemd/system' };
    const code = await runServiceCommand('install', ctx, {}, { uid: 0, runner: failing, host, nodePath: '/usr/bin/node', daemonPath: '/opt/lk/dist/daemon/main.js' });
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err.join('')).toBe(
      'loopkeeper: install refused: systemd is not running on this machine (/run/systemd/system does not exist: a container, WSL without ' +
        'systemd, or another init system), so there is no service manager to install loopkeeper into.\n' +
        'Nothing was written. Run the daemon in the foreground instead (it keeps the aliases and /etc/hosts as declared until you stop it):\n' +
        '  sudo /usr/bin/node /opt/lk/dist/daemon/main.js\n' +
        `or apply the config once with \`sudo ${process.execPath} /opt/lk/dist/cli/main.js apply\`.\n`,
    );
  });

  it('install whose service does not come up: prints the last log lines and exits 1', async () => {
    const { ctx, err } = context('linux', ['node', 'main.js', 'install']);
    const runner = {
      run: async (argv: readonly string[]) => ({
        argv,
        code: argv[1] === 'enable' ? 1 : 0,
        signal: null,
        stdout: argv[0] === 'journalctl' ? 'Dec 01 node[7]: loopkeeperd: cannot listen\nDec 01 systemd[1]: Failed.\n' : '',
        stderr: argv[1] === 'enable' ? 'Job for loopkeeper.service failed.\n' : '',
      }),
    };
    // A real install (no --root), with the files it writes redirected to a temp directory.
    const dir = mkdtempSync(join(tmpdir(), 'lk-cmd-'));
    const code = await runServiceCommand('install', ctx, {}, {
      uid: 0,
      runner,
      host: noHost,
      daemonPath: '/opt/lk/dist/daemon/main.js',
      nodePath: '/usr/bin/node',
      systemRoot: dir,
    });
    expect(code).toBe(1);
    expect(err.join('')).toBe(
      "The service's last log lines (journalctl -u loopkeeper.service -n 20 --no-pager):\n" +
        '  Dec 01 node[7]: loopkeeperd: cannot listen\n  Dec 01 systemd[1]: Failed.\n' +
        'loopkeeper: install failed: `systemctl enable --now loopkeeper.service` exited with 1: Job for loopkeeper.service failed.\n',
    );
  });

  it('refuses an empty --root rather than installing for real', async () => {
    const { ctx, err } = context('linux', ['node', 'main.js', 'install', '--root', '']);
    expect(await runServiceCommand('install', ctx, { root: '' }, { uid: 0, runner: failing })).toBe(2);
    expect(err.join('')).toBe('loopkeeper: --root needs a directory\n');
  });

  it('refuses platforms it has no service manager for', async () => {
    const { ctx, err } = context('win32', ['node', 'main.js', 'install']);
    expect(await runServiceCommand('install', ctx, {}, { uid: 0, runner: failing })).toBe(1);
    expect(err.join('')).toMatch(/supports Linux \(systemd\) and macOS \(launchd\), not win32/);
  });

  it('quotes words for the shell only when needed', () => {
    expect(shellWord('/usr/bin/node')).toBe('/usr/bin/node');
    expect(shellWord('--config=/a b')).toBe(`'--config=/a b'`);
    expect(shellWord(`it's`)).toBe(`'it'\\''s'`);
    expect(shellWord('')).toBe(`''`);
    expect(shellWord('$(rm -rf /)')).toBe(`'$(rm -rf /)'`);
    expect(sudoCommand(['node', '/x/main.js', 'install', '--config', '/my dir/a.yaml'])).toBe(
      `sudo ${shellWord(process.execPath)} /x/main.js install --config '/my dir/a.yaml'`,
    );
  });
});
