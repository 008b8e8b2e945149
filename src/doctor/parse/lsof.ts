// macOS listeners with their processes: `lsof -nP -iTCP -sTCP:LISTEN -F pcftdn` (argv, no shell).
// systeminformation's netstat parser loses the pid of IPv6 listeners on macOS; lsof names every
// process that holds a listening socket. Field output, one field a line, keyed by its first
// character: p pid, c command, f fd, t type (IPv4/IPv6), d the socket's kernel address (lsof's
// darwin dsock.c enters the TCP control block's pointer as the "device character code": the same
// for every process holding one socket, so a server and the workers it forked are one socket, not
// an SO_REUSEPORT group), n name (ADDR:PORT, [V6]:PORT, *:PORT). A file's fields are collected
// until the next f or p line, so their order within the file does not matter.
import { canonicalIp } from '../../net/ip';
import type { Listener } from '../types';

export const LSOF_ARGV = ['lsof', '-nP', '-iTCP', '-sTCP:LISTEN', '-F', 'pcftdn'];

const MAX_LINE = 4096;

/** Every listening socket of every process lsof could see. Lines it does not understand are skipped. */
export function parseLsof(text: string): Listener[] {
  const out: Listener[] = [];
  let pid: number | null = null;
  let command = '';
  let file: { fd: string; type: string; device: string; names: string[] } | null = null;
  const flush = (): void => {
    // Without a pid the socket cannot be told apart from another: not a row worth guessing.
    if (file !== null && pid !== null) {
      const socket = /^0x[0-9a-f]{1,16}$/i.test(file.device) ? file.device.toLowerCase() : `${pid}/${file.fd}`;
      for (const n of file.names) {
        const at = name(n, file.type);
        if (at !== null) out.push({ ...at, socket, pid, process: command });
      }
    }
    file = null;
  };
  for (const line of text.split('\n')) {
    if (line.length < 2 || line.length > MAX_LINE) continue;
    const value = line.slice(1);
    switch (line[0]) {
      case 'p':
        flush();
        pid = /^\d{1,10}$/.test(value) && Number(value) > 0 ? Number(value) : null;
        command = '';
        break;
      case 'c':
        command = value;
        break;
      case 'f':
        flush();
        file = { fd: value, type: '', device: '', names: [] };
        break;
      case 't':
        if (file) file.type = value;
        break;
      case 'd':
        if (file) file.device = value;
        break;
      case 'n':
        // A name before any f line (lsof always prints f first): kept under an unnamed fd.
        (file ??= { fd: '', type: '', device: '', names: [] }).names.push(value);
        break;
      default:
        break;
    }
  }
  flush();
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
