// `--port N`: who listens on N on the loopback addresses. Two different processes on
// 127.0.0.1:N and [::1]:N is the classic "my change did not apply" trap: `localhost:N` reaches one
// or the other depending on the client.
import { canonicalIp, parseIp, isLoopbackAddress } from '../net/ip';
import type { CheckResult, ConnectionRow, DoctorSeams } from './types';
import { messageOf, firstLines } from './util';

export interface Listener {
  address: string;
  port: number;
  pid: number | null;
  process: string;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * The local address as a canonical IP: strips `[…]` (ss) and a `%zone`, maps `*` to the IPv4
 * wildcard (netstat's own spelling is 0.0.0.0 / ::), and an IPv4-mapped IPv6 address to IPv4.
 * Returns null for anything else.
 */
export function normalizeAddress(raw: string): string | null {
  let a = raw.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  if (a === '*') return '0.0.0.0';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) a = mapped[1]!;
  return canonicalIp(a);
}

/** TCP listeners on `port` reachable over loopback: 127/8, ::1, the wildcards and desired aliases. */
export function loopbackListeners(rows: readonly ConnectionRow[], port: number, aliases: ReadonlySet<string>): Listener[] {
  const out: Listener[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    if (!/^tcp/i.test(r.protocol) || r.state !== 'LISTEN') continue;
    if (String(r.localPort).trim() !== String(port)) continue;
    const address = normalizeAddress(r.localAddress);
    if (address === null) continue;
    const ip = parseIp(address);
    if (ip === null || !(isLoopbackAddress(ip) || WILDCARDS.has(address) || aliases.has(address))) continue;
    const pid = typeof r.pid === 'number' && Number.isInteger(r.pid) && r.pid > 0 ? r.pid : null;
    const key = `${address}|${pid ?? '?'}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ address, port, pid, process: typeof r.process === 'string' ? r.process : '' });
  }
  return out;
}

/** Where `localhost:N` can land: the two localhost addresses and the wildcards that cover them. */
const LOCALHOST_REACHABLE = new Set(['127.0.0.1', '::1', '0.0.0.0', '::']);

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function who(l: Listener): string {
  if (l.pid === null) return 'pid unknown';
  return l.process ? `pid ${l.pid} (${l.process})` : `pid ${l.pid}`;
}

export function judgeListeners(port: number, listeners: readonly Listener[]): CheckResult {
  const base = { id: `port-${port}`, title: `port ${port}` };
  const data = { port, listeners };
  const lines = listeners.map((l) => `${hostPort(l.address, port)}  ${who(l)}`);
  if (listeners.length === 0) {
    return { ...base, status: 'warn', detail: `nothing listens on port ${port} on a loopback address`, data };
  }
  const local = listeners.filter((l) => LOCALHOST_REACHABLE.has(l.address));
  const pids = new Set(local.filter((l) => l.pid !== null).map((l) => l.pid));
  if (pids.size > 1) {
    return {
      ...base,
      status: 'fail',
      detail: `different processes answer localhost:${port}:\n${firstLines(lines)}`,
      hints: [`a client of localhost:${port} reaches one or the other (IPv6 ::1 is usually tried first): stop the one you do not mean`],
      data,
    };
  }
  const unknown = local.filter((l) => l.pid === null);
  const addresses = new Set(local.map((l) => l.address));
  if (unknown.length > 0 && addresses.size > 1) {
    return {
      ...base,
      status: 'warn',
      detail: `several listeners answer localhost:${port}, and which processes they belong to is hidden:\n${firstLines(lines)}`,
      hints: ['run doctor as root to see the pid and process of every listener'],
      data,
    };
  }
  return { ...base, status: 'ok', detail: firstLines(lines), data };
}

/** One result per port, from a single listing of the machine's sockets. */
export async function checkPorts(
  seams: Pick<DoctorSeams, 'connections'>,
  ports: readonly number[],
  aliases: readonly string[],
): Promise<CheckResult[]> {
  if (ports.length === 0) return [];
  let rows: ConnectionRow[];
  try {
    rows = await seams.connections();
  } catch (e) {
    return ports.map((port) => ({
      id: `port-${port}`,
      title: `port ${port}`,
      status: 'warn' as const,
      detail: `cannot list listening sockets: ${messageOf(e)}`,
      hints: ['listing needs `ss` (iproute2) or `netstat` on Linux, `netstat` on macOS'],
    }));
  }
  const aliasSet = new Set(aliases);
  return ports.map((port) => judgeListeners(port, loopbackListeners(rows, port, aliasSet)));
}
