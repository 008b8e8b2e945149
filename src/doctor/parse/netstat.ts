// macOS's TCP socket table: `netstat -an -p tcp` (argv, no shell). macOS has no /proc; netstat
// lists every socket, TIME_WAIT included, with BSD's address.port spelling:
//   Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
//   tcp4       0      0  127.0.0.1.8080         127.0.0.1.52144        ESTABLISHED
//   tcp6       0      0  fe80::1%lo0.8080       *.*                    LISTEN
//   tcp46      0      0  *.8080                 *.*                    LISTEN
import { canonicalIp } from '../../net/ip';
import type { SocketRow, TcpState } from './proc-net-tcp';

export const NETSTAT_ARGV = ['netstat', '-an', '-p', 'tcp'];

const STATES: Record<string, TcpState> = {
  ESTABLISHED: 'ESTABLISHED',
  SYN_SENT: 'SYN_SENT',
  SYN_RCVD: 'SYN_RECV',
  SYN_RECEIVED: 'SYN_RECV',
  FIN_WAIT_1: 'FIN_WAIT1',
  FIN_WAIT_2: 'FIN_WAIT2',
  TIME_WAIT: 'TIME_WAIT',
  CLOSED: 'CLOSE',
  CLOSE_WAIT: 'CLOSE_WAIT',
  LAST_ACK: 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

const MAX_LINE = 1024;

/** Calls `each` for every TCP row; counts the lines that look like rows but do not parse. */
export function parseNetstat(text: string, each: (row: SocketRow) => void): { rows: number; skipped: number } {
  let rows = 0;
  let skipped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!/^tcp/i.test(line)) continue; // headings and other protocols
    const row = line.length > MAX_LINE ? null : parseLine(line);
    if (row === null) skipped++;
    else {
      rows++;
      each(row);
    }
  }
  return { rows, skipped };
}

function parseLine(line: string): SocketRow | null {
  const f = line.split(/\s+/);
  if (f.length < 6 || !/^tcp(4|6|46)?$/i.test(f[0]!)) return null;
  const v6 = /6/.test(f[0]!) && !/46/.test(f[0]!);
  const local = endpoint(f[3]!, v6);
  const remote = endpoint(f[4]!, v6);
  const state = STATES[f[5]!.toUpperCase()];
  if (!local || !remote || !state) return null;
  return { local: local.address, localPort: local.port, remote: remote.address, remotePort: remote.port, state, uid: 0, inode: '' };
}

/** `127.0.0.1.8080`, `::1.8080`, `fe80::1%lo0.8080`, `*.8080`, `*.*`. A `*` port is 0. */
export function endpoint(text: string, v6: boolean): { address: string; port: number } | null {
  const dot = text.lastIndexOf('.');
  if (dot <= 0 || text.length > 128) return null;
  const host = text.slice(0, dot);
  const portText = text.slice(dot + 1);
  const port = portText === '*' ? 0 : /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) return null;
  if (host === '*') return { address: v6 ? '::' : '0.0.0.0', port };
  const zone = host.indexOf('%');
  const plain = zone === -1 ? host : host.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  const address = canonicalIp(mapped ? mapped[1]! : plain);
  return address === null ? null : { address, port };
}
