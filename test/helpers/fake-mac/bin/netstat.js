'use strict';
// Fake /usr/sbin/netstat: `netstat -an -p tcp` (every TCP socket, numeric), in BSD's layout:
// `tcp4`/`tcp6`/`tcp46` (an IPv6 socket that takes IPv4 too), ADDRESS.PORT, `*.*`, BSD state names.
// Built from the emulated kernel's socket table (ss). Other options are not modelled.
const { record, unmodelled, ss, parseSsLine } = require('../lib/common');

const argv = process.argv.slice(2);
record('netstat', argv);
const norm = argv.join(' ');
if (norm !== '-an -p tcp' && norm !== '-na -p tcp' && norm !== '-an -ptcp') unmodelled('netstat', `netstat ${norm}`);
const STATES = {
  LISTEN: 'LISTEN',
  ESTAB: 'ESTABLISHED',
  'TIME-WAIT': 'TIME_WAIT',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECEIVED',
  'FIN-WAIT-1': 'FIN_WAIT_1',
  'FIN-WAIT-2': 'FIN_WAIT_2',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  CLOSING: 'CLOSING',
  UNCONN: 'CLOSED',
};
const addr = (a, listening) => {
  if (a.host === '*' || a.host === '0.0.0.0' || a.host === '::') return a.port === '*' || a.port === '0' ? '*.*' : `*.${a.port}`;
  return `${a.host}.${a.port === '*' ? '*' : a.port}`;
};
const pad = (s, n) => (s.length >= n ? `${s} ` : s.padEnd(n));
const lines = ['Active Internet connections (including servers)', 'Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)    '];
for (const r of ss(['-H', '-t', '-a', '-n', '-e']).split('\n').map(parseSsLine)) {
  if (!r) continue;
  const state = STATES[r.state];
  if (!state) unmodelled('netstat', `socket state ${r.state}`);
  const proto = r.dualStack ? 'tcp46' : r.family === 6 ? 'tcp6' : 'tcp4';
  lines.push(`${pad(proto, 6)}${'0'.padStart(6)} ${'0'.padStart(6)}  ${pad(addr(r.local), 22)} ${pad(addr(r.peer), 22)} ${pad(state, 11)}`);
}
process.stdout.write(lines.join('\n') + '\n');
