import type { NetworkInterfaceInfo } from 'node:os';
import { createPlatform } from '../../../src/platform';
import { bindProbe, ifconfigArgv } from '../../../src/platform/darwin';
import { nextOwned } from '../../../src/reconcile/aliases';
import { fakeRunner } from '../../helpers/fake-runner';

function info(address: string): NetworkInterfaceInfo {
  return address.includes(':')
    ? { address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: null, scopeid: address.startsWith('fe80') ? 1 : 0 }
    : { address, netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: null };
}

/** A fake lo0 that ifconfig (through the fake runner) changes and os.networkInterfaces() shows. */
function setup(initial = ['127.0.0.1', '::1', 'fe80::1'], allow: string[] = []) {
  const lo0 = new Set(initial);
  const state = {
    listed: true,
    lo0,
    ifconfigFails: new Map<string, string>(),
    /** Addresses another interface carries (the bind test sees them; lo0 does not). */
    elsewhere: new Set<string>(),
    /** Runs just before each presence test: another program changing lo0 at that moment. */
    beforeProbe: (_address: string): void => undefined,
    probeFails: false,
    probes: [] as string[],
  };
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
    isLocalAddress: async (address) => {
      state.probes.push(address);
      state.beforeProbe(address);
      if (state.probeFails) throw new Error('EACCES');
      return lo0.has(address) || state.elsewhere.has(address);
    },
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

  describe('ownership: an add is ours only when the address was not there right before it', () => {
    it('an alias another program adds between the plan and the add is not added again and not claimed', async () => {
      const t = setup();
      t.state.beforeProbe = (a) => void (a === '127.0.0.2' && t.state.lo0.add('127.0.0.2'));
      const report = await t.platform.aliases.change({ add: ['127.0.0.2', '127.0.0.3'], remove: [] });
      // ifconfig would have answered 0 for 127.0.0.2 as well (it succeeds silently on an existing address).
      expect(t.runner.calls.map((c) => c.argv)).toEqual([['/sbin/ifconfig', 'lo0', 'alias', '127.0.0.3', 'netmask', '255.255.255.255']]);
      expect(report.results).toEqual([
        { address: '127.0.0.2', action: 'add', ok: true, existed: true },
        { address: '127.0.0.3', action: 'add', ok: true },
      ]);
      expect(nextOwned([], report.results, report.after)).toEqual(['127.0.0.3']);
    });

    it('tests each address right before its own ifconfig, in order', async () => {
      const t = setup();
      const order: string[] = [];
      t.state.beforeProbe = (a) => void order.push(`probe ${a} after ${t.runner.calls.length} ifconfig(s)`);
      await t.platform.aliases.change({ add: ['127.0.0.2', 'fd00::2', '127.0.0.4'], remove: [] });
      expect(order).toEqual(['probe 127.0.0.2 after 0 ifconfig(s)', 'probe fd00::2 after 1 ifconfig(s)', 'probe 127.0.0.4 after 2 ifconfig(s)']);
    });

    it('when presence cannot be told, adds but does not claim (never removing someone else\'s alias wins)', async () => {
      const t = setup();
      t.state.probeFails = true;
      const report = await t.platform.aliases.change({ add: ['127.0.0.2'], remove: [] });
      expect(t.runner.calls).toHaveLength(1);
      expect(report.results).toEqual([{ address: '127.0.0.2', action: 'add', ok: true, existed: true }]);
    });

    it('an address another interface carries is not put on lo0, and the failure says why', async () => {
      const t = setup();
      t.state.elsewhere.add('127.0.0.2');
      const report = await t.platform.aliases.change({ add: ['127.0.0.2'], remove: [] });
      expect(t.runner.spawned).toBe(0);
      expect(report.results).toEqual([
        { address: '127.0.0.2', action: 'add', ok: false, error: expect.stringMatching(/^127\.0\.0\.2 is in use on this machine but not on lo0/) },
      ]);
    });

    it('removals are not tested first: only the ledger decides what is removed', async () => {
      const t = setup(['127.0.0.1', '::1', '127.0.0.9']);
      await t.platform.aliases.change({ add: [], remove: ['127.0.0.9'] });
      expect(t.state.probes).toEqual([]);
    });
  });
});

describe('bindProbe (the presence test on the real machine; binding changes nothing)', () => {
  it('says yes for an address this machine has, no for one it has not', async () => {
    expect(await bindProbe('127.0.0.1')).toBe(true);
    // TEST-NET-3 (RFC 5737): never configured on a test machine.
    expect(await bindProbe('203.0.113.77')).toBe(false);
  });

  it('rejects what is not a yes-or-no answer', async () => {
    await expect(bindProbe('not-an-address')).rejects.toThrow();
  });
});
