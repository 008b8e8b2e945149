'use strict';
// Fake /usr/sbin/newsyslog: `newsyslog -F` rotates now every entry of /etc/newsyslog.conf and
// /etc/newsyslog.d/*.conf the way newsyslog(8) does: LOG.(count-1) is dropped, LOG.i becomes
// LOG.(i+1), LOG becomes LOG.0, and a new empty LOG is created with the entry's owner and mode;
// without flag B a "logfile turned over" line starts it. Modelled flags: B, N (no signal). A
// process to signal (no N) or compression (J, Z) is not modelled.
const { chmodSync, chownSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { record, unmodelled } = require('../lib/common');

const argv = process.argv.slice(2);
record('newsyslog', argv);
if (argv.join(' ') !== '-F') unmodelled('newsyslog', `newsyslog ${argv.join(' ')}`);
const files = ['/etc/newsyslog.conf', ...(existsSync('/etc/newsyslog.d') ? readdirSync('/etc/newsyslog.d').filter((n) => n.endsWith('.conf')).sort().map((n) => `/etc/newsyslog.d/${n}`) : [])];
for (const conf of files) {
  if (!existsSync(conf)) continue;
  for (const raw of readFileSync(conf, 'utf8').split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const owner = f[1] && f[1].includes(':') ? f.splice(1, 1)[0] : null;
    const [log, mode, count, , , flags = '-', ...rest] = f;
    if (!/^[0-7]{3,4}$/.test(mode ?? '') || !/^\d+$/.test(count ?? '')) unmodelled('newsyslog', `entry ${JSON.stringify(raw)}`);
    if (!/^[BN-]+$/.test(flags) || !flags.includes('N') || rest.length > 0) unmodelled('newsyslog', `flags ${flags} ${rest.join(' ')} (signalling or compressing)`);
    if (!existsSync(log)) continue;
    const n = Number(count);
    rmSync(`${log}.${n - 1}`, { force: true });
    for (let i = n - 2; i >= 0; i--) if (existsSync(`${log}.${i}`)) renameSync(`${log}.${i}`, `${log}.${i + 1}`);
    if (n > 0) renameSync(log, `${log}.0`);
    else rmSync(log);
    writeFileSync(log, flags.includes('B') ? '' : `${new Date().toString()} newsyslog[${process.pid}]: logfile turned over\n`, { flag: 'wx' });
    chmodSync(log, parseInt(mode, 8));
    if (owner) {
      const [u, g] = owner.split(':');
      const id = (x) => (x === 'root' || x === 'wheel' || x === '' ? 0 : /^\d+$/.test(x) ? Number(x) : unmodelled('newsyslog', `owner ${owner}`));
      chownSync(log, id(u), id(g));
    }
  }
}
