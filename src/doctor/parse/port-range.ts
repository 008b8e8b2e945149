// The ephemeral port range: Linux's /proc/sys/net/ipv4/ip_local_port_range ("32768\t60999\n"; it
// applies to IPv6 too), macOS's `sysctl -n net.inet.ip.portrange.first net.inet.ip.portrange.last`
// (where each is read is the platform profile's: src/platform/profiles).
import type { PortRange } from '../types';

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
