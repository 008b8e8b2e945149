'use strict';
// What every fake macOS tool shares. The fakes follow Apple's documented grammar, messages and
// exit codes for exactly what loopkeeper uses; anything else they are asked fails loudly with
// exit 64 (EX_USAGE) and "not modelled", so a test can never pass on behaviour nobody checked.
const { appendFileSync, existsSync, mkdirSync } = require('node:fs');
const { execFileSync } = require('node:child_process');

const CALLS_DIR = '/var/log/fake-mac';
const CALLS_LOG = `${CALLS_DIR}/calls.log`;

/** Records one invocation (the suite asserts on what was run, e.g. nothing on a no-op apply). */
function record(tool, argv) {
  try {
    mkdirSync(CALLS_DIR, { recursive: true });
    appendFileSync(CALLS_LOG, JSON.stringify({ tool, argv, uid: process.getuid(), ppid: process.ppid }) + '\n');
  } catch {
    // a read-only or missing /var/log must not change what the tool answers
  }
}

/** Fails loudly: the fake does not know how the real tool answers this. */
function unmodelled(tool, what) {
  process.stderr.write(`fake ${tool}: not modelled: ${what} (the emulated Mac does not know how macOS answers this)\n`);
  process.exit(64);
}

/** The real tool's own error: message on stderr, its exit code. */
function fail(message, code = 1) {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  process.exit(code);
}

// The Linux programs the fakes are built on. A Mac has none of them, so the emulated Mac keeps
// them out of its PATH and Apple's directories (machine.ts), in this private directory only.
const LINUX_TOOLS = '/usr/libexec/fake-mac/linux';

/** One of the fakes' Linux programs (ip, ss, lsattr), or a loud failure when it is not there. */
function linuxTool(name) {
  const p = `${LINUX_TOOLS}/${name}`;
  if (!existsSync(p)) unmodelled('tools', `${p} is missing inside the emulated Mac (the harness copies it at boot)`);
  return p;
}

/** iproute2's ip (the fakes change the real kernel state of the emulated Mac's lo0 through it). */
function ipPath() {
  return linuxTool('ip');
}

function ip(args, opts = {}) {
  return execFileSync(ipPath(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** ip -j addr/link for one interface, or null when it does not exist. */
function ipJson(kind, dev) {
  try {
    const out = JSON.parse(ip(['-j', kind, 'show', 'dev', dev]));
    return Array.isArray(out) && out.length > 0 ? out[0] : null;
  } catch {
    return null;
  }
}

/** iproute2's ss, the kernel's socket table (what lsof and netstat show on the emulated Mac). */
function ss(args) {
  return execFileSync(linuxTool('ss'), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** One `ss -H -t -n -e [-l] -p` line: state, local address and port, peer, holders, v6only. */
function parseSsLine(line) {
  const f = line.trim().split(/\s+/);
  if (f.length < 5) return null;
  const [state, , , local, peer] = f;
  const split = (s) => {
    const colon = s.lastIndexOf(':');
    let host = s.slice(0, colon);
    const port = s.slice(colon + 1);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    const zone = host.indexOf('%');
    if (zone >= 0) host = host.slice(0, zone);
    return { host, port };
  };
  const users = [];
  const u = /users:\((.*)\)/.exec(line);
  if (u) for (const m of u[1].matchAll(/\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)/g)) users.push({ command: m[1], pid: Number(m[2]), fd: Number(m[3]) });
  const l = split(local);
  // ss prints an IPv6 socket on :: that also takes IPv4 (v6only:0) as `*`.
  const dualStack = l.host === '*';
  const family = dualStack || l.host.includes(':') ? 6 : 4;
  const ino = /\bino:(\d+)/.exec(line);
  return { state, local: l, peer: split(peer), users, family, dualStack, inode: ino ? ino[1] : '0' };
}

module.exports = { record, unmodelled, fail, ip, ipJson, ss, parseSsLine, linuxTool, LINUX_TOOLS, CALLS_LOG };
