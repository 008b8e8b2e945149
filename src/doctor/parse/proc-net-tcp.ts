// Linux's TCP socket table, /proc/net/tcp and /proc/net/tcp6, read directly: no process is
// spawned, every socket is there (TIME_WAIT included), and a listening socket carries its inode,
// which /proc/PID/fd links to its owners. Written here rather than taken from `ss` output (through
// systeminformation) because that spawns a shell pipeline and keeps only the first process of a
// socket several processes share, which is what the port-sharing check is about.
//
// A row (one line; columns separated by spaces):
//    sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode …
//    0: 0100007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 …
// An address is the kernel's in-memory bytes printed as 32-bit words in the machine's byte order
// (127.0.0.1 is 0100007F on a little-endian machine); a port is plain hex. tcp6 prints four words.
import { formatIp } from '../../net/ip';

export type TcpState =
  | 'ESTABLISHED'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSE'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'LISTEN'
  | 'CLOSING'
  | 'NEW_SYN_RECV';

/** include/net/tcp_states.h */
const STATES: Record<string, TcpState> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'NEW_SYN_RECV',
};

export interface SocketRow {
  /** Canonical address; an IPv4-mapped IPv6 address (a dual-stack socket) as the IPv4 address. */
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
  state: TcpState;
  uid: number;
  /** 0 for sockets no process holds (TIME_WAIT). */
  inode: string;
}

export const PROC_NET_TCP = { 4: '/proc/net/tcp', 6: '/proc/net/tcp6' } as const;

/** A real row is ~150 characters; a longer line is not one (and is not worth splitting). */
const MAX_LINE = 1024;
const HEX = /^[0-9A-Fa-f]+$/;
const DIGITS = /^\d{1,20}$/;

/**
 * Calls `each` for every well-formed row of a /proc/net/tcp{,6} text, in order, without holding
 * them all (a busy server has hundreds of thousands). Lines that are not rows are counted, never
 * guessed at.
 */
export function parseProcNetTcp(
  text: string,
  family: 4 | 6,
  endianness: 'LE' | 'BE',
  each: (row: SocketRow) => void,
): { rows: number; skipped: number } {
  const addrHex = family === 4 ? 8 : 32;
  const cache = new Map<string, string | null>();
  const address = (hex: string): string | null => {
    let a = cache.get(hex);
    if (a === undefined) {
      a = decodeAddress(hex, endianness);
      if (cache.size > 65536) cache.clear(); // bounded: a hostile table cannot grow it without end
      cache.set(hex, a);
    }
    return a;
  };
  let rows = 0;
  let skipped = 0;
  let start = 0;
  let first = true;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (first) {
      first = false;
      if (/^\s*sl\s/.test(line)) continue; // the header
    }
    if (line.trim() === '') continue;
    const row = line.length > MAX_LINE ? null : parseRow(line, addrHex, address);
    if (row === null) skipped++;
    else {
      rows++;
      each(row);
    }
  }
  return { rows, skipped };
}

function parseRow(line: string, addrHex: number, address: (hex: string) => string | null): SocketRow | null {
  const f = line.trim().split(/\s+/);
  if (f.length < 10 || !/^\d+:$/.test(f[0]!)) return null;
  const local = endpoint(f[1]!, addrHex, address);
  const remote = endpoint(f[2]!, addrHex, address);
  const state = STATES[f[3]!.toUpperCase()];
  if (!local || !remote || !state || !DIGITS.test(f[7]!) || !DIGITS.test(f[9]!)) return null;
  return { local: local.address, localPort: local.port, remote: remote.address, remotePort: remote.port, state, uid: Number(f[7]), inode: f[9]! };
}

function endpoint(text: string, addrHex: number, address: (hex: string) => string | null): { address: string; port: number } | null {
  if (text.length !== addrHex + 5 || text[addrHex] !== ':') return null;
  const hex = text.slice(0, addrHex);
  const port = text.slice(addrHex + 1);
  if (!HEX.test(hex) || !HEX.test(port)) return null;
  const a = address(hex);
  return a === null ? null : { address: a, port: parseInt(port, 16) };
}

/** The kernel's words back into an address; null for a hex string of the wrong length. */
export function decodeAddress(hex: string, endianness: 'LE' | 'BE'): string | null {
  if ((hex.length !== 8 && hex.length !== 32) || !HEX.test(hex)) return null;
  // Network order: each 32-bit word's bytes, reversed on a little-endian machine.
  let bytes = '';
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    bytes += endianness === 'LE' ? word.slice(6, 8) + word.slice(4, 6) + word.slice(2, 4) + word.slice(0, 2) : word;
  }
  if (hex.length === 8) return dotted(bytes);
  // ::ffff:a.b.c.d — an IPv4 peer of a dual-stack socket: the same destination as a.b.c.d.
  if (/^0{20}ffff/i.test(bytes)) return dotted(bytes.slice(24));
  return formatIp({ family: 6, value: BigInt(`0x${bytes}`) });
}

function dotted(hex8: string): string {
  return [0, 2, 4, 6].map((i) => parseInt(hex8.slice(i, i + 2), 16)).join('.');
}
