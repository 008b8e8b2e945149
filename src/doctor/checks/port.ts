// `--port N`: who listens on N on the loopback addresses. Two different processes on
// 127.0.0.1:N and [::1]:N is the classic "my change did not apply" trap: `localhost:N` reaches one
// or the other depending on the client. (Several processes on ONE address:N is port-sharing's.)
import { groupByAddress, hostPort, owners, reachableOverLoopback, type AddressGroup } from '../listeners';
import type { CheckResult, DoctorCheck, Listener } from '../types';
import { firstLines, messageOf } from '../util';

/** Where `localhost:N` can land: the two localhost addresses and the wildcards that cover them. */
const LOCALHOST_REACHABLE = new Set(['127.0.0.1', '::1', '0.0.0.0', '::']);

function base(port: number): { id: string; title: string } {
  return { id: `port-${port}`, title: `port ${port}` };
}

function sameSet(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

export function judgeListeners(port: number, listeners: readonly Listener[], aliases: ReadonlySet<string> = new Set()): CheckResult {
  const groups = groupByAddress(listeners.filter((l) => l.port === port && reachableOverLoopback(l.address, aliases)));
  const data = { port, listeners: groups };
  const lines = groups.map((g) => `${hostPort(g.address, port)}  ${owners(g)}${g.sockets > 1 || g.owners.length > 1 ? '  (shared: see port-sharing)' : ''}`);
  if (groups.length === 0) {
    return { ...base(port), status: 'warn', detail: `nothing listens on port ${port} on a loopback address`, data };
  }
  const local = groups.filter((g) => LOCALHOST_REACHABLE.has(g.address));
  const known = local.filter((g) => g.owners.length > 0).map((g) => new Set(g.owners.map((o) => o.pid)));
  if (known.some((s) => !sameSet(s, known[0]!))) {
    return {
      ...base(port),
      status: 'fail',
      detail: `different processes answer localhost:${port}:\n${firstLines(lines)}`,
      hints: [`a client of localhost:${port} reaches one or the other (IPv6 ::1 is usually tried first): stop the one you do not mean`],
      data,
    };
  }
  if (local.some((g: AddressGroup) => g.hidden) && local.length > 1) {
    return {
      ...base(port),
      status: 'warn',
      detail: `several listeners answer localhost:${port}, and which processes they belong to is hidden:\n${firstLines(lines)}`,
      hints: ['run doctor as root to see the pid and process of every listener'],
      data,
    };
  }
  return { ...base(port), status: 'ok', detail: firstLines(lines), data };
}

export const check: DoctorCheck = {
  id: 'port',
  title: 'port N',
  about: '--port N: every TCP listener on N on a loopback address, a wildcard or a desired alias, with pid and process (results port-N)',
  needsPorts: true,
  async run(ctx) {
    const ports = ctx.input.ports;
    let listeners: Listener[];
    try {
      listeners = await ctx.listeners();
    } catch (e) {
      return ports.map((port) => ({ ...base(port), status: 'warn' as const, detail: `cannot list listening sockets: ${messageOf(e)}` }));
    }
    const aliases = new Set((await ctx.desired())?.aliases ?? []);
    return ports.map((port) => judgeListeners(port, listeners, aliases));
  },
};
