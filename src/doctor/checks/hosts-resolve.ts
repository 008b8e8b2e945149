// Resolution through the system resolver (getaddrinfo, as every program does it), not by reading
// /etc/hosts: a stale cache, nsswitch, a shadowing line or the RFC 6724 sort all show up here.
// An order that only the resolver's sorting changed is fine (SPEC "Doctor"): ok, with a note.
import { canonicalIp } from '../../net/ip';
import type { DesiredHost } from '../../model';
import { explainOrder, type SortPolicy } from '../address-order';
import type { CheckResult, DoctorCheck, DoctorSeams } from '../types';
import { errorCode, firstLines, mapLimit, needsConfig, plural, resultOf } from '../util';
import { cliHint } from '../../cli/hint';

const self = { id: 'hosts-resolve', title: 'hosts resolve' };

/** Canonical and de-duplicated, order kept (getaddrinfo may list an address once per protocol). */
export function canonicalList(addresses: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of addresses) {
    const c = canonicalIp(a) ?? a;
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

export type ResolveVerdict = 'ok' | 'sorted' | 'order' | 'partial' | 'wrong' | 'unresolved';

export interface HostResolution {
  name: string;
  desired: string[];
  resolved: string[];
  verdict: ResolveVerdict;
  /** For `sorted`: whose sorting reproduces the resolver's order. */
  sortedBy?: SortPolicy;
  error?: string;
}

/**
 * ok: exactly the desired addresses in order. sorted: the same addresses in the order the
 * resolver's RFC 6724 sorting gives them. wrong: the first answer is not a desired address
 * (clients connect elsewhere). order / partial: the first answer is right, the rest differ.
 */
export function judgeResolution(desired: readonly string[], resolved: readonly string[]): { verdict: ResolveVerdict; sortedBy?: SortPolicy } {
  if (resolved.length === 0) return { verdict: 'unresolved' };
  if (resolved.length === desired.length && resolved.every((a, i) => a === desired[i])) return { verdict: 'ok' };
  const sameSet = resolved.length === desired.length && desired.every((a) => resolved.includes(a));
  if (sameSet) {
    const by = explainOrder(desired, resolved);
    if (by !== null) return { verdict: 'sorted', sortedBy: by };
  }
  if (!desired.includes(resolved[0]!)) return { verdict: 'wrong' };
  return { verdict: sameSet ? 'order' : 'partial' };
}

function describe(r: HostResolution): string {
  const got = r.resolved.length > 0 ? r.resolved.join(', ') : `nothing (${r.error ?? 'no answer'})`;
  return `${r.name}: resolves to ${got}; desired ${r.desired.join(', ')}`;
}

const POLICY: Record<SortPolicy, string> = {
  glibc: "glibc's default table, which puts IPv6 (fd00::/7 included) before IPv4",
  rfc6724: "RFC 6724's default table, which puts IPv4 before ULA (fc00::/7)",
};

export async function checkHostsResolve(seams: Pick<DoctorSeams, 'lookup'>, hosts: readonly DesiredHost[]): Promise<CheckResult> {
  if (hosts.length === 0) return resultOf(self, 'ok', 'no host names desired');
  const results = await mapLimit(hosts, 8, async (h): Promise<HostResolution> => {
    const desired = canonicalList(h.addresses);
    try {
      const resolved = canonicalList(await seams.lookup(h.name));
      return { name: h.name, desired, resolved, ...judgeResolution(desired, resolved) };
    } catch (e) {
      return { name: h.name, desired, resolved: [], verdict: 'unresolved', error: errorCode(e) };
    }
  });
  const bad = results.filter((r) => r.verdict === 'wrong' || r.verdict === 'unresolved');
  const odd = results.filter((r) => r.verdict === 'order' || r.verdict === 'partial');
  const sorted = results.filter((r) => r.verdict === 'sorted');
  const data = { hosts: results };
  const sortNotes = sorted.map(
    (r) =>
      `${r.name} resolves to ${r.resolved.join(', ')} (declared ${r.desired.join(', ')}): the resolver sorts a name's addresses ` +
      `(RFC 6724 destination selection; here ${POLICY[r.sortedBy!]}; /etc/gai.conf changes it), so clients try ${r.resolved[0]} first`,
  );
  if (bad.length === 0 && odd.length === 0) {
    const detail =
      sorted.length === 0
        ? `all ${plural(hosts.length, 'host name')} resolve to the desired addresses in order`
        : `all ${plural(hosts.length, 'host name')} resolve to the desired addresses; ${count(sorted.length)} in the resolver's sorted order rather than the declared one`;
    return resultOf(self, 'ok', detail, { hints: firstOf(sortNotes), data });
  }
  const lines = [...bad, ...odd].map(describe);
  const hints: string[] = [];
  if (bad.length > 0) hints.push(`\`${cliHint('status')}\` shows whether the hosts block is written; a shadowing line earlier in the hosts file wins`);
  if (odd.some((r) => r.resolved.some((a) => !r.desired.includes(a)))) {
    hints.push('an address the config does not declare comes from another line of the hosts file or from DNS');
  }
  if (odd.some((r) => r.verdict === 'order')) {
    hints.push('the resolver sorts the addresses of a name (RFC 6724; /etc/gai.conf on glibc), so the declared order is not guaranteed');
  }
  hints.push(...firstOf(sortNotes));
  const n = bad.length + odd.length;
  return resultOf(self, bad.length > 0 ? 'fail' : 'warn', `${count(n)} of ${plural(hosts.length, 'host name')} ${n === 1 ? 'resolves' : 'resolve'} differently:\n${firstLines(lines)}`, {
    hints,
    data,
  });
}

/** At most three notes of one kind, then how many more (the data has them all). */
function firstOf(notes: string[]): string[] {
  return notes.length <= 3 ? notes : [...notes.slice(0, 3), `… and ${count(notes.length - 3)} more names in the resolver's order (--json lists them)`];
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

export const check: DoctorCheck = {
  ...self,
  about: 'every desired name resolves through the system resolver to the desired addresses (in order, or in the order its RFC 6724 sorting gives)',
  async run(ctx) {
    const desired = await ctx.desired();
    return desired ? checkHostsResolve(ctx.seams, desired.hosts) : needsConfig(self);
  },
};
