'use strict';
// Fake /sbin/ifconfig (Apple's network_cmds ifconfig), acting on the emulated Mac's real lo0
// through iproute2, so the kernel state is real. Modelled, with Apple's messages and exit codes:
//   ifconfig IF                                      status in macOS's format
//   ifconfig IF [inet] alias A [netmask M]           add; an address already there: exit 0, silent
//   ifconfig IF inet6 alias A [prefixlen N]          add (IPv6)
//   ifconfig IF [inet] -alias A / inet6 -alias A     remove; absent: "ioctl (SIOCDIFADDR): Can't
//                                                    assign requested address", exit 1
//   ifconfig IF up / down
// A missing interface: "interface IF does not exist", exit 1. Changes need root ("permission
// denied", exit 1). Everything else (no `alias` keyword, which replaces the primary address;
// -a, -l, other keywords, host names) is not modelled and exits 64.
const { isIPv4, isIPv6 } = require('node:net');
const { record, unmodelled, fail, ip, ipJson } = require('../lib/common');

const argv = process.argv.slice(2);
record('ifconfig', argv);

if (argv.length === 0 || argv[0].startsWith('-')) unmodelled('ifconfig', `ifconfig ${argv.join(' ')} (listing options)`);
const name = argv[0];
let rest = argv.slice(1);

const link = ipJson('link', name);
if (!link) fail(`ifconfig: interface ${name} does not exist`);

if (rest.length === 0) {
  process.stdout.write(status(name, link, ipJson('addr', name)));
  process.exit(0);
}

let family = 'inet';
if (rest[0] === 'inet' || rest[0] === 'inet6') {
  family = rest[0];
  rest = rest.slice(1);
} else if (['link', 'ether', 'lladdr'].includes(rest[0])) {
  unmodelled('ifconfig', `address family ${rest[0]}`);
}

let doalias = 0;
let address = null;
let mask = null;
let prefixlen = null;
let updown = null;
for (let i = 0; i < rest.length; i++) {
  const t = rest[i];
  if (t === 'alias') doalias = 1;
  else if (t === '-alias') doalias = -1;
  else if (t === 'up' || t === 'down') updown = t;
  else if (t === 'netmask') {
    if (rest[i + 1] === undefined) fail("ifconfig: 'netmask' requires argument");
    if (family !== 'inet') unmodelled('ifconfig', `netmask with ${family}`);
    mask = maskPrefix(rest[++i]);
  } else if (t === 'prefixlen') {
    if (rest[i + 1] === undefined) fail("ifconfig: 'prefixlen' requires argument");
    if (family !== 'inet6') unmodelled('ifconfig', `prefixlen with ${family}`);
    const v = rest[++i];
    if (!/^\d{1,3}$/.test(v) || Number(v) > 128) fail(`ifconfig: ${v}: bad value`);
    prefixlen = Number(v);
  } else if (/^[a-z-]+$/.test(t) && !t.includes('.') && !t.includes(':')) {
    unmodelled('ifconfig', `keyword ${JSON.stringify(t)}`);
  } else if (address === null) {
    address = t;
  } else {
    unmodelled('ifconfig', `a second address ${JSON.stringify(t)} (a destination address)`);
  }
}

const root = process.getuid() === 0;
if (updown !== null && address === null) {
  if (!root) fail('ifconfig: ioctl (SIOCSIFFLAGS): permission denied');
  ip(['link', 'set', name, updown]);
  process.exit(0);
}
if (address === null) unmodelled('ifconfig', `ifconfig ${argv.join(' ')} (no address)`);
if (doalias === 0) unmodelled('ifconfig', 'setting an address without `alias` (it replaces the interface\'s first address)');
if (updown !== null) unmodelled('ifconfig', 'up/down together with an address');

if (family === 'inet') {
  if (address.includes(':')) fail(`ifconfig: ${address}: bad value`); // inet_aton and gethostbyname both fail
  if (!isIPv4(address) || address.split('.').some((p) => p.length > 1 && p.startsWith('0'))) {
    unmodelled('ifconfig', `IPv4 address form ${JSON.stringify(address)} (inet_aton shorthand or a host name)`);
  }
} else if (!isIPv6(address) || address.includes('%') || address.includes('/')) {
  fail(`ifconfig: ${address}: bad value`);
}

const addrs = (ipJson('addr', name) || { addr_info: [] }).addr_info || [];
const same = addrs.find((a) => a.family === family && canonical(a.local) === canonical(address));

if (doalias === -1) {
  if (!root) fail('ifconfig: ioctl (SIOCDIFADDR): permission denied');
  if (!same) fail("ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address");
  ip(['addr', 'del', `${same.local}/${same.prefixlen}`, 'dev', name]);
  process.exit(0);
}

if (!root) fail('ifconfig: ioctl (SIOCAIFADDR): permission denied');
// Without a mask, BSD takes the classful one (a 127.x alias gets 0xff000000); IPv6 defaults to 64.
const prefix = family === 'inet' ? (mask ?? classful(address)) : (prefixlen ?? 64);
if (same && same.prefixlen === prefix) process.exit(0); // SIOCAIFADDR on an existing address: silent success
if (same) ip(['addr', 'del', `${same.local}/${same.prefixlen}`, 'dev', name]);
holdIfAsked(address);
// noprefixroute: like macOS, only the address itself becomes local (Linux would make a whole
// /8 bindable through the prefix route).
ip(['addr', 'add', `${address}/${prefix}`, 'dev', name, ...(prefix < (family === 'inet' ? 32 : 128) ? ['noprefixroute'] : [])]);
anotherProgram(address);
process.exit(0);

/**
 * Test instrumentation, not ifconfig: /etc/fake-mac/another-program.json maps an address to
 * addresses "another program" adds to lo0 the moment after this one is added — a concurrent add
 * that lands between loopkeeper's plan and its next ifconfig, deterministically.
 */
function anotherProgram(after) {
  let hooks;
  try {
    hooks = JSON.parse(require('node:fs').readFileSync('/etc/fake-mac/another-program.json', 'utf8'));
  } catch {
    return;
  }
  for (const a of hooks[after] || []) {
    const v6 = a.includes(':');
    ip(['addr', 'add', `${a}/${v6 ? 128 : 32}`, 'dev', name]);
  }
}

/**
 * Test instrumentation, not ifconfig: /etc/fake-mac/hold.json maps an address to a pair of FIFOs.
 * Before adding that address this ifconfig writes "held" to the first (returning once the test has
 * read it: the caller is now inside its change, holding the state lock) and then reads the second
 * until the test writes to it: a reconcile stopped mid-way by an event, never by a timer.
 */
function holdIfAsked(address) {
  const fs = require('node:fs');
  let hooks;
  try {
    hooks = JSON.parse(fs.readFileSync('/etc/fake-mac/hold.json', 'utf8'));
  } catch {
    return;
  }
  const hold = hooks[address];
  if (!hold) return;
  fs.writeFileSync(hold.held, 'held\n');
  fs.readFileSync(hold.release);
}

function canonical(a) {
  if (isIPv4(a)) return a;
  // Expand and re-join so that fd00::2 and fd00:0::2 compare equal.
  const [head, tail = ''] = a.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = a.includes('::') ? (tail ? tail.split(':') : []) : [];
  const parts = a.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return parts.map((p) => p.replace(/^0+(?=.)/, '')).join(':');
}

function maskPrefix(m) {
  let value;
  if (/^0x[0-9a-fA-F]{1,8}$/.test(m)) value = parseInt(m.slice(2), 16);
  else if (isIPv4(m)) value = m.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  else unmodelled('ifconfig', `netmask form ${JSON.stringify(m)}`);
  let p = 0;
  while (p < 32 && (value & (0x80000000 >>> p)) !== 0) p++;
  const expect = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
  if (value >>> 0 !== expect) unmodelled('ifconfig', `non-contiguous netmask ${m}`);
  return p;
}

function classful(a) {
  const first = Number(a.split('.')[0]);
  return first < 128 ? 8 : first < 192 ? 16 : 24;
}

function hexMask(prefix) {
  const v = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `0x${v.toString(16).padStart(8, '0')}`;
}

function status(dev, l, a) {
  const up = (l.flags || []).includes('UP');
  // lo0's flags on macOS: UP 0x1, LOOPBACK 0x8, RUNNING 0x40, MULTICAST 0x8000.
  const names = [...(up ? ['UP'] : []), 'LOOPBACK', ...(up ? ['RUNNING'] : []), 'MULTICAST'];
  const value = (up ? 0x1 : 0) | 0x8 | (up ? 0x40 : 0) | 0x8000;
  const lines = [`${dev}: flags=${value.toString(16)}<${names.join(',')}> mtu ${l.mtu}`, '\toptions=1203<RXCSUM,TXCSUM,TXSTATUS,SW_TIMESTAMP>'];
  const infos = (a && a.addr_info) || [];
  const boot = ['127.0.0.1', '::1', 'fe80::1'];
  const ordered = [...boot.map((b) => infos.find((i) => i.local === b)).filter(Boolean), ...infos.filter((i) => !boot.includes(i.local))];
  for (const i of ordered) {
    if (i.family === 'inet') lines.push(`\tinet ${i.local} netmask ${hexMask(i.prefixlen)}`);
    else if (i.local.startsWith('fe80:')) lines.push(`\tinet6 ${i.local}%${dev} prefixlen ${i.prefixlen} scopeid 0x${l.ifindex.toString(16)}`);
    else lines.push(`\tinet6 ${i.local} prefixlen ${i.prefixlen}`);
  }
  lines.push('\tnd6 options=201<PERFORMNUD,DAD>');
  return lines.join('\n') + '\n';
}
