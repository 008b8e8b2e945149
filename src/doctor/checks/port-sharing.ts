// `--port N`: several processes sharing ONE address:N. With SO_REUSEPORT every process that sets
// it may listen on the same address and port; the kernel then spreads new connections between
// the sockets (by a hash of each connection's addresses and ports), so "my restart did not take"
// is often an old process still in the group, answering a share of the requests. Named as one
// group with every pid. One socket held by several processes (a server and the workers it forked)
// is listed as such: the workers take turns accepting, which is usually what was meant.
import { groupByAddress, hostPort, owners, reachableOverLoopback, type AddressGroup } from '../listeners';
import { FALLBACK_PROFILE, profileFor } from '../../platform/profiles';
import type { CheckResult, DoctorCheck, Listener } from '../types';
import { firstLines, messageOf, plural, resultOf } from '../util';

const self = { id: 'port-sharing', title: 'port sharing' };

export function judgeSharing(
  ports: readonly number[],
  listeners: readonly Listener[],
  aliases: ReadonlySet<string> = new Set(),
  consequence: string = FALLBACK_PROFILE.doctor.reusePortConsequence,
): CheckResult {
  const wanted = new Set(ports);
  const groups = groupByAddress(listeners.filter((l) => wanted.has(l.port) && reachableOverLoopback(l.address, aliases)));
  const reuseport = groups.filter((g) => g.sockets > 1);
  const inherited = groups.filter((g) => g.sockets === 1 && g.owners.length > 1);
  const describe = (g: AddressGroup): string =>
    g.sockets > 1
      ? `${hostPort(g.address, g.port)}: one SO_REUSEPORT group of ${g.sockets} listening sockets: ${owners(g)}`
      : `${hostPort(g.address, g.port)}: one listening socket held by ${g.owners.length} processes: ${owners(g)}`;
  const data = {
    ports: [...wanted],
    groups: [...reuseport, ...inherited].map((g) => ({ ...g, kind: g.sockets > 1 ? 'reuseport' : 'inherited' })),
  };
  const portList = ports.join(', ');
  if (reuseport.length > 0) {
    // What the group means differs per kernel (Linux balances, macOS does not): the profile says.
    const hints = [`${consequence}: stop the one you do not mean (\`kill PID\`)`];
    if (reuseport.some((g) => g.hidden)) hints.push('run doctor as root to see every process in a group');
    return resultOf(self, 'warn', `${plural(reuseport.length, 'address', 'addresses')} shared by several listeners:\n${firstLines([...reuseport, ...inherited].map(describe))}`, {
      hints,
      data,
    });
  }
  if (inherited.length > 0) {
    return resultOf(self, 'ok', `no SO_REUSEPORT group on port ${portList}; shared by inheritance (a server and its workers):\n${firstLines(inherited.map(describe))}`, { data });
  }
  return resultOf(self, 'ok', `no address on port ${portList} is shared by several processes`, { data });
}

export const check: DoctorCheck = {
  ...self,
  about: '--port N: several processes sharing one address:N through SO_REUSEPORT, named as one group with every pid',
  needsPorts: true,
  async run(ctx) {
    let listeners: Listener[];
    try {
      listeners = await ctx.listeners();
    } catch (e) {
      return resultOf(self, 'warn', `cannot list listening sockets: ${messageOf(e)}`);
    }
    const aliases = new Set((await ctx.desired())?.aliases ?? []);
    const profile = profileFor(ctx.input.platform) ?? FALLBACK_PROFILE;
    return judgeSharing(ctx.input.ports, listeners, aliases, profile.doctor.reusePortConsequence);
  },
};
