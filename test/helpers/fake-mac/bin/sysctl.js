'use strict';
// Fake /usr/sbin/sysctl: reads the macOS names loopkeeper asks for. The ephemeral port range is
// the emulated kernel's own (the machine sets it to macOS's 49152-65535 at boot). `sysctl -n NAME…`
// prints one value a line; `sysctl NAME…` prints `NAME: value`. An unknown name is not modelled.
const { readFileSync } = require('node:fs');
const { record, unmodelled } = require('../lib/common');

const argv = process.argv.slice(2);
record('sysctl', argv);
const range = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
const VALUES = {
  'net.inet.ip.portrange.first': () => range()[0],
  'net.inet.ip.portrange.last': () => range()[1],
  'net.inet.ip.portrange.hifirst': () => range()[0],
  'net.inet.ip.portrange.hilast': () => range()[1],
  'kern.ostype': () => 'Darwin',
};
let valuesOnly = false;
const names = [];
for (const a of argv) {
  if (a === '-n') valuesOnly = true;
  else if (a.startsWith('-')) unmodelled('sysctl', `option ${a}`);
  else if (a.includes('=')) unmodelled('sysctl', `setting ${a}`);
  else names.push(a);
}
if (names.length === 0) unmodelled('sysctl', 'sysctl without a name (-a)');
for (const n of names) if (!(n in VALUES)) unmodelled('sysctl', `the name ${n}`);
process.stdout.write(names.map((n) => (valuesOnly ? VALUES[n]() : `${n}: ${VALUES[n]()}`)).join('\n') + '\n');
