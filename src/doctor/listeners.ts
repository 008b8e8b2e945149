// Listener rows grouped the way the port checks judge them: per address:port, the sockets and
// the processes holding them.
import { isLoopbackAddress, parseIp } from '../net/ip';
import type { Listener } from './types';

export interface AddressGroup {
  address: string;
  port: number;
  /** Distinct listening sockets on this address:port (more than one only through SO_REUSEPORT). */
  sockets: number;
  /** Known holders, de-duplicated, by pid. */
  owners: { pid: number; process: string }[];
  /** Some socket's holder is not visible (another user's process; run as root). */
  hidden: boolean;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Where loopback clients can land: 127/8, ::1, the wildcards and the desired aliases. */
export function reachableOverLoopback(address: string, aliases: ReadonlySet<string>): boolean {
  const ip = parseIp(address);
  return ip !== null && (isLoopbackAddress(ip) || WILDCARDS.has(address) || aliases.has(address));
}

export function groupByAddress(listeners: readonly Listener[]): AddressGroup[] {
  const byKey = new Map<string, { g: AddressGroup; sockets: Set<string>; pids: Set<number> }>();
  for (const l of listeners) {
    const key = `${l.address}|${l.port}`;
    let e = byKey.get(key);
    if (!e) byKey.set(key, (e = { g: { address: l.address, port: l.port, sockets: 0, owners: [], hidden: false }, sockets: new Set(), pids: new Set() }));
    e.sockets.add(l.socket);
    if (l.pid === null) e.g.hidden = true;
    else if (!e.pids.has(l.pid)) {
      e.pids.add(l.pid);
      e.g.owners.push({ pid: l.pid, process: l.process });
    }
  }
  return [...byKey.values()].map((e) => ({ ...e.g, owners: [...e.g.owners].sort((a, b) => a.pid - b.pid), sockets: e.sockets.size }));
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export function who(owner: { pid: number; process: string }): string {
  return owner.process ? `pid ${owner.pid} (${owner.process})` : `pid ${owner.pid}`;
}

/** `pid 1 (node), pid 2 (node)`, or `pid unknown` when nobody is visible. */
export function owners(g: AddressGroup): string {
  const known = g.owners.map(who);
  if (g.hidden) known.push(known.length > 0 ? 'and a process not visible to this user' : 'pid unknown');
  return known.join(', ');
}
