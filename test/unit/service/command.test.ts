import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('uninstall says the config and state stay and how to remove aliases and the hosts block', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-cmd-'));
    const { ctx, out } = context('darwin', ['node', 'main.js', 'uninstall', '--root', dir]);
    expect(await runServiceCommand('uninstall', ctx, { root: dir }, { uid: 0, runner: failing })).toBe(0);
    const text = out.join('');
    expect(text).toContain(`absent    ${join(dir, 'Library/LaunchDaemons/dev.loopkeeper.daemon.plist')}\n`);
    expect(text).toContain(`kept      ${join(dir, 'var/db/loopkeeper')} (the ownership ledger and hosts backups)\n`);
    expect(text).toMatch(/`loopkeeper down` removes them/);
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
