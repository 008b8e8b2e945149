'use strict';
// Fake /bin/launchctl: hands its argv to the emulated Mac's launchd (PID 1, see ../launchd.js)
// and prints what it answers, with its exit code. What launchd does not model it answers 64.
const { connect } = require('node:net');
const { record, unmodelled } = require('../lib/common');

const argv = process.argv.slice(2);
record('launchctl', argv);
if (argv.length === 0) unmodelled('launchctl', 'launchctl without a subcommand (interactive mode)');

const conn = connect('/var/run/fake-launchd.sock');
let buf = '';
conn.setEncoding('utf8');
conn.on('connect', () => conn.write(JSON.stringify({ argv, uid: process.getuid() }) + '\n'));
conn.on('data', (d) => (buf += d));
conn.on('error', (e) => unmodelled('launchctl', `launchd is not answering (${e.code}): the emulated Mac did not boot?`));
conn.on('end', () => {
  let reply;
  try {
    reply = JSON.parse(buf);
  } catch {
    unmodelled('launchctl', `an answer launchd did not finish: ${JSON.stringify(buf.slice(0, 200))}`);
  }
  process.stdout.write(reply.stdout);
  process.stderr.write(reply.stderr);
  process.exitCode = reply.code;
});
