// The platform profiles: one per OS, the only place that knows OS-specific paths, commands and
// service managers.
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPlatform } from '../../../src/platform';
import { darwinHostsFileIgnored, replaceLinkCommand } from '../../../src/platform/profiles/darwin';
import { FALLBACK_PROFILE, SUPPORTED_OSES, profileFor, requireProfile } from '../../../src/platform/profiles';
import { resolveRuntime } from '../../../src/runtime';
import { fakeRunner } from '../../helpers/fake-runner';

describe('the profile registry', () => {
  it('has Linux and macOS, and nothing for other systems', () => {
    expect(SUPPORTED_OSES).toEqual(['linux', 'darwin']);
    expect(profileFor('linux')?.displayName).toBe('Linux');
    expect(profileFor('darwin')?.displayName).toBe('macOS');
    expect(profileFor('win32')).toBeNull();
    expect(profileFor('constructor')).toBeNull();
    expect(() => requireProfile('freebsd')).toThrow('loopkeeper supports Linux and macOS; this is freebsd');
    expect(() => requireProfile('sunos', 'install')).toThrow(/^install supports Linux and macOS/);
  });

  it('holds the SPEC defaults: socket, state dir, interface', () => {
    expect(requireProfile('linux').defaults).toEqual({ socket: '/run/loopkeeper/loopkeeper.sock', stateDir: '/var/lib/loopkeeper', interfaceName: 'lo' });
    expect(requireProfile('darwin').defaults).toEqual({ socket: '/var/run/loopkeeper.sock', stateDir: '/var/db/loopkeeper', interfaceName: 'lo0' });
  });

  it('resolveRuntime takes its defaults from the profile, and the Linux ones where there is none', () => {
    expect(resolveRuntime({}, {}, 'darwin')).toMatchObject({ socket: '/var/run/loopkeeper.sock', stateDir: '/var/db/loopkeeper', interfaceName: 'lo0' });
    expect(resolveRuntime({}, {}, 'openbsd')).toMatchObject(FALLBACK_PROFILE.defaults);
    expect(resolveRuntime({ interface: 'lo1' }, { LOOPKEEPER_SOCKET: '/tmp/s' }, 'darwin')).toMatchObject({ interfaceName: 'lo1', socket: '/tmp/s' });
  });

  it('knows how a user brings the interface up', () => {
    expect(requireProfile('linux').interfaceUpCommand('lo')).toBe('ip link set lo up');
    expect(requireProfile('darwin').interfaceUpCommand('lo0')).toBe('sudo ifconfig lo0 up');
  });

  it('names the service manager (loaded on use)', () => {
    expect(requireProfile('linux').serviceManager()).toMatchObject({ name: 'systemd', servicePath: '/etc/systemd/system/loopkeeper.service' });
    expect(requireProfile('darwin').serviceManager()).toMatchObject({
      name: 'launchd',
      servicePath: '/Library/LaunchDaemons/dev.loopkeeper.daemon.plist',
      statusCommand: 'sudo launchctl print system/dev.loopkeeper.daemon',
    });
  });

  it('createPlatform builds the adapter and the DNS flush the profile names', async () => {
    const runner = fakeRunner();
    const mac = createPlatform({ platform: 'darwin', interfaceName: 'lo0', runner, allowAliasRanges: [], isLocalAddress: async () => false, networkInterfaces: () => ({}) });
    expect(mac.name).toBe('darwin');
    await mac.aliases.change({ add: ['127.0.0.2'], remove: [] });
    await mac.flushDnsCache();
    expect(runner.calls.map((c) => c.argv[0])).toEqual(['/sbin/ifconfig', '/sbin/ifconfig', '/usr/bin/dscacheutil', '/usr/bin/killall']);
    const linux = createPlatform({ platform: 'linux', interfaceName: 'lo', runner: fakeRunner(), allowAliasRanges: [] });
    expect(linux.name).toBe('linux');
    await expect(linux.flushDnsCache()).resolves.toBeUndefined();
    expect(() => createPlatform({ platform: 'win32', interfaceName: 'x', runner, allowAliasRanges: [] })).toThrow('loopkeeper supports Linux and macOS; this is win32');
  });
});

describe('a hosts file the resolver ignores', () => {
  function tree() {
    const dir = mkdtempSync(join(tmpdir(), 'lk-hostslink-'));
    // The Mac layout: /etc is a link to private/etc, and that link alone is harmless.
    mkdirSync(join(dir, 'private/etc'), { recursive: true });
    writeFileSync(join(dir, 'private/etc/hosts'), '127.0.0.1\tlocalhost\n');
    symlinkSync('private/etc', join(dir, 'etc'));
    mkdirSync(join(dir, 'Users/me'), { recursive: true });
    writeFileSync(join(dir, 'Users/me/hosts'), '127.0.0.1\tlocalhost\n10.1.2.3\tsynced.example\n');
    return dir;
  }

  it('Linux: never (glibc follows the link)', async () => {
    const dir = tree();
    symlinkSync(join(dir, 'Users/me/hosts'), join(dir, 'linked'));
    expect(await requireProfile('linux').hostsFileIgnored(join(dir, 'linked'))).toBeNull();
  });

  it('macOS: a regular file, also below the /etc -> private/etc link, is read', async () => {
    const dir = tree();
    expect(await darwinHostsFileIgnored(join(dir, 'etc/hosts'))).toBeNull();
    expect(await darwinHostsFileIgnored(join(dir, 'private/etc/hosts'))).toBeNull();
    expect(await darwinHostsFileIgnored(join(dir, 'missing'))).toBeNull();
  });

  it('macOS: a symlinked hosts file is ignored; the reason, the resolved target and a fix with absolute paths', async () => {
    const dir = tree();
    const hosts = join(dir, 'private/etc/hosts');
    require('node:fs').rmSync(hosts);
    symlinkSync('../../Users/me/hosts', hosts); // relative, as `ln -s` often leaves it
    const r = await requireProfile('darwin').hostsFileIgnored(join(dir, 'etc/hosts'));
    expect(r).toMatchObject({ reason: 'HostsFileIgnored', target: join(dir, 'Users/me/hosts') });
    expect(r!.fix).toBe(
      `sudo cp ${join(dir, 'Users/me/hosts')} ${join(dir, 'etc/hosts')}.loopkeeper-new && sudo chmod 644 ${join(dir, 'etc/hosts')}.loopkeeper-new && ` +
        `sudo mv ${join(dir, 'etc/hosts')}.loopkeeper-new ${join(dir, 'etc/hosts')}`,
    );
    expect(r!.message).toMatch(/is a symlink \(to .*Users\/me\/hosts\): macOS's resolver \(mDNSResponder\) reads only a regular file there/);
  });

  it('the fix works from any directory: run (without sudo) from elsewhere, it leaves a regular file with the content', async () => {
    const dir = tree();
    const hosts = join(dir, 'private/etc/hosts');
    require('node:fs').rmSync(hosts);
    symlinkSync('../../Users/me/hosts', hosts);
    const r = await darwinHostsFileIgnored(hosts);
    const elsewhere = mkdtempSync(join(tmpdir(), 'lk-cwd-'));
    const run = spawnSync('sh', ['-c', r!.fix.replace(/sudo /g, '')], { cwd: elsewhere, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(lstatSync(hosts).isSymbolicLink()).toBe(false);
    expect(lstatSync(hosts).mode & 0o777).toBe(0o644);
    expect(readFileSync(hosts, 'utf8')).toContain('synced.example');
    expect(await darwinHostsFileIgnored(hosts)).toBeNull();
  });

  it('a dangling link: still ignored, the target named from the link itself', async () => {
    const r = await darwinHostsFileIgnored('/private/etc/hosts', {
      readLinkIfAny: async () => '../../Volumes/gone/hosts',
      realpath: async () => {
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      },
    });
    expect(r).toMatchObject({ target: '/Volumes/gone/hosts' });
  });

  it('quotes paths with spaces for the shell', () => {
    expect(replaceLinkCommand('/etc/hosts', '/Users/me/My Drive/hosts')).toBe(
      "sudo cp '/Users/me/My Drive/hosts' /etc/hosts.loopkeeper-new && sudo chmod 644 /etc/hosts.loopkeeper-new && sudo mv /etc/hosts.loopkeeper-new /etc/hosts",
    );
  });
});
