'use strict';
// The emulated Mac's mDNSResponder (a system LaunchDaemon): it only notes every SIGHUP it gets
// (`killall -HUP mDNSResponder` after a hosts change) in /var/log/fake-mac/mDNSResponder.log.
// Name resolution itself is glibc's inside the emulation.
const { appendFileSync, mkdirSync } = require('node:fs');

process.title = 'mDNSResponder';
mkdirSync('/var/log/fake-mac', { recursive: true });
process.on('SIGHUP', () => appendFileSync('/var/log/fake-mac/mDNSResponder.log', `${new Date().toISOString()} SIGHUP: caches flushed\n`));
process.on('SIGTERM', () => process.exit(0));
setInterval(() => undefined, 1 << 30);
