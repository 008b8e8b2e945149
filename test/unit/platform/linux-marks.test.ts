// The Linux adapter's ownership marks (label lo:lk on IPv4, metric 27755 on IPv6), the deeper look
// that reads them, a killed batch judged by comparing the interface before and after, the timeout
// that grows with the batch, and the fallback for an iproute2 without `metric` on addresses.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createPlatform } from '../../../src/platform';
import { batchLine, batchTimeoutMs, markLabel, metricRejected, parseMarkedAddresses, MARK_METRIC } from '../../../src/platform/linux';
import { labelledFromOs, markKnown } from '../../../src/platform/common';
import type { RunOptions } from '../../../src/platform/types';
import { fakeRunner, type FakeRunner } from '../../helpers/fake-runner';

/** Captured with iproute2 6.1 in a namespace (lo:lk, lo:app, plain; metric 27755, none, 100). */
const IP_JSON =
  '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[' +
  '{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},' +
  '{"family":"inet","local":"127.0.0.2","prefixlen":32,"scope":"host","label":"lo:lk","valid_life_time":4294967295,"preferred_life_time":4294967295},' +
  '{"family":"inet","local":"127.0.0.3","prefixlen":32,"scope":"host","label":"lo:app","valid_life_time":4294967295,"preferred_life_time":4294967295},' +
  '{"family":"inet","local":"127.0.0.4","prefixlen":32,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},' +
  '{"family":"inet6","local":"fd00::4","prefixlen":128,"metric":100,"scope":"global","valid_life_time":4294967295,"preferred_life_time":4294967295},' +
  '{"family":"inet6","local":"fd00::3","prefixlen":128,"scope":"global","valid_life_time":4294967295,"preferred_life_time":4294967295},' +
  '{"family":"inet6","local":"fd00::2","prefixlen":128,"metric":27755,"scope":"global","valid_life_time":4294967295,"preferred_life_time":4294967295},' +
  '{"family":"inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_time":4294967295}]}]';

function info(address: string): NetworkInterfaceInfo {
  return address.includes(':')
    ? { address, netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: `${address}/128`, scopeid: 0 }
    : { address, netmask: '255.255.255.255', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: `${address}/32` };
}

/** A fake kernel lo: plain and marked addresses, as os.networkInterfaces() and `ip -j` show them. */
function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'lk-marks-'));
  const ip = join(dir, 'ip');
  writeFileSync(ip, '#!/bin/sh\nexit 99\n');
  chmodSync(ip, 0o755);
  const plain = new Set(['127.0.0.1', '::1']);
  const marked = new Set<string>(); // carries lo:lk (IPv4) or metric 27755 (IPv6)
  const runner = fakeRunner();
  const options: RunOptions[] = [];
  const run = runner.run.bind(runner);
  runner.run = (argv, o = {}) => {
    options.push(o);
    return run(argv, o);
  };
  const platform = createPlatform({
    platform: 'linux',
    interfaceName: 'lo',
    runner,
    allowAliasRanges: [],
    ipCandidates: [ip],
    networkInterfaces: () => {
      const v4marked = [...marked].filter((a) => !a.includes(':'));
      const rest = [...plain, ...[...marked].filter((a) => a.includes(':'))];
      return { lo: rest.map(info), ...(v4marked.length ? { 'lo:lk': v4marked.map(info) } : {}) };
    },
  });
  const ipJson = () =>
    JSON.stringify([
      {
        ifname: 'lo',
        flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
        addr_info: [
          ...[...plain].map((a) => ({ family: a.includes(':') ? 'inet6' : 'inet', local: a, label: a.includes(':') ? undefined : 'lo' })),
          ...[...marked].map((a) => (a.includes(':') ? { family: 'inet6', local: a, metric: MARK_METRIC } : { family: 'inet', local: a, label: 'lo:lk' })),
        ],
      },
    ]);
  return { platform, runner, options, plain, marked, ip, ipJson };
}

/** Behaves like `ip -force -batch -` (marks what it adds with a mark) and `ip -j addr show`. */
function actLikeIp(t: ReturnType<typeof setup>, opts: { killAfter?: number; noMetric?: boolean } = {}) {
  t.runner.script = (argv, input) => {
    if (argv.includes('-j')) return { stdout: t.ipJson() };
    const errs: string[] = [];
    const lines = (input ?? '').trim().split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (opts.killAfter !== undefined && i >= opts.killAfter) return { code: null, signal: 'SIGKILL', stderr: 'timed out after 30000 ms' };
      const line = lines[i]!;
      const [, verb, cidr] = line.split(' ');
      const addr = cidr!.split('/')[0]!;
      if (opts.noMetric && / metric /.test(line)) {
        errs.push('Error: either "local" is duplicate, or "metric" is a garbage.', `Command failed -:${i + 1}`);
        continue;
      }
      const there = t.plain.has(addr) || t.marked.has(addr);
      if (verb === 'add' && there) errs.push('Error: ipv4: Address already assigned.', `Command failed -:${i + 1}`);
      else if (verb === 'add') (/ label lo:lk| metric 27755/.test(line) ? t.marked : t.plain).add(addr);
      else if (!there) errs.push('Error: ipv4: Address not found.', `Command failed -:${i + 1}`);
      else t.plain.delete(addr), t.marked.delete(addr);
    }
    return { code: errs.length ? 1 : 0, stderr: errs.map((e) => `${e}\n`).join('') };
  };
}

describe('marks: label and metric', () => {
  it('IPv4 adds carry the label lo:lk, IPv6 adds metric 27755; removals name the address only', () => {
    const mark = { label: 'lo:lk', metric: true };
    expect(batchLine('add', '127.0.0.2', 'lo', mark)).toBe('addr add 127.0.0.2/32 dev lo label lo:lk');
    expect(batchLine('add', 'fd00::2', 'lo', mark)).toBe('addr add fd00::2/128 dev lo metric 27755');
    expect(batchLine('remove', '127.0.0.2', 'lo', mark)).toBe('addr del 127.0.0.2/32 dev lo');
    // A name too long for a label: IPv4 is marked with the metric too; without metric, nothing.
    expect(batchLine('add', '127.0.0.2', 'averylongname0', { label: null, metric: true })).toBe('addr add 127.0.0.2/32 dev averylongname0 metric 27755');
    expect(batchLine('add', 'fd00::2', 'lo', { label: 'lo:lk', metric: false })).toBe('addr add fd00::2/128 dev lo');
  });

  it('the label fits IFNAMSIZ or is not used', () => {
    expect(markLabel('lo')).toBe('lo:lk');
    expect(markLabel('dummy0')).toBe('dummy0:lk');
    expect(markLabel('abcdefghijkl')).toBe('abcdefghijkl:lk'); // 15 bytes
    expect(markLabel('abcdefghijklm')).toBeNull();
  });

  it('reads marks from a real `ip -j addr` capture: only lo:lk and metric 27755 count', () => {
    const s = parseMarkedAddresses(IP_JSON, 'lo', 'lo:lk');
    expect(s).toMatchObject({ name: 'lo', exists: true, up: true, markedFamilies: [4, 6] });
    expect(s.addresses).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', 'fd00::4', 'fd00::3', 'fd00::2', '::1']);
    expect(s.marked).toEqual(['127.0.0.2', 'fd00::2']);
  });

  it('survives hostile `ip -j` output: not JSON throws, anything else is read for what it is', () => {
    expect(() => parseMarkedAddresses('not json', 'lo', 'lo:lk')).toThrow();
    expect(parseMarkedAddresses('{}', 'lo', 'lo:lk')).toMatchObject({ exists: false, addresses: [] });
    expect(parseMarkedAddresses('[null, 1, {"ifname": "eth0"}]', 'lo', 'lo:lk')).toMatchObject({ exists: false });
    const odd = parseMarkedAddresses(
      JSON.stringify([{ ifname: 'lo', flags: ['UP'], addr_info: [null, 7, { family: 'inet', local: 'x' }, { family: 'inet6', local: 'FD00::0002', metric: '27755' }, { family: 'inet6', local: 'fd00::2', metric: 27755 }, { family: 'inet', local: '127.0.0.2', label: 'lo:lk', metric: 27755 }] }]),
      'lo',
      'lo:lk',
    );
    expect(odd.addresses).toEqual(['fd00::2', '127.0.0.2']); // the string metric is not the mark; duplicates once
    expect(odd.marked).toEqual(['127.0.0.2']);
    // A down interface shows nothing, as the spawn-free look does.
    expect(parseMarkedAddresses(JSON.stringify([{ ifname: 'lo', flags: ['LOOPBACK'], addr_info: [{ family: 'inet', local: '127.0.0.2', label: 'lo:lk' }] }]), 'lo', 'lo:lk')).toMatchObject({ exists: true, up: false, addresses: [] });
  });

  it('knows an iproute2 that has no `metric` for addresses', () => {
    expect(metricRejected('Error: either "local" is duplicate, or "metric" is a garbage.')).toBe(true);
    expect(metricRejected('Error: ipv4: Address already assigned.')).toBe(false);
  });

  it('the spawn-free look reads IPv4 marks from the lo:lk key; IPv6 marks are unknown to it', async () => {
    const t = setup();
    t.marked.add('127.0.0.5').add('fd00::5');
    t.plain.add('127.0.0.6');
    const s = await t.platform.aliases.observe();
    expect(s.marked).toEqual(['127.0.0.5']);
    expect(s.markedFamilies).toEqual([4]);
    expect(markKnown(s, '127.0.0.6')).toBe(true);
    expect(markKnown(s, 'fd00::5')).toBe(false);
    expect(t.runner.spawned).toBe(0);
    expect(labelledFromOs({ 'lo:lk': [info('127.0.0.5'), info('fd00::9')] }, 'lo:lk')).toEqual(['127.0.0.5']);
  });

  it('the deeper look is one `ip -j addr show dev lo` and sees both families', async () => {
    const t = setup();
    actLikeIp(t);
    t.marked.add('127.0.0.5').add('fd00::5');
    t.plain.add('fd00::6');
    const s = await t.platform.aliases.inspect!();
    expect(t.runner.calls.map((c) => c.argv)).toEqual([[t.ip, '-j', 'addr', 'show', 'dev', 'lo']]);
    expect(s.marked!.sort()).toEqual(['127.0.0.5', 'fd00::5']);
    expect(s.markedFamilies).toEqual([4, 6]);
    expect(t.platform.aliases.marks).toBe(true);
  });
});

describe('a batch that did not finish', () => {
  it('ip killed mid-batch: what it added is neither "already existed" nor confirmed — marks decide; one batch error', async () => {
    const t = setup();
    actLikeIp(t, { killAfter: 2 });
    const before = await t.platform.aliases.observe();
    const r = await t.platform.aliases.change({ add: ['127.0.0.2', 'fd00::2', '127.0.0.3'], remove: [], before });
    expect(r.results).toEqual([
      { address: '127.0.0.2', action: 'add', ok: true },
      { address: 'fd00::2', action: 'add', ok: true },
      { address: '127.0.0.3', action: 'add', ok: false, error: expect.stringMatching(/killed by SIGKILL.*timed out/s) },
    ]);
    expect(r.batchError).toMatch(/killed by SIGKILL/);
    expect(r.after.marked).toEqual(['127.0.0.2']); // the IPv4 one is seen as ours without a process
  });

  it('an address that was there before the batch is "existed", whatever ip said', async () => {
    const t = setup();
    actLikeIp(t, { killAfter: 0 });
    t.plain.add('127.0.0.2');
    const before = await t.platform.aliases.observe();
    const r = await t.platform.aliases.change({ add: ['127.0.0.2'], remove: [], before });
    expect(r.results).toEqual([{ address: '127.0.0.2', action: 'add', ok: true, existed: true }]);
  });

  it('the timeout grows with the batch and with the addresses already there', async () => {
    const t = setup();
    actLikeIp(t);
    const add = Array.from({ length: 300 }, (_, i) => `127.0.1.${i % 250}`).filter((a, i, all) => all.indexOf(a) === i);
    await t.platform.aliases.change({ add, remove: [] });
    expect(t.options[0]!.timeoutMs).toBe(batchTimeoutMs(add.length, 2));
    expect(batchTimeoutMs(1, 0)).toBeGreaterThanOrEqual(30_000);
    expect(batchTimeoutMs(2048, 60_000)).toBeGreaterThan(batchTimeoutMs(2048, 0));
    expect(batchTimeoutMs(2048, 0)).toBeGreaterThan(batchTimeoutMs(200, 0));
    // Measured here: 4,096 adds at 57–61k took up to 144 s. The bound for half of that (a 2,048
    // batch) must be well above half of it.
    expect(batchTimeoutMs(2048, 59_000)).toBeGreaterThan(2.5 * 72_000);
    fc.assert(
      fc.property(fc.nat(70_000), fc.nat(70_000), fc.nat(1000), (lines, existing, more) => {
        expect(batchTimeoutMs(lines + more, existing)).toBeGreaterThanOrEqual(batchTimeoutMs(lines, existing));
        expect(batchTimeoutMs(lines, existing + more)).toBeGreaterThanOrEqual(batchTimeoutMs(lines, existing));
      }),
    );
  });

  it('iproute2 without `metric` on addresses: the refused adds are sent again without it, and adds are no longer "marked"', async () => {
    const t = setup();
    actLikeIp(t, { noMetric: true });
    const r = await t.platform.aliases.change({ add: ['127.0.0.2', 'fd00::2'], remove: [] });
    expect(t.runner.calls.map((c) => c.input)).toEqual([
      'addr add 127.0.0.2/32 dev lo label lo:lk\naddr add fd00::2/128 dev lo metric 27755\n',
      'addr add fd00::2/128 dev lo\n',
    ]);
    expect(r.results).toEqual([
      { address: '127.0.0.2', action: 'add', ok: true, added: true },
      { address: 'fd00::2', action: 'add', ok: true }, // added, but without a mark
    ]);
    expect(t.platform.aliases.marks).toBe(false);
    expect(r.batchError).toBeUndefined();
  });

  it('a missing `ip` is one batch error, not one per alias', async () => {
    const runner: FakeRunner = fakeRunner();
    const p = createPlatform({ platform: 'linux', interfaceName: 'lo', runner, allowAliasRanges: [], ipCandidates: ['/nonexistent/ip'], networkInterfaces: () => ({ lo: [info('127.0.0.1')] }) });
    const r = await p.aliases.change({ add: ['127.0.0.2', '127.0.0.3'], remove: [] });
    expect(r.batchError).toMatch(/`ip` command \(iproute2\) was not found/);
    expect(runner.spawned).toBe(0);
  });
});
