'use strict';
// Fake /usr/sbin/lsof for TCP listeners, from the emulated kernel's socket table (ss). Modelled:
//   lsof -nP -iTCP[:PORT[,PORT…]] [-iTCP:…] -sTCP:LISTEN -F FIELDS     (FIELDS from p c f t d n)
// Field output as lsof writes it: per process `p<pid>` then `c<command>`; per file `f<fd>` (always),
// `t<IPv4|IPv6>`, `d0x<hex>` (darwin's lsof: the TCP control block's kernel address, one per socket
// and the same in every process holding it; here made from the socket's inode), `n<address>:<port>` with `[v6]:port` and `*:port` for a wildcard. Nothing found:
// no output, exit 1. Without -n and -P lsof would print names, not numbers: not modelled.
const { record, unmodelled, ss, parseSsLine } = require('../lib/common');

const argv = process.argv.slice(2);
record('lsof', argv);
let numericHosts = false;
let numericPorts = false;
let fields = null;
let listenOnly = false;
const specs = [];
for (let i = 0; i < argv.length; i++) {
  let a = argv[i];
  if (a === '-nP' || a === '-Pn') {
    numericHosts = numericPorts = true;
  } else if (a === '-n') numericHosts = true;
  else if (a === '-P') numericPorts = true;
  else if (a.startsWith('-i')) specs.push(a.length > 2 ? a.slice(2) : argv[++i]);
  else if (a.startsWith('-s')) {
    a = a.length > 2 ? a.slice(2) : argv[++i];
    if (a !== 'TCP:LISTEN') unmodelled('lsof', `-s${a}`);
    listenOnly = true;
  } else if (a.startsWith('-F')) {
    fields = a.length > 2 ? a.slice(2) : argv[++i];
    if (!/^[pcftdn]+$/.test(fields ?? '')) unmodelled('lsof', `-F${fields}`);
  } else unmodelled('lsof', `argument ${a}`);
}
if (!numericHosts || !numericPorts) unmodelled('lsof', 'output with host or port names (without -n and -P)');
if (fields === null) unmodelled('lsof', 'the column output (without -F)');
if (!listenOnly) unmodelled('lsof', 'sockets in other states than LISTEN');
if (specs.length === 0) unmodelled('lsof', 'files other than TCP sockets (no -i)');
let anyPort = false;
const ports = new Set();
for (const s of specs) {
  const m = /^TCP(?::(\d{1,5}(?:,\d{1,5})*))?$/.exec(s ?? '');
  if (!m) unmodelled('lsof', `-i${s}`);
  if (m[1] === undefined) anyPort = true;
  else for (const p of m[1].split(',')) ports.add(p);
}
const rows = ss(['-H', '-t', '-l', '-n', '-p', '-e'])
  .split('\n')
  .map(parseSsLine)
  .filter((r) => r && r.state === 'LISTEN' && (anyPort || ports.has(r.local.port)));
const byPid = new Map();
for (const r of rows) {
  for (const u of r.users) {
    if (!byPid.has(u.pid)) byPid.set(u.pid, { command: u.command, files: [] });
    byPid.get(u.pid).files.push({ fd: u.fd, family: r.family, host: r.local.host, port: r.local.port, inode: r.inode });
  }
}
if (byPid.size === 0) process.exit(1);
const want = (f) => fields.includes(f);
const out = [];
for (const pid of [...byPid.keys()].sort((a, b) => a - b)) {
  const p = byPid.get(pid);
  out.push(`p${pid}`);
  if (want('c')) out.push(`c${p.command}`);
  for (const f of p.files.sort((a, b) => a.fd - b.fd)) {
    out.push(`f${f.fd}`);
    if (want('t')) out.push(`t${f.family === 6 ? 'IPv6' : 'IPv4'}`);
    if (want('d')) out.push(`d0x${(0xffffff8000000000n + BigInt(f.inode) * 0x100n).toString(16)}`);
    const wildcard = f.host === '*' || f.host === '0.0.0.0' || f.host === '::';
    if (want('n')) out.push(`n${wildcard ? '*' : f.family === 6 ? `[${f.host}]` : f.host}:${f.port}`);
  }
}
process.stdout.write(out.join('\n') + '\n');
