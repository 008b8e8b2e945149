// Resolution through the system resolver (getaddrinfo, as every program does it), not by reading
// /etc/hosts: a stale cache, nsswitch, a shadowing line or the RFC 6724 sort all show up here.
import { canonicalIp, isLoopbackAddress, parseIp } from '../net/ip';
import type { DesiredHost } from '../model';
import type { CheckResult, DoctorSeams } from './types';
import { errorCode, firstLines, mapLimit, plural } from './util';

/** Canonical and de-duplicated, order kept (getaddrinfo may list an address once per protocol). */
function canonicalList(addresses: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of addresses) {
    const c = canonicalIp(a) ?? a;
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

export type ResolveVerdict = 'ok' | 'order' | 'partial' | 'wrong' | 'unresolved';

export interface HostResolution {
  name: string;
  desired: string[];
  resolved: string[];
  verdict: ResolveVerdict;
  error?: string;
}

/**
 * ok: exactly the desired addresses in order. wrong: the first answer is not a desired address
 * (clients connect elsewhere). order / partial: the first answer is right, but the rest differ.
 */
export function judgeResolution(desired: readonly string[], resolved: readonly string[]): ResolveVerdict {
  if (resolved.length === 0) return 'unresolved';
  if (resolved.length === desired.length && resolved.every((a, i) => a === desired[i])) return 'ok';
  if (!desired.includes(resolved[0]!)) return 'wrong';
  const sameSet = resolved.length === desired.length && desired.every((a) => resolved.includes(a));
  return sameSet ? 'order' : 'partial';
}

function describe(r: HostResolution): string {
  const got = r.resolved.length > 0 ? r.resolved.join(', ') : `nothing (${r.error ?? 'no answer'})`;
  return `${r.name}: resolves to ${got}; desired ${r.desired.join(', ')}`;
}

export async function checkHostsResolve(seams: Pick<DoctorSeams, 'lookup'>, hosts: readonly DesiredHost[]): Promise<CheckResult> {
  const base = { id: 'hosts-resolve', title: 'hosts resolve' };
  if (hosts.length === 0) return { ...base, status: 'ok', detail: 'no host names desired' };
  const results = await mapLimit(hosts, 8, async (h): Promise<HostResolution> => {
    const desired = canonicalList(h.addresses);
    try {
      const resolved = canonicalList(await seams.lookup(h.name));
      return { name: h.name, desired, resolved, verdict: judgeResolution(desired, resolved) };
    } catch (e) {
      return { name: h.name, desired, resolved: [], verdict: 'unresolved', error: errorCode(e) };
    }
  });
  const bad = results.filter((r) => r.verdict === 'wrong' || r.verdict === 'unresolved');
  const odd = results.filter((r) => r.verdict === 'order' || r.verdict === 'partial');
  const data = { hosts: results };
  if (bad.length === 0 && odd.length === 0) {
    return { ...base, status: 'ok', detail: `all ${plural(hosts.length, 'host name')} resolve to the desired addresses in order`, data };
  }
  const lines = [...bad, ...odd].map(describe);
  const hints: string[] = [];
  if (bad.length > 0) hints.push('`loopkeeper status` shows whether the hosts block is written; a shadowing line earlier in the hosts file wins');
  if (odd.some((r) => r.resolved.some((a) => !r.desired.includes(a)))) {
    hints.push('an address the config does not declare comes from another line of the hosts file or from DNS');
  }
  if (odd.some((r) => r.verdict === 'order')) {
    hints.push('the resolver sorts the addresses of a name (RFC 6724; /etc/gai.conf on glibc), so the declared order is not guaranteed');
  }
  return {
    ...base,
    status: bad.length > 0 ? 'fail' : 'warn',
    detail: `${bad.length + odd.length} of ${plural(hosts.length, 'host name')} resolve differently:\n${firstLines(lines)}`,
    hints,
    data,
  };
}

export async function checkLocalhost(seams: Pick<DoctorSeams, 'lookup'>): Promise<CheckResult> {
  const base = { id: 'localhost', title: 'localhost' };
  let resolved: string[];
  try {
    resolved = canonicalList(await seams.lookup('localhost'));
  } catch (e) {
    return { ...base, status: 'fail', detail: `localhost does not resolve (${errorCode(e)})`, hints: ['add `127.0.0.1 localhost` and `::1 localhost` to the hosts file'] };
  }
  const data = { addresses: resolved };
  if (resolved.length === 0) return { ...base, status: 'fail', detail: 'localhost resolves to nothing', data };
  const foreign = resolved.filter((a) => {
    const ip = parseIp(a);
    return ip === null || !isLoopbackAddress(ip);
  });
  const detail = `localhost → ${resolved.join(', ')}`;
  if (foreign.length > 0) {
    return { ...base, status: 'fail', detail: `${detail}: ${foreign.join(', ')} is not a loopback address`, hints: ['a hosts file line maps localhost elsewhere; remove it'], data };
  }
  const v6 = resolved.indexOf('::1');
  const v4 = resolved.indexOf('127.0.0.1');
  const hints =
    v6 !== -1 && (v4 === -1 || v6 < v4)
      ? ['::1 comes first: clients of `localhost:PORT` try IPv6 first, so a server listening only on 127.0.0.1 is reached after a refused attempt (or not at all), and a different process on [::1]:PORT wins']
      : undefined;
  return { ...base, status: 'ok', detail, ...(hints ? { hints } : {}), data };
}
