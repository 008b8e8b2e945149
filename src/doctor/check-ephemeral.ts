// How many connections one destination (address:port) can take at once: every connection needs
// its own (source address, source port) pair, so it is the ephemeral range size times the number
// of source addresses a client can bind (127.0.0.1 plus the IPv4 aliases; ::1 plus the IPv6 ones).
import { parseIp } from '../net/ip';
import type { CheckResult, DoctorSeams } from './types';
import { messageOf, plural } from './util';

export interface PortRange {
  first: number;
  last: number;
}

export const LINUX_PORT_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
export const DARWIN_SYSCTL_ARGV = ['sysctl', '-n', 'net.inet.ip.portrange.first', 'net.inet.ip.portrange.last'];

/** Two port numbers separated by whitespace (Linux: "32768\t60999\n", macOS sysctl: two lines). */
export function parsePortRange(text: string): PortRange | null {
  if (text.length > 64) return null; // the real thing is ~12 bytes; anything long is not it
  const m = /^\s*(\d{1,5})\s+(\d{1,5})\s*$/.exec(text);
  if (!m) return null;
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (first < 1 || last > 65535 || first > last) return null;
  return { first, last };
}

export function rangeSize(r: PortRange): number {
  return r.last - r.first + 1;
}

async function readRange(seams: Pick<DoctorSeams, 'readFile' | 'runner'>, platform: NodeJS.Platform): Promise<{ source: string; text: string }> {
  if (platform === 'darwin') {
    const r = await seams.runner.run(DARWIN_SYSCTL_ARGV);
    if (r.code !== 0) throw new Error(`\`${DARWIN_SYSCTL_ARGV.join(' ')}\` exited with ${r.code}: ${r.stderr.trim()}`);
    return { source: DARWIN_SYSCTL_ARGV.join(' '), text: r.stdout };
  }
  return { source: LINUX_PORT_RANGE_FILE, text: (await seams.readFile(LINUX_PORT_RANGE_FILE)).toString('latin1') };
}

/** A range this small runs out under an ordinary load test. */
const SMALL_RANGE = 4096;

export async function checkEphemeralPorts(
  seams: Pick<DoctorSeams, 'readFile' | 'runner'>,
  platform: NodeJS.Platform,
  aliases: readonly string[],
): Promise<CheckResult> {
  const base = { id: 'ephemeral-ports', title: 'ephemeral ports' };
  if (platform !== 'linux' && platform !== 'darwin') return { ...base, status: 'skip', detail: `not known how to read the range on ${platform}` };
  let read: { source: string; text: string };
  try {
    read = await readRange(seams, platform);
  } catch (e) {
    return { ...base, status: 'warn', detail: `cannot read the ephemeral port range: ${messageOf(e)}` };
  }
  const range = parsePortRange(read.text);
  if (range === null) {
    return { ...base, status: 'warn', detail: `cannot parse the ephemeral port range from ${read.source}: ${JSON.stringify(read.text.slice(0, 80))}` };
  }
  const size = rangeSize(range);
  const v4 = 1 + aliases.filter((a) => parseIp(a)?.family === 4).length;
  const v6 = 1 + aliases.filter((a) => parseIp(a)?.family === 6).length;
  const detail =
    `ports ${range.first}–${range.last} (${plural(size, 'port')}): ` +
    `× ${plural(v4, 'IPv4 source address', 'IPv4 source addresses')} = ${(size * v4).toLocaleString('en-US')} concurrent connections to one IPv4 destination; ` +
    `× ${plural(v6, 'IPv6 source address', 'IPv6 source addresses')} = ${(size * v6).toLocaleString('en-US')} to one IPv6 destination`;
  const data = { first: range.first, last: range.last, size, sourceAddresses: { ipv4: v4, ipv6: v6 }, perDestination: { ipv4: size * v4, ipv6: size * v6 } };
  const hints = ['beyond one address\'s share a client must bind a source alias itself (e.g. `localAddress` in Node)'];
  if (size < SMALL_RANGE) {
    return { ...base, status: 'warn', detail: `${detail}; the range is unusually small`, hints, data };
  }
  return { ...base, status: 'ok', detail, hints, data };
}
