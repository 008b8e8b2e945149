'use strict';
// Fake /usr/bin/sudo, for running a fix loopkeeper prints (`sudo cp …`) verbatim: as root, `sudo
// CMD ARGS…` runs CMD with the same environment (sudo's -E/-u/-i and friends are not modelled,
// nor is a password prompt for other users).
const { spawnSync } = require('node:child_process');
const { record, unmodelled } = require('../lib/common');

const argv = process.argv.slice(2);
record('sudo', argv);
if (argv.length === 0 || argv[0].startsWith('-')) unmodelled('sudo', `sudo ${argv.join(' ')}`);
if (process.getuid() !== 0) unmodelled('sudo', 'sudo for a user other than root (a password prompt)');
const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit' });
if (r.error) {
  process.stderr.write(`sudo: ${argv[0]}: command not found\n`);
  process.exit(1);
}
process.exit(r.status ?? 1);
