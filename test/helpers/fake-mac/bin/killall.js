'use strict';
// Fake /usr/bin/killall: `killall -SIGNAL NAME` signals every process whose command name is NAME;
// none: "No matching processes belonging to you were found", exit 1. Only -HUP, -TERM, -KILL,
// -INT and one NAME are modelled.
const { readdirSync, readFileSync } = require('node:fs');
const { record, unmodelled, fail } = require('../lib/common');

const argv = process.argv.slice(2);
record('killall', argv);
const SIGNALS = { '-HUP': 'SIGHUP', '-TERM': 'SIGTERM', '-KILL': 'SIGKILL', '-INT': 'SIGINT', '-1': 'SIGHUP', '-9': 'SIGKILL', '-15': 'SIGTERM' };
if (argv.length !== 2 || !(argv[0] in SIGNALS) || argv[1].startsWith('-')) unmodelled('killall', `killall ${argv.join(' ')}`);
const [flag, name] = argv;
const uid = process.getuid();
let hits = 0;
for (const entry of readdirSync('/proc')) {
  if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
  try {
    const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    if (comm !== name.slice(0, 15)) continue;
    const status = readFileSync(`/proc/${entry}/status`, 'utf8');
    if (/^State:\s+Z/m.test(status)) continue;
    const owner = Number(/^Uid:\s+(\d+)/m.exec(status)[1]);
    if (uid !== 0 && owner !== uid) continue;
    process.kill(Number(entry), SIGNALS[flag]);
    hits += 1;
  } catch {
    // gone meanwhile
  }
}
if (hits === 0) fail('No matching processes belonging to you were found');
