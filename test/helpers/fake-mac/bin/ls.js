'use strict';
// Fake /bin/ls for `ls -lO PATH` (macOS: -O shows the file flags): one line, mode, links, owner,
// group, flags (`-` for none), size, date, name. The emulated file flags are Linux's: the
// immutable attribute (chattr +i) shows as uchg, append-only (+a) as uappnd. Only `-lO FILE…` is
// modelled: every other use of ls on the emulated Mac fails loudly.
const { lstatSync, readlinkSync } = require('node:fs');
const { execFileSync } = require('node:child_process');
const { record, unmodelled, fail, linuxTool } = require('../lib/common');

const argv = process.argv.slice(2);
record('ls', argv);
if (argv[0] !== '-lO' || argv.length < 2) unmodelled('ls', `ls ${argv.join(' ')}`);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const out = [];
let code = 0;
for (const path of argv.slice(1)) {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    process.stderr.write(`ls: ${path}: No such file or directory\n`);
    code = 1;
    continue;
  }
  const type = st.isSymbolicLink() ? 'l' : st.isDirectory() ? 'd' : '-';
  const bits = 'rwxrwxrwx'.split('').map((c, i) => (st.mode & (0o400 >> i) ? c : '-')).join('');
  let flags = [];
  if (!st.isSymbolicLink()) {
    try {
      const attr = execFileSync(linuxTool('lsattr'), ['-d', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(/\s+/)[0];
      if (attr.includes('i')) flags.push('uchg');
      if (attr.includes('a')) flags.push('uappnd');
    } catch {
      flags = [];
    }
  }
  const user = st.uid === 0 ? 'root' : String(st.uid);
  const group = st.gid === 0 ? 'wheel' : String(st.gid);
  const d = st.mtime;
  const date = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  const name = st.isSymbolicLink() ? `${path} -> ${readlinkSync(path)}` : path;
  out.push(`${type}${bits}  ${st.nlink} ${user}  ${group}  ${flags.length ? flags.join(',') : '-'} ${st.size} ${date} ${name}`);
}
if (out.length) process.stdout.write(out.join('\n') + '\n');
if (code) fail('', code);
