// macOS: observe through os.networkInterfaces() (no process); `ifconfig` is spawned only to find
// out why lo0 is not listed (down or missing), and for changes. ifconfig has no batch mode, so a
// change is one process per address; the interface is looked at again afterwards and that is what
// we report.
import { networkInterfaces as osNetworkInterfaces } from 'node:os';
import { parseIp } from '../net/ip';
import { addressesFromOs, judge, type AliasChangeOutcome, type NetworkInterfacesFn } from './common';
import { createGuard } from './guard';
import { parseIfconfig } from './ifconfig';
import { CommandError } from './runner';
import type { AliasChangeReport, AliasChangeRequest, AliasPort, CommandRunner, InterfaceState } from './types';
import { messageOf } from '../errors';

export const IFCONFIG = '/sbin/ifconfig';
export const DSCACHEUTIL = '/usr/bin/dscacheutil';
export const KILLALL = '/usr/bin/killall';

export interface DarwinAliasOptions {
  interfaceName: string;
  runner: CommandRunner;
  allowAliasRanges: readonly string[];
  networkInterfaces?: NetworkInterfacesFn;
}

/** The exact argv for one change (SPEC "Aliases and ownership"). */
export function ifconfigArgv(action: 'add' | 'remove', address: string, dev: string): string[] {
  const v6 = parseIp(address)?.family === 6;
  if (action === 'add') {
    return v6
      ? [IFCONFIG, dev, 'inet6', 'alias', address, 'prefixlen', '128']
      : [IFCONFIG, dev, 'alias', address, 'netmask', '255.255.255.255'];
  }
  return v6 ? [IFCONFIG, dev, 'inet6', '-alias', address] : [IFCONFIG, dev, '-alias', address];
}

export function createDarwinAliases(opts: DarwinAliasOptions): AliasPort {
  const name = opts.interfaceName;
  const listInterfaces = opts.networkInterfaces ?? osNetworkInterfaces;
  const guard = createGuard(opts.allowAliasRanges);

  async function observe(): Promise<InterfaceState> {
    const listed = addressesFromOs(listInterfaces(), name);
    if (listed !== null) return { name, exists: true, up: true, addresses: listed };
    // Not listed: down or missing. Only ifconfig can tell which (macOS has no sysfs).
    const r = await opts.runner.run([IFCONFIG, name]);
    if (r.code !== 0) {
      if (/does not exist|no such interface/i.test(r.stderr)) return { name, exists: false, up: null, addresses: [] };
      throw CommandError.fromResult(r);
    }
    const parsed = parseIfconfig(r.stdout).find((i) => i.name === name);
    if (!parsed) return { name, exists: false, up: null, addresses: [] };
    return { name, exists: true, up: parsed.up, addresses: parsed.addresses.map((a) => a.address) };
  }

  async function change(request: AliasChangeRequest): Promise<AliasChangeReport> {
    const { work, refused } = guard.screenRequest(request);
    const results: AliasChangeOutcome[] = [...refused];
    if (work.length === 0) return { results, after: await observe() };

    const errors: (string | null)[] = [];
    for (const w of work) {
      try {
        const r = await opts.runner.run(ifconfigArgv(w.action, w.address, name));
        errors.push(r.code === 0 && !r.signal ? null : CommandError.fromResult(r).message);
      } catch (e) {
        errors.push(messageOf(e));
      }
    }
    const after = await observe();
    const present = new Set(after.addresses);
    work.forEach((w, i) => {
      const error = errors[i] ?? null;
      const already = error !== null && (w.action === 'add' ? /File exists/i.test(error) : /Can't assign requested address|not found/i.test(error));
      results.push(judge(w.address, w.action, after, present, error, already));
    });
    return { results, after };
  }

  return { interfaceName: name, observe, change };
}

/** Makes the resolver see a changed hosts file (SPEC: both commands, in this order). */
export async function flushDarwinDnsCache(runner: CommandRunner): Promise<void> {
  for (const argv of [[DSCACHEUTIL, '-flushcache'], [KILLALL, '-HUP', 'mDNSResponder']]) {
    const r = await runner.run(argv);
    if (r.code !== 0 || r.signal) throw CommandError.fromResult(r);
  }
}
