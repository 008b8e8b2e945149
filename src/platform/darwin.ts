// macOS: observe through os.networkInterfaces() (no process); `ifconfig` is spawned only to find
// out why lo0 is not listed (down or missing), and for changes. ifconfig has no batch mode, so a
// change is one process per address; the interface is looked at again afterwards and that is what
// we report.
//
// Ownership: `ifconfig lo0 alias ADDR` succeeds silently on an address that is already there (no
// "File exists"), so its answer never says whether loopkeeper added the address. Only a look right
// before the add can: each address is tested immediately before its ifconfig (a bind on ADDR, port
// 0: one syscall, where os.networkInterfaces() costs ~24 ms at 4,096 addresses), and an address
// that is there then — someone else put it there since the plan looked — is not added and never
// recorded as loopkeeper's. What remains is the instant between that test and ifconfig itself.
import { createSocket } from 'node:dgram';
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
  /** Whether an address is on this machine right now (default: a bind test); tests replace it. */
  isLocalAddress?: (address: string) => Promise<boolean>;
}

/**
 * Whether `address` is configured on this machine now: macOS binds only to addresses an interface
 * carries (127.0.0.2 needs its lo0 alias, unlike Linux, where all of 127/8 is local). Rejects when
 * the answer is not a plain yes or no.
 */
export function bindProbe(address: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
    const done = (fn: () => void) => {
      try {
        socket.close();
      } catch {
        // not bound: nothing to close
      }
      fn();
    };
    socket.once('error', (e: NodeJS.ErrnoException) => done(() => (e.code === 'EADDRNOTAVAIL' ? resolve(false) : reject(e))));
    socket.bind({ address, port: 0, exclusive: true }, () => done(() => resolve(true)));
  });
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
  const isLocal = opts.isLocalAddress ?? bindProbe;

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
    // Adds found already there (or whose presence could not be told) just before their ifconfig:
    // never claimed.
    const notOurs = new Set<string>();
    for (const w of work) {
      try {
        if (w.action === 'add') {
          let there: boolean | null;
          try {
            there = await isLocal(w.address);
          } catch {
            there = null;
          }
          if (there !== false) notOurs.add(w.address);
          if (there === true) {
            errors.push(null); // someone else's now: nothing to do, and not ours
            continue;
          }
        }
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
      const outcome = judge(w.address, w.action, after, present, error, already);
      if (w.action === 'add' && notOurs.has(w.address) && outcome.ok) outcome.existed = true;
      if (w.action === 'add' && notOurs.has(w.address) && !outcome.ok && error === null) {
        outcome.error = `${w.address} is in use on this machine but not on ${name} (another interface carries it); loopkeeper adds only addresses nobody uses`;
      }
      results.push(outcome);
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
