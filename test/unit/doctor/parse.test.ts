// The socket-table parsers: real shapes, then broken, hostile and huge input. A line that is not
// a row is counted as skipped, never guessed at.
import { decodeAddress, parseProcNetTcp, type SocketRow } from '../../../src/doctor/parse/proc-net-tcp';
import { endpoint, parseNetstat } from '../../../src/doctor/parse/netstat';
import { parseLsof } from '../../../src/doctor/parse/lsof';
import { explainOrder, resolverOrder } from '../../../src/doctor/address-order';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const HEADER6 = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

function rowsOf(text: string, family: 4 | 6, endianness: 'LE' | 'BE' = 'LE'): { rows: SocketRow[]; skipped: number } {
  const rows: SocketRow[] = [];
  const r = parseProcNetTcp(text, family, endianness, (row) => rows.push(row));
  expect(r.rows).toBe(rows.length);
  return { rows, skipped: r.skipped };
}

describe('/proc/net/tcp and tcp6', () => {
  // Captured on Linux 6.1 (x86_64): a listener on 127.0.0.1:4000, a connection to 127.0.0.2:8080, one in TIME_WAIT.
  const TCP = [
    HEADER,
    '   0: 0100007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:9C40 0200007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 20 4 30 10 -1',
    '   2: 0100007F:9C41 0200007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000',
    '',
  ].join('\n');

  it('reads listeners, connections and TIME_WAIT with addresses in network order', () => {
    const { rows, skipped } = rowsOf(TCP, 4);
    expect(skipped).toBe(0);
    expect(rows).toEqual([
      { local: '127.0.0.1', localPort: 4000, remote: '0.0.0.0', remotePort: 0, state: 'LISTEN', uid: 0, inode: '31337' },
      { local: '127.0.0.1', localPort: 40000, remote: '127.0.0.2', remotePort: 8080, state: 'ESTABLISHED', uid: 1000, inode: '4242' },
      { local: '127.0.0.1', localPort: 40001, remote: '127.0.0.2', remotePort: 8080, state: 'TIME_WAIT', uid: 0, inode: '0' },
    ]);
  });

  it('reads tcp6: ::1, a ULA, the wildcard, and an IPv4 peer of a dual-stack socket as IPv4', () => {
    const text = [
      HEADER6,
      '   0: 00000000000000000000000001000000:0FA0 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5001 1 0000000000000000 100 0 0 10 0',
      '   1: 000000FD000000000000000002000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5002 1 0000000000000000 100 0 0 10 0',
      '   2: 0000000000000000FFFF00000100007F:9C40 0000000000000000FFFF00000200007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 5003 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    const { rows } = rowsOf(text, 6);
    expect(rows.map((r) => [r.local, r.localPort, r.remote, r.remotePort, r.state])).toEqual([
      ['::1', 4000, '::', 0, 'LISTEN'],
      ['fd00::2', 8080, '::', 0, 'LISTEN'],
      ['127.0.0.1', 40000, '127.0.0.2', 8080, 'ESTABLISHED'],
    ]);
  });

  it('decodes in the byte order of the machine that printed it', () => {
    expect(decodeAddress('0100007F', 'LE')).toBe('127.0.0.1');
    expect(decodeAddress('7F000001', 'BE')).toBe('127.0.0.1');
    expect(decodeAddress('00000000000000000000000000000001', 'BE')).toBe('::1');
    expect(decodeAddress('0100007', 'LE')).toBeNull();
    expect(decodeAddress('zz00007F', 'LE')).toBeNull();
  });

  it.each([
    ['an empty file', ''],
    ['only the header', HEADER + '\n'],
    ['CRLF line ends', HEADER + '\r\n   0: 0100007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\r\n'],
  ])('%s', (_name, text) => {
    const { skipped } = rowsOf(text, 4);
    expect(skipped).toBe(0);
  });

  it('skips broken and hostile lines, counting them, and keeps the good ones', () => {
    const good = '   9: 0100007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7 1 0 100 0 0 10 0';
    const bad = [
      'garbage',
      '   0: 0100007F:0FA0',
      '   1: 0100007F:0FA0 00000000:0000 ZZ 00000000:00000000 00:00000000 00000000 0 0 1',
      '   2: 0100007G:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1',
      '   3: 0100007F:0FA0:00 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1',
      '   4: 0100007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000 -5 0 1',
      '   5: 0100007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 99999999999999999999999',
      '   6: 0100007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 ' + 'x'.repeat(5000),
      '\u0000\u001b[2J\uffff',
      '   7: 00000000000000000000000001000000:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1', // v6 address in the v4 file
    ];
    const { rows, skipped } = rowsOf([HEADER, ...bad, good].join('\n'), 4);
    expect(skipped).toBe(bad.length);
    expect(rows.map((r) => r.inode)).toEqual(['7']);
  });

  it('random bytes never throw', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed);
    for (let n = 0; n < 50; n++) {
      const text = Array.from({ length: 2000 }, () => String.fromCharCode(rand() % 128)).join('');
      expect(() => parseProcNetTcp(text, n % 2 ? 4 : 6, 'LE', () => undefined)).not.toThrow();
    }
  });

  it('reads a huge table (200,000 rows) row by row', () => {
    const lines = [HEADER];
    for (let i = 0; i < 200000; i++) {
      const port = (1024 + (i % 60000)).toString(16).toUpperCase().padStart(4, '0');
      lines.push(`${String(i).padStart(6)}: 0100007F:${port} 0200007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000`);
    }
    let timeWait = 0;
    const r = parseProcNetTcp(lines.join('\n'), 4, 'LE', (row) => {
      if (row.state === 'TIME_WAIT' && row.remote === '127.0.0.2' && row.remotePort === 8080) timeWait++;
    });
    expect(r).toEqual({ rows: 200000, skipped: 0 });
    expect(timeWait).toBe(200000);
  });
});

describe('macOS netstat -an -p tcp', () => {
  const OUT = [
    'Active Internet connections (including servers)',
    'Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)    ',
    'tcp4       0      0  127.0.0.1.52144        127.0.0.2.8080         ESTABLISHED',
    'tcp4       0      0  127.0.0.1.52145        127.0.0.2.8080         TIME_WAIT  ',
    'tcp6       0      0  fe80::1%lo0.8080       *.*                    LISTEN     ',
    'tcp46      0      0  *.3000                 *.*                    LISTEN     ',
    'tcp6       0      0  ::ffff:127.0.0.1.5000  ::1.6000               ESTABLISHED',
    'udp4       0      0  *.5353                 *.*                               ',
    'tcp4       0      0  127.0.0.1.99999        *.*                    LISTEN     ',
    'tcp4       0      0  not.an.address         *.*                    LISTEN     ',
    'tcp4       0      0  127.0.0.1.80           *.*                    BOGUS      ',
  ].join('\n');

  it('reads every TCP row, BSD address.port spelling, zones and wildcards included', () => {
    const rows: SocketRow[] = [];
    const r = parseNetstat(OUT, (row) => rows.push(row));
    expect(r).toEqual({ rows: 5, skipped: 3 });
    expect(rows.map((x) => [x.local, x.localPort, x.remote, x.remotePort, x.state])).toEqual([
      ['127.0.0.1', 52144, '127.0.0.2', 8080, 'ESTABLISHED'],
      ['127.0.0.1', 52145, '127.0.0.2', 8080, 'TIME_WAIT'],
      ['fe80::1', 8080, '::', 0, 'LISTEN'],
      ['0.0.0.0', 3000, '0.0.0.0', 0, 'LISTEN'],
      ['127.0.0.1', 5000, '::1', 6000, 'ESTABLISHED'],
    ]);
  });

  it.each(['', '.', '*', '1.2.3.4', 'x'.repeat(200) + '.80', '127.0.0.1.-1', '::1.abc'])('refuses the endpoint %j', (t) => {
    expect(endpoint(t, false)).toBeNull();
  });

  it('survives a huge and hostile output', () => {
    const junk = Array.from({ length: 50000 }, (_, i) => (i % 2 ? 'tcp4 0 0 \u001b[2J *.* LISTEN' : `tcp4 0 0 127.0.0.1.${i % 65535} 127.0.0.9.80 TIME_WAIT`)).join('\n');
    const r = parseNetstat(junk, () => undefined);
    expect(r).toEqual({ rows: 25000, skipped: 25000 });
  });
});

describe('macOS lsof -F pcftdn', () => {
  it('reads every listening socket with its process, IPv6 and wildcards included', () => {
    const out = ['p101', 'cnode', 'f21', 'tIPv4', 'n127.0.0.1:3000', 'f22', 'tIPv6', 'n[::1]:3000', 'p202', 'cpython3', 'f3', 'tIPv6', 'n*:8000', 'f4', 'tIPv4', 'n*:8000', ''].join('\n');
    expect(parseLsof(out)).toEqual([
      { address: '127.0.0.1', port: 3000, socket: '101/21', pid: 101, process: 'node' },
      { address: '::1', port: 3000, socket: '101/22', pid: 101, process: 'node' },
      { address: '::', port: 8000, socket: '202/3', pid: 202, process: 'python3' },
      { address: '0.0.0.0', port: 8000, socket: '202/4', pid: 202, process: 'python3' },
    ]);
  });

  it("tells sockets apart by their kernel address (d): a server and its forked workers hold one socket", () => {
    const out = [
      'p300', 'cnginx', 'f6', 'tIPv4', 'd0xffffff80123abc00', 'n127.0.0.1:80',
      'p301', 'cnginx', 'f6', 'tIPv4', 'd0xFFFFFF80123ABC00', 'n127.0.0.1:80',
      // Fields in another order within a file, and a device that is not an address: by pid/fd.
      'p400', 'cpython3', 'f3', 'n127.0.0.1:81', 'd0xffffff8000000100', 'tIPv4', 'f4', 'dbogus', 'tIPv4', 'n127.0.0.1:81',
      '',
    ].join('\n');
    expect(parseLsof(out)).toEqual([
      { address: '127.0.0.1', port: 80, socket: '0xffffff80123abc00', pid: 300, process: 'nginx' },
      { address: '127.0.0.1', port: 80, socket: '0xffffff80123abc00', pid: 301, process: 'nginx' },
      { address: '127.0.0.1', port: 81, socket: '0xffffff8000000100', pid: 400, process: 'python3' },
      { address: '127.0.0.1', port: 81, socket: '400/4', pid: 400, process: 'python3' },
    ]);
  });

  it('skips what it cannot tell apart: names without a pid, bad names, bad pids, junk', () => {
    const out = ['n127.0.0.1:1', 'pabc', 'cx', 'f1', 'n127.0.0.1:2', 'p5', 'cok', 'f1', 'nlocalhost:80', 'n127.0.0.1:99999', 'n[fe80::1%lo0]:80', 'z?', '\u0000', 'x'.repeat(10000)].join('\n');
    expect(parseLsof(out)).toEqual([{ address: 'fe80::1', port: 80, socket: '5/1', pid: 5, process: 'ok' }]);
    expect(parseLsof('')).toEqual([]);
  });
});

describe('resolver address order (RFC 6724 / glibc)', () => {
  it('orders as glibc does by default: ::1, then IPv6 (ULA too), then IPv4', () => {
    expect(resolverOrder(['127.0.0.3', 'fd00::2', '::1'], 'glibc')).toEqual(['::1', 'fd00::2', '127.0.0.3']);
    expect(resolverOrder(['127.0.0.3', 'fd00::2'], 'rfc6724')).toEqual(['127.0.0.3', 'fd00::2']);
    // Ties keep the declared order (a stable sort): two IPv4 loopback addresses.
    expect(resolverOrder(['127.0.0.3', '127.0.0.2'], 'glibc')).toEqual(['127.0.0.3', '127.0.0.2']);
  });

  it('explains a reorder by the policy that produces it, or not at all', () => {
    expect(explainOrder(['127.0.0.3', 'fd00::2'], ['fd00::2', '127.0.0.3'])).toBe('glibc');
    expect(explainOrder(['fd00::2', '127.0.0.3'], ['127.0.0.3', 'fd00::2'])).toBe('rfc6724');
    expect(explainOrder(['127.0.0.2', '127.0.0.3'], ['127.0.0.3', '127.0.0.2'])).toBeNull();
    expect(explainOrder(['127.0.0.2'], ['127.0.0.2', '127.0.0.3'])).toBeNull();
    expect(explainOrder(['not an ip', '127.0.0.2'], ['127.0.0.2', 'not an ip'])).toBe('glibc');
  });
});
