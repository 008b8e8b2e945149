import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createPlatform } from '../../../src/platform';
import { existedBefore } from '../../../src/platform/common';
import { alreadyDone, batchLine, parseBatchFailures } from '../../../src/platform/linux';
import { CommandError } from '../../../src/platform/runner';
import { corpusPath, describeCorpus } from '../../helpers/corpus';
import { fakeRunner, type FakeRunner } from '../../helpers/fake-runner';

// Real `ip -batch` stderr captured for this project (test/fixtures/ip, with batches.json saying
// what produced each one).
const FIXTURES = resolve(__dirname, '..', '..', 'fixtures', 'ip');
const stderrOf = (f: string) => readFileSync(join(FIXTURES, f), 'utf8');
interface Batch {
  stderr: string;
  argv: string[];
  input: string;
  exit: number;
  failedLines: number[];
}
const BATCHES = (JSON.parse(readFileSync(join(FIXTURES, 'batches.json'), 'utf8')) as { batches: Batch[] }).batches;

function info(address: string): NetworkInterfaceInfo {
  const v6 = address.includes(':');
  return v6
    ? { address, netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: `${address}/128`, scopeid: 0 }
    : { address, netmask: '255.255.255.255', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: `${address}/32` };
}

/** A fake kernel: the lo addresses os.networkInterfaces() would list, and a fake sysfs and ip. */
function setup(opts: { addresses?: string[]; listed?: boolean; flags?: string | null; allow?: string[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lk-linux-'));
  const sys = join(dir, 'sys');
  mkdirSync(sys);
  if (opts.flags !== null) {
    mkdirSync(join(sys, 'lo'));
    writeFileSync(join(sys, 'lo', 'flags'), `${opts.flags ?? '0x9'}\n`);
  }
  const ip = join(dir, 'ip');
  writeFileSync(ip, '#!/bin/sh\nexit 99\n');
  chmodSync(ip, 0o755);
  const lo = new Set(opts.addresses ?? ['127.0.0.1', '::1']);
  const state = { listed: opts.listed ?? true, lo };
  const runner = fakeRunner();
  const platform = createPlatform({
    platform: 'linux',
    interfaceName: 'lo',
    runner,
    allowAliasRanges: opts.allow ?? [],
    sysClassNet: sys,
    ipCandidates: [join(dir, 'missing-ip'), ip],
    networkInterfaces: () => {
      if (!state.listed) return { eth0: [info('10.0.0.5')] };
      const all = [...state.lo];
      // Labelled addresses appear under their own key, like the kernel's `lo:app`.
      return { lo: all.filter((a) => a !== '127.0.0.3').map(info), ...(all.includes('127.0.0.3') ? { 'lo:app': [info('127.0.0.3')] } : {}), eth0: [info('10.0.0.5')] };
    },
  });
  return { platform, runner, state, ip, sys, dir };
}

/** Makes the fake runner behave like `ip -force -batch -` against `state.lo`. */
function actLikeIp(runner: FakeRunner, lo: Set<string>, fail: Record<string, string> = {}) {
  runner.script = (_argv, input) => {
    const errs: string[] = [];
    (input ?? '').trim().split('\n').forEach((line, i) => {
      const [, verb, cidr] = line.split(' ');
      const addr = cidr!.split('/')[0]!;
      const forced = fail[addr];
      if (forced) errs.push(forced, `Command failed -:${i + 1}`);
      else if (verb === 'add' && lo.has(addr)) errs.push('Error: ipv4: Address already assigned.', `Command failed -:${i + 1}`);
      else if (verb === 'del' && !lo.has(addr)) errs.push('Error: ipv4: Address not found.', `Command failed -:${i + 1}`);
      else if (verb === 'add') lo.add(addr);
      else lo.delete(addr);
    });
    return { code: errs.length ? 1 : 0, stderr: errs.map((e) => `${e}\n`).join('') };
  };
}

describe('Linux adapter: observe', () => {
  it('merges labelled keys and canonicalises, spawning nothing', async () => {
    const t = setup({ addresses: ['127.0.0.1', '::1', '127.0.0.2', '127.0.0.3', 'fd00::2'] });
    const s = await t.platform.aliases.observe();
    expect(s).toEqual({
      name: 'lo',
      exists: true,
      up: true,
      addresses: ['127.0.0.1', '::1', '127.0.0.2', 'fd00::2', '127.0.0.3'],
      marked: [], // lo:app is someone else's label; loopkeeper's is lo:lk
      markedFamilies: [4],
    });
    expect(t.runner.spawned).toBe(0);
  });

  it('reads "down" from sysfs when the OS list leaves the interface out', async () => {
    const t = setup({ listed: false, flags: '0x8' });
    expect(await t.platform.aliases.observe()).toEqual({ name: 'lo', exists: true, up: false, addresses: [] });
    expect(t.runner.spawned).toBe(0);
  });

  it('reports a missing interface as not existing', async () => {
    const t = setup({ listed: false, flags: null });
    expect(await t.platform.aliases.observe()).toMatchObject({ exists: false, addresses: [] });
  });

  it('never builds a sysfs path out of a hostile interface name', async () => {
    const t = setup({ listed: false });
    const p = createPlatform({ platform: 'linux', interfaceName: '../lo', runner: t.runner, allowAliasRanges: [], sysClassNet: t.sys, networkInterfaces: () => ({}) });
    expect(await p.aliases.observe()).toMatchObject({ exists: false });
  });
});

describe('Linux adapter: change', () => {
  it('sends every change of one request through ONE `ip -force -batch -` process', async () => {
    const t = setup({ addresses: ['127.0.0.1', '::1', '127.0.0.9', 'fd00::9'] });
    actLikeIp(t.runner, t.state.lo);
    const report = await t.platform.aliases.change({ add: ['127.0.0.2', 'FD00::0002'], remove: ['127.0.0.9', 'fd00::9'] });
    expect(t.runner.calls).toEqual([
      {
        argv: [t.ip, '-force', '-batch', '-'],
        input: 'addr add 127.0.0.2/32 dev lo label lo:lk\naddr add fd00::2/128 dev lo metric 27755\naddr del 127.0.0.9/32 dev lo\naddr del fd00::9/128 dev lo\n',
      },
    ]);
    expect(report.results).toEqual([
      { address: '127.0.0.2', action: 'add', ok: true, added: true },
      { address: 'fd00::2', action: 'add', ok: true, added: true },
      { address: '127.0.0.9', action: 'remove', ok: true },
      { address: 'fd00::9', action: 'remove', ok: true },
    ]);
    expect(report.after.addresses.sort()).toEqual(['127.0.0.1', '127.0.0.2', '::1', 'fd00::2'].sort());
  });

  it('a mid-batch "already assigned" (real capture) is ok but marked as not added by us; the rest applies', async () => {
    const t = setup({ addresses: ['127.0.0.1', '::1', '127.0.0.3'] });
    // ip -force applied lines 1 and 3 and named line 2, exactly as in batch-force-midfail.stderr.
    t.runner.queue.push({ code: 1, stderr: stderrOf('batch-force-midfail.stderr') });
    const before = await t.platform.aliases.observe();
    t.state.lo.add('127.0.0.2').add('127.0.0.4');
    const report = await t.platform.aliases.change({ add: ['127.0.0.2', '127.0.0.3', '127.0.0.4'], remove: [], before });
    expect(report.results).toEqual([
      { address: '127.0.0.2', action: 'add', ok: true, added: true },
      { address: '127.0.0.3', action: 'add', ok: true, existed: true },
      { address: '127.0.0.4', action: 'add', ok: true, added: true },
    ]);
    expect(report.results.map(existedBefore)).toEqual([false, true, false]);
  });

  it('reports the real state when the interface disagrees with ip, with the stderr text', async () => {
    const t = setup();
    t.runner.queue.push({ code: 1, stderr: 'Error: ipv4: Invalid prefix for given prefix length.\nCommand failed -:1\n' });
    const before = await t.platform.aliases.observe();
    t.state.lo.add('127.0.0.3');
    const report = await t.platform.aliases.change({ add: ['127.0.0.2', '127.0.0.3'], remove: [], before });
    expect(report.results).toEqual([
      { address: '127.0.0.2', action: 'add', ok: false, error: 'Error: ipv4: Invalid prefix for given prefix length.' },
      { address: '127.0.0.3', action: 'add', ok: true, added: true },
    ]);
  });

  it('a delete of an address already gone (real capture, IPv4 and IPv6) counts as done', async () => {
    const t = setup();
    t.runner.queue.push({ code: 1, stderr: stderrOf('batch-del-missing.stderr') });
    const report = await t.platform.aliases.change({ add: [], remove: ['127.0.0.2'] });
    expect(report.results).toEqual([{ address: '127.0.0.2', action: 'remove', ok: true }]);
    t.runner.queue.push({ code: 1, stderr: stderrOf('batch-del-missing-v6.stderr') });
    const v6 = await t.platform.aliases.change({ add: [], remove: ['fd00::99'] });
    expect(v6.results).toEqual([{ address: 'fd00::99', action: 'remove', ok: true }]);
  });

  it('-force with two failing lines (real capture): each named line is judged on its own', async () => {
    const t = setup({ addresses: ['127.0.0.1', '::1', '127.0.0.2', 'fd00::2'] });
    t.runner.queue.push({ code: 1, stderr: stderrOf('batch-force-two-fail.stderr') });
    const before = await t.platform.aliases.observe();
    t.state.lo.add('127.0.0.22');
    const report = await t.platform.aliases.change({ add: ['127.0.0.2', '127.0.0.22', 'fd00::2'], remove: [], before });
    expect(report.results).toEqual([
      { address: '127.0.0.2', action: 'add', ok: true, existed: true },
      { address: '127.0.0.22', action: 'add', ok: true, added: true },
      { address: 'fd00::2', action: 'add', ok: true, existed: true },
    ]);
  });

  it('a batch that stops without naming a line (real capture: bad prefix) fails what is not there', async () => {
    const t = setup();
    t.runner.queue.push({ code: 1, stderr: stderrOf('batch-bad-prefix.stderr') });
    const report = await t.platform.aliases.change({ add: ['127.0.0.2'], remove: [] });
    expect(report.results).toEqual([{ address: '127.0.0.2', action: 'add', ok: false, error: expect.stringContaining('any valid prefix is expected') }]);
  });

  it('an unknown device (real capture) fails every line with ip\'s own words', async () => {
    const t = setup({ listed: false, flags: null });
    t.runner.script = (_a, input) => ({
      code: 1,
      stderr: (input ?? '').trim().split('\n').map((_l, i) => `Cannot find device "lo"\nCommand failed -:${i + 1}\n`).join(''),
    });
    const report = await t.platform.aliases.change({ add: ['127.0.0.2', '127.0.0.3'], remove: [] });
    expect(report.results).toEqual([
      { address: '127.0.0.2', action: 'add', ok: false, error: 'Cannot find device "lo"' },
      { address: '127.0.0.3', action: 'add', ok: false, error: 'Cannot find device "lo"' },
    ]);
    expect(report.after.exists).toBe(false);
    expect(parseBatchFailures(stderrOf('batch-nodev.stderr'))).toEqual(new Map([[1, 'Cannot find device "nosuchdev"']]));
  });

  it('ip dying without naming a line puts every line in doubt and reports what the interface shows', async () => {
    const t = setup();
    t.runner.queue.push({ code: null, signal: 'SIGKILL', stderr: 'timed out after 60000 ms' });
    t.state.lo.add('127.0.0.2');
    const report = await t.platform.aliases.change({ add: ['127.0.0.2', '127.0.0.3'], remove: [] });
    expect(report.results[0]).toMatchObject({ address: '127.0.0.2', ok: true, existed: true });
    expect(report.results[1]).toMatchObject({ address: '127.0.0.3', ok: false });
    expect(report.results[1]!.error).toMatch(/killed by SIGKILL.*timed out/);
  });

  it('says how to get `ip` when it is nowhere to be found', async () => {
    const t = setup();
    const p = createPlatform({ platform: 'linux', interfaceName: 'lo', runner: t.runner, allowAliasRanges: [], ipCandidates: ['/nonexistent/ip'], networkInterfaces: () => ({ lo: [info('127.0.0.1')] }) });
    const report = await p.aliases.change({ add: ['127.0.0.2'], remove: [] });
    expect(report.results[0]!.error).toMatch(/`ip` command \(iproute2\) was not found in \/nonexistent\/ip; install iproute2/);
    expect(t.runner.spawned).toBe(0);
  });

  it('a runner that cannot start ip fails each line with the reason', async () => {
    const t = setup();
    t.runner.queue.push(new CommandError(['/usr/sbin/ip'], null, null, '', '/usr/sbin/ip was not found; is it installed?'));
    const report = await t.platform.aliases.change({ add: ['127.0.0.2'], remove: [] });
    expect(report.results).toEqual([{ address: '127.0.0.2', action: 'add', ok: false, error: expect.stringMatching(/was not found/) }]);
  });

  it('refuses addresses outside the allowed ranges and never touches 127.0.0.1 or ::1 (no process for them)', async () => {
    const t = setup({ allow: ['10.254.254.0/24'] });
    actLikeIp(t.runner, t.state.lo);
    const report = await t.platform.aliases.change({ add: ['10.0.0.1', '127.0.0.1', '::1', 'fe80::1', 'not-an-ip', '10.254.254.254'], remove: ['127.0.0.1', '::1', '8.8.8.8'] });
    expect(t.runner.calls.map((c) => c.input)).toEqual(['addr add 10.254.254.254/32 dev lo label lo:lk\n']);
    const refused = report.results.filter((r) => !r.ok);
    expect(refused.map((r) => `${r.action} ${r.address}`)).toEqual([
      'add 10.0.0.1', 'add 127.0.0.1', 'add ::1', 'add fe80::1', 'add not-an-ip', 'remove 127.0.0.1', 'remove ::1', 'remove 8.8.8.8',
    ]);
    expect(refused[0]!.error).toMatch(/10\.0\.0\.1 is outside the allowed alias ranges \(127\.0\.0\.0\/8, fc00::\/7, 10\.254\.254\.0\/24\); add it to settings\.allowAliasRanges/);
    expect(refused[1]!.error).toMatch(/127\.0\.0\.1 belongs to the system/);
  });

  it('a request with nothing allowed starts no process', async () => {
    const t = setup();
    await t.platform.aliases.change({ add: ['10.0.0.1'], remove: ['127.0.0.1'] });
    expect(t.runner.spawned).toBe(0);
  });
});

describe('Linux ip batch helpers', () => {
  it('renders /32 and /128 lines', () => {
    expect(batchLine('add', '127.0.0.2', 'lo')).toBe('addr add 127.0.0.2/32 dev lo');
    expect(batchLine('remove', 'fd00::2', 'lo')).toBe('addr del fd00::2/128 dev lo');
  });

  it.each(BATCHES.map((b) => [b.stderr, b] as const))('parses the real capture %s: the failing lines ip named', (_f, b) => {
    const failures = parseBatchFailures(stderrOf(b.stderr));
    expect([...failures.keys()]).toEqual(b.failedLines);
    const lines = b.input.trim().split('\n');
    for (const [n, message] of failures) {
      expect(message).toBe(stderrOf(b.stderr).split('\n')[[...failures.keys()].indexOf(n) * 2]);
      const action = lines[n - 1]!.split(' ')[1] === 'add' ? 'add' : 'remove';
      // Every capture but the unknown device is "already as wanted".
      expect(alreadyDone(action, message)).toBe(b.stderr !== 'batch-nodev.stderr');
    }
  });

  it('knows "already done" errors', () => {
    expect(parseBatchFailures(stderrOf('batch-add-exists.stderr'))).toEqual(new Map([[1, 'Error: ipv4: Address already assigned.']]));
    expect(parseBatchFailures(stderrOf('batch-force-midfail.stderr'))).toEqual(new Map([[2, 'Error: ipv4: Address already assigned.']]));
    expect(alreadyDone('add', 'Error: ipv6: address already assigned.')).toBe(true);
    expect(alreadyDone('remove', 'Error: ipv4: Address not found.')).toBe(true);
    expect(alreadyDone('remove', 'RTNETLINK answers: Cannot assign requested address')).toBe(true);
    expect(alreadyDone('add', 'Cannot find device "lo"')).toBe(false);
  });

  it('survives hostile stderr: huge lines, no marker, markers without messages', () => {
    expect(parseBatchFailures('x'.repeat(1_000_000))).toEqual(new Map());
    const m = parseBatchFailures(`${'y'.repeat(10_000)}\nCommand failed -:7\nCommand failed -:8\n`);
    expect(m.get(7)!.length).toBeLessThan(600);
    expect(m.get(8)).toBe('ip reported a failure without a message');
    expect(parseBatchFailures('Command failed -:x\r\n')).toEqual(new Map());
  });
});

describeCorpus('Linux ip batch helpers on the corpus captures', () => {
  const corpusStderr = (f: string) => readFileSync(corpusPath('ip', f), 'utf8').replace(/exit=\d+\n?$/, '');

  it('parses every corpus capture', () => {
    expect(parseBatchFailures(corpusStderr('batch-error-exists.stderr'))).toEqual(new Map([[1, 'Error: ipv4: Address already assigned.']]));
    expect(parseBatchFailures(corpusStderr('batch-force-midfail.stderr'))).toEqual(new Map([[2, 'Error: ipv4: Address already assigned.']]));
    expect(parseBatchFailures(corpusStderr('batch-del-missing.stderr'))).toEqual(new Map([[1, 'Error: ipv4: Address not found.']]));
    expect(parseBatchFailures(corpusStderr('batch-nodev.stderr'))).toEqual(new Map([[1, 'Cannot find device "nosuchdev"']]));
  });
});

describe('createPlatform', () => {
  it('refuses platforms other than Linux and macOS, clearly', () => {
    expect(() => createPlatform({ platform: 'win32', interfaceName: 'lo', runner: fakeRunner(), allowAliasRanges: [] })).toThrow(
      'loopkeeper supports Linux and macOS; this is win32',
    );
  });

  it('Linux flushDnsCache spawns nothing', async () => {
    const runner = fakeRunner();
    await createPlatform({ platform: 'linux', interfaceName: 'lo', runner, allowAliasRanges: [] }).flushDnsCache();
    expect(runner.spawned).toBe(0);
  });
});

describe('canonicalAddress fast path', () => {
  it('gives the same answers as canonicalIp', () => {
    const { canonicalAddress } = require('../../../src/platform/common') as typeof import('../../../src/platform/common');
    const { canonicalIp } = require('../../../src/net/ip') as typeof import('../../../src/net/ip');
    for (const s of ['127.0.0.1', '255.255.255.255', '0.0.0.0', '127.0.0.01', '256.0.0.1', '127.1', '1.2.3.4 ', 'FD00::0002', '::ffff:1.2.3.4', '', 'x']) {
      expect(canonicalAddress(s)).toBe(canonicalIp(s));
    }
    const fc = require('fast-check') as typeof import('fast-check');
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6(), fc.string()), (s) => expect(canonicalAddress(s)).toBe(canonicalIp(s))), { numRuns: 2000 });
  });
});
