import type { NetworkInterfaceInfo } from 'node:os';
import { createPlatform } from '../../../src/platform';
import { ifconfigArgv } from '../../../src/platform/darwin';
import { fakeRunner } from '../../helpers/fake-runner';

function info(address: string): NetworkInterfaceInfo {
  return address.includes(':')
    ? { address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: null, scopeid: address.startsWith('fe80') ? 1 : 0 }
    : { address, netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: null };
}

/** A fake lo0 that ifconfig (through the fake runner) changes and os.networkInterfaces() shows. */
function setup(initial = ['127.0.0.1', '::1', 'fe80::1'], allow: string[] = []) {
  const lo0 = new Set(initial);
  const state = { listed: true, lo0, ifconfigFails: new Map<string, string>() };
  const runner = fakeRunner((argv) => {
    if (argv[0] === '/sbin/ifconfig' && argv.length > 2) {
      const addr = argv.find((a) => /[.:]/.test(a) && a !== '255.255.255.255')!;
      const err = state.ifconfigFails.get(addr);
      if (err) return { code: 1, stderr: err };
      if (argv.includes('-alias')) lo0.delete(addr);
      else lo0.add(addr);
    }
    return undefined;
  });
  const platform = createPlatform({
    platform: 'darwin',
    interfaceName: 'lo0',
    runner,
    allowAliasRanges: allow,
    networkInterfaces: () => (state.listed ? { lo0: [...lo0].map((a) => info(a === 'fe80::1' ? 'fe80::1%lo0' : a)), en0: [info('192.168.1.5')] } : { en0: [info('192.168.1.5')] }),
  });
  return { platform, runner, state };
}

describe('macOS adapter', () => {
  it('uses the SPEC argv for IPv4 and IPv6, one ifconfig per address', async () => {
    const t = setup(['127.0.0.1', '::1', '127.0.0.9', 'fd00::9']);
    const report = await t.platform.aliases.change({ add: ['127.0.0.2', 'fd00::2'], remove: ['127.0.0.9', 'fd00::9'] });
    expect(t.runner.calls).toEqual([
      { argv: ['/sbin/ifconfig', 'lo0', 'alias', '127.0.0.2', 'netmask', '255.255.255.255'] },
      { argv: ['/sbin/ifconfig', 'lo0', 'inet6', 'alias', 'fd00::2', 'prefixlen', '128'] },
      { argv: ['/sbin/ifconfig', 'lo0', '-alias', '127.0.0.9'] },
      { argv: ['/sbin/ifconfig', 'lo0', 'inet6', '-alias', 'fd00::9'] },
    ]);
    expect(report.results.every((r) => r.ok)).toBe(true);
    expect(new Set(report.after.addresses)).toEqual(new Set(['127.0.0.1', '::1', '127.0.0.2', 'fd00::2']));
  });

  it('observes lo0 from the OS list without a process, zone ids stripped', async () => {
    const t = setup(['127.0.0.1', '::1', 'fe80::1', '127.0.0.2']);
    expect(await t.platform.aliases.observe()).toEqual({ name: 'lo0', exists: true, up: true, addresses: ['127.0.0.1', '::1', 'fe80::1', '127.0.0.2'] });
    expect(t.runner.spawned).toBe(0);
  });

  it('asks ifconfig only when lo0 is not listed, and reads "down" from its flags', async () => {
    const t = setup();
    t.state.listed = false;
    t.runner.queue.push({ stdout: 'lo0: flags=8048<LOOPBACK,RUNNING,MULTICAST> mtu 16384\n\tinet 127.0.0.1 netmask 0xff000000 \n\tinet 127.0.0.2 netmask 0xffffffff \n' });
    expect(await t.platform.aliases.observe()).toEqual({ name: 'lo0', exists: true, up: false, addresses: ['127.0.0.1', '127.0.0.2'] });
    expect(t.runner.calls).toEqual([{ argv: ['/sbin/ifconfig', 'lo0'] }]);
  });

  it('reads "does not exist" from ifconfig as a missing interface', async () => {
    const t = setup();
    t.state.listed = false;
    t.runner.queue.push({ code: 1, stderr: 'ifconfig: interface lo7 does not exist\n' });
    expect(await t.platform.aliases.observe()).toMatchObject({ exists: false });
  });

  it('reports a failed ifconfig with its argv and stderr, and the rest still applies', async () => {
    const t = setup();
    t.state.ifconfigFails.set('127.0.0.2', 'ifconfig: ioctl (SIOCAIFADDR): Operation not permitted\n');
    const report = await t.platform.aliases.change({ add: ['127.0.0.2', '127.0.0.3'], remove: [] });
    expect(report.results).toEqual([
      {
        address: '127.0.0.2',
        action: 'add',
        ok: false,
        error: '`/sbin/ifconfig lo0 alias 127.0.0.2 netmask 255.255.255.255` failed (exit code 1): ifconfig: ioctl (SIOCAIFADDR): Operation not permitted',
      },
      { address: '127.0.0.3', action: 'add', ok: true },
    ]);
  });

  it('refuses 10.0.0.1 and 127.0.0.1 without starting ifconfig', async () => {
    const t = setup();
    const report = await t.platform.aliases.change({ add: ['10.0.0.1'], remove: ['127.0.0.1'] });
    expect(report.results.map((r) => r.ok)).toEqual([false, false]);
    expect(t.runner.spawned).toBe(0);
  });

  it('flushes the DNS caches with dscacheutil then killall -HUP mDNSResponder', async () => {
    const t = setup();
    await t.platform.flushDnsCache();
    expect(t.runner.calls.map((c) => c.argv)).toEqual([
      ['/usr/bin/dscacheutil', '-flushcache'],
      ['/usr/bin/killall', '-HUP', 'mDNSResponder'],
    ]);
  });

  it('raises a failed flush with the command and its stderr', async () => {
    const t = setup();
    t.runner.queue.push({ code: 1, stderr: 'dscacheutil: permission denied' });
    await expect(t.platform.flushDnsCache()).rejects.toThrow('`/usr/bin/dscacheutil -flushcache` failed (exit code 1): dscacheutil: permission denied');
  });

  it('ifconfigArgv never mixes the families up', () => {
    expect(ifconfigArgv('add', '127.255.255.254', 'lo0')).toEqual(['/sbin/ifconfig', 'lo0', 'alias', '127.255.255.254', 'netmask', '255.255.255.255']);
    expect(ifconfigArgv('remove', 'fdff::1', 'lo0')).toEqual(['/sbin/ifconfig', 'lo0', 'inet6', '-alias', 'fdff::1']);
  });
});
