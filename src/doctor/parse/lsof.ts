// macOS listeners with their processes: `lsof -nP -iTCP -sTCP:LISTEN -F pcftn` (argv, no shell).
// systeminformation's netstat parser loses the pid of IPv6 listeners on macOS; lsof names every
// process that holds a listening socket. Field output, one field a line, keyed by its first
// character: p pid, c command, f fd, t type (IPv4/IPv6), n name (ADDR:PORT, [V6]:PORT, *:PORT).
import { canonicalIp } from '../../net/ip';
import type { Listener } from '../types';

export const LSOF_ARGV = ['lsof', '-nP', '-iTCP', '-sTCP:LISTEN', '-F', 'pcftn'];

const MAX_LINE = 4096;

/** Every listening socket of every process lsof could see. Lines it does not understand are skipped. */
export function parseLsof(text: string): Listener[] {
  const out: Listener[] = [];
  let pid: number | null = null;
  let command = '';
  let fd = '';
  let type = '';
  for (const line of text.split('\n')) {
    if (line.length < 2 || line.length > MAX_LINE) continue;
    const value = line.slice(1);
    switch (line[0]) {
      case 'p':
        pid = /^\d{1,10}$/.test(value) && Number(value) > 0 ? Number(value) : null;
        command = '';
        fd = '';
        type = '';
        break;
      case 'c':
        command = value;
        break;
      case 'f':
        fd = value;
        type = '';
        break;
      case 't':
        type = value;
        break;
      case 'n': {
        const at = name(value, type);
        // Without a pid the socket cannot be told apart from another: not a row worth guessing.
        if (at !== null && pid !== null) out.push({ ...at, socket: `${pid}/${fd}`, pid, process: command });
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function name(text: string, type: string): { address: string; port: number } | null {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return null;
  let host = text.slice(0, colon);
  if (host === '*') return { address: type === 'IPv6' ? '::' : '0.0.0.0', port: Number(portText) };
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const zone = host.indexOf('%');
  if (zone !== -1) host = host.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  const address = canonicalIp(mapped ? mapped[1]! : host);
  return address === null ? null : { address, port: Number(portText) };
}
