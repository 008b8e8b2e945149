'use strict';
// Fake /usr/bin/dscacheutil: `-flushcache` (silent, exit 0) is all loopkeeper asks of it.
const { record, unmodelled } = require('../lib/common');

const argv = process.argv.slice(2);
record('dscacheutil', argv);
if (argv.length === 1 && argv[0] === '-flushcache') process.exit(0);
unmodelled('dscacheutil', `dscacheutil ${argv.join(' ')}`);
