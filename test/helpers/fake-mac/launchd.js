'use strict';
// The emulated Mac's launchd: PID 1 of the machine's pid namespace. It loads the LaunchDaemons at
// boot (/System/Library/LaunchDaemons, then /Library/LaunchDaemons), starts the RunAtLoad ones,
// restarts KeepAlive jobs (no sooner than ThrottleInterval, 10 s, after the last start), and
// answers the fake launchctl on a unix socket. Modelled on launchd's documented behaviour
// (launchd.plist(5), launchctl(1)) and the reports in TOOLCHAIN.md "macOS facts":
// - bootout returns at once; the job is stopped (SIGTERM, SIGKILL after ExitTimeOut, 20 s) and
//   removed only after its process has exited plus a moment (FAKE_LAUNCHD_LINGER_MS): until then
//   `print` still lists it and `bootstrap` fails (37 while the process lives, 5 after);
// - right after the removal bootstrap still answers 5 for FAKE_LAUNCHD_BUSY_MS;
// - bootstrap of a loaded job: 5; bootout of an unknown job: 3; print/kickstart of one: 113;
// - a plist not owned by root or writable by group/others is refused (5);
// - a program that cannot be spawned (a deleted Cellar node): last exit code 78: EX_CONFIG.
// A plist key, value type or request it does not model makes it answer 64 and say so.
const { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, appendFileSync } = require('node:fs');
const { createServer } = require('node:net');
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { parsePlist } = require('./lib/plist');

const SOCKET = '/var/run/fake-launchd.sock';
const LOG = '/var/log/fake-launchd.log';
const DIRS = ['/System/Library/LaunchDaemons', '/Library/LaunchDaemons'];
const LINGER_MS = Number(process.env.FAKE_LAUNCHD_LINGER_MS ?? 300);
const BUSY_MS = Number(process.env.FAKE_LAUNCHD_BUSY_MS ?? 300);
const JOB_NODE_OPTIONS = process.env.FAKE_MAC_NODE_OPTIONS ?? '';
const DEFAULT_PATH = '/usr/bin:/bin:/usr/sbin:/sbin';

process.title = 'launchd';

function log(msg) {
  try {
    appendFileSync(LOG, `${new Date().toISOString()} ${msg}\n`);
  } catch {
    /* /var/log missing: nothing to keep it in */
  }
}

class Unmodelled extends Error {}

const KEYS = {
  Label: 'string',
  ProgramArguments: 'array',
  RunAtLoad: 'boolean',
  KeepAlive: 'boolean',
  ProcessType: 'string',
  StandardOutPath: 'string',
  StandardErrorPath: 'string',
  EnvironmentVariables: 'object',
  ThrottleInterval: 'number',
  ExitTimeOut: 'number',
  WorkingDirectory: 'string',
};

/** Reads and checks a LaunchDaemon plist; throws Unmodelled for what launchd's answer is not known. */
function readJob(path) {
  let doc;
  try {
    doc = parsePlist(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Unmodelled(`${path} is not a property list launchd's parser is known to accept: ${e.message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Unmodelled(`${path}: the plist's value is not a dict`);
  for (const [k, v] of Object.entries(doc)) {
    if (!(k in KEYS)) throw new Unmodelled(`${path}: key ${k}`);
    const want = KEYS[k];
    const got = Array.isArray(v) ? 'array' : typeof v;
    if (got !== want) throw new Unmodelled(`${path}: ${k} of type ${got} (modelled: ${want})`);
  }
  if (!doc.Label) throw new Unmodelled(`${path}: no Label`);
  const args = doc.ProgramArguments;
  if (!args || args.length === 0 || !args.every((a) => typeof a === 'string')) throw new Unmodelled(`${path}: ProgramArguments must be a non-empty array of strings`);
  if (!args[0].startsWith('/')) throw new Unmodelled(`${path}: a program path that is not absolute (${args[0]})`);
  if (doc.ProcessType !== undefined && !['Background', 'Standard', 'Adaptive', 'Interactive'].includes(doc.ProcessType)) {
    throw new Unmodelled(`${path}: ProcessType ${doc.ProcessType}`);
  }
  if (doc.EnvironmentVariables && !Object.values(doc.EnvironmentVariables).every((v) => typeof v === 'string')) {
    throw new Unmodelled(`${path}: EnvironmentVariables values must be strings`);
  }
  return doc;
}

/** launchd refuses a LaunchDaemon plist another user could have written. */
function dubious(path) {
  const st = statSync(path);
  return st.uid !== 0 || st.gid !== 0 || (st.mode & 0o022) !== 0;
}

const jobs = new Map(); // label -> job
const busyUntil = new Map(); // label -> time before which bootstrap still answers 5
let shuttingDown = false;

function newJob(path, config) {
  return {
    label: config.Label,
    path,
    config,
    child: null,
    pid: null,
    runs: 0,
    lastExit: '(never exited)',
    lastStart: 0,
    respawnTimer: null,
    removing: false,
    exitTimer: null,
    spawnError: null,
    onGone: [],
  };
}

function openOut(p) {
  if (!p) return 'ignore';
  return openSync(p, 'a', 0o644);
}

/** Starts the job's process; resolves once it runs or its spawn failed. */
function start(job, why) {
  if (job.child || job.removing || shuttingDown) return Promise.resolve();
  clearTimeout(job.respawnTimer);
  job.respawnTimer = null;
  const [program, ...args] = job.config.ProgramArguments;
  const env = { PATH: DEFAULT_PATH, XPC_SERVICE_NAME: job.label, ...(job.config.EnvironmentVariables || {}) };
  // The emulation itself, not launchd: every node on this machine believes it runs on macOS.
  if (JOB_NODE_OPTIONS) env.NODE_OPTIONS = [env.NODE_OPTIONS, JOB_NODE_OPTIONS].filter(Boolean).join(' ');
  let out;
  let err;
  try {
    out = openOut(job.config.StandardOutPath);
    err = job.config.StandardErrorPath === job.config.StandardOutPath ? out : openOut(job.config.StandardErrorPath);
  } catch (e) {
    log(`${job.label}: cannot open its output files: ${e.message}`);
    job.lastExit = '78: EX_CONFIG';
    scheduleRespawn(job);
    return Promise.resolve();
  }
  job.lastStart = Date.now();
  job.runs += 1;
  const child = spawn(program, args, { stdio: ['ignore', out, err], env, cwd: job.config.WorkingDirectory || '/' });
  for (const fd of new Set([out, err])) if (typeof fd === 'number') closeSync(fd);
  job.child = child;
  let settle;
  const settled = new Promise((r) => (settle = r));
  child.once('spawn', () => {
    job.pid = child.pid;
    job.spawnError = null;
    log(`${job.label}: started pid ${child.pid} (${why})`);
    settle();
  });
  child.once('error', (e) => {
    settle();
    // posix_spawn failed: the program is not there (or not executable).
    if (job.child !== child) return;
    job.child = null;
    job.pid = null;
    job.lastExit = '78: EX_CONFIG';
    job.spawnError = `posix_spawn(${program}), error 0x${(e.errno ? -e.errno : 0).toString(16)} - ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}`;
    log(`${job.label}: Service could not initialize: ${job.spawnError}`);
    afterExit(job);
  });
  child.once('exit', (code, signal) => {
    if (job.child !== child) return;
    job.child = null;
    job.pid = null;
    job.lastExit = signal ? `(terminated by ${signal})` : String(code);
    log(`${job.label}: exited (${job.lastExit})`);
    afterExit(job);
  });
  return settled;
}

function afterExit(job) {
  clearTimeout(job.exitTimer);
  if (job.removing) {
    setTimeout(() => finishRemoval(job), LINGER_MS);
    return;
  }
  if (job.config.KeepAlive) scheduleRespawn(job);
}

function scheduleRespawn(job) {
  if (shuttingDown || job.removing) return;
  const throttle = (job.config.ThrottleInterval ?? 10) * 1000;
  const wait = Math.max(0, job.lastStart + throttle - Date.now());
  job.respawnTimer = setTimeout(() => start(job, 'KeepAlive'), wait);
}

function finishRemoval(job) {
  if (jobs.get(job.label) === job) jobs.delete(job.label);
  busyUntil.set(job.label, Date.now() + BUSY_MS);
  log(`${job.label}: removed`);
  for (const f of job.onGone.splice(0)) f();
}

function stop(job) {
  clearTimeout(job.respawnTimer);
  job.respawnTimer = null;
  if (!job.child) {
    setTimeout(() => finishRemoval(job), LINGER_MS);
    return;
  }
  job.child.kill('SIGTERM');
  job.exitTimer = setTimeout(() => job.child && job.child.kill('SIGKILL'), (job.config.ExitTimeOut ?? 20) * 1000);
}

/** Loads a job; resolves once a RunAtLoad job runs or failed to spawn. */
function load(path) {
  const config = readJob(path);
  const job = newJob(path, config);
  jobs.set(job.label, job);
  return config.RunAtLoad ? start(job, 'RunAtLoad') : Promise.resolve();
}

function printJob(job) {
  const c = job.config;
  const state = job.child && job.pid ? 'running' : job.removing ? 'exiting' : job.respawnTimer ? 'spawn scheduled' : 'not running';
  const lines = [
    `system/${job.label} = {`,
    `\tactive count = ${job.child ? 1 : 0}`,
    `\tpath = ${job.path}`,
    '\ttype = LaunchDaemon',
    `\tstate = ${state}`,
    '',
    `\tprogram = ${c.ProgramArguments[0]}`,
    '\targuments = {',
    ...c.ProgramArguments.map((a) => `\t\t${a}`),
    '\t}',
    '',
  ];
  if (c.StandardOutPath) lines.push(`\tstdout path = ${c.StandardOutPath}`);
  if (c.StandardErrorPath) lines.push(`\tstderr path = ${c.StandardErrorPath}`);
  lines.push('\tdefault environment = {', `\t\tPATH => ${DEFAULT_PATH}`, '\t}', '', '\tdomain = system', `\truns = ${job.runs}`);
  if (job.pid) lines.push(`\tpid = ${job.pid}`);
  lines.push(`\tlast exit code = ${job.lastExit}`);
  if (job.spawnError) lines.push(`\tjob state = ${job.spawnError}`);
  lines.push(`\tspawn type = daemon (3)`, `\tprocess type = ${c.ProcessType ?? 'Standard'}`, '}', '');
  return lines.join('\n');
}

const notFound = (label) => ({ code: 113, stdout: '', stderr: `Could not find service "${label}" in domain for system\n` });
const unmodelled = (what) => ({ code: 64, stdout: '', stderr: `fake launchctl: not modelled: ${what} (the emulated Mac does not know how macOS answers this)\n` });

/** launchctl's requests: the argv after `launchctl`, and who asks. */
function handle(argv, uid) {
  const [verb, ...rest] = argv;
  const service = (t) => (typeof t === 'string' && t.startsWith('system/') && t.length > 7 ? t.slice(7) : null);
  const mutating = ['bootstrap', 'bootout', 'enable', 'kickstart'];
  if (mutating.includes(verb) && uid !== 0) return unmodelled(`launchctl ${verb} as uid ${uid}`);
  switch (verb) {
    case 'print': {
      const label = rest.length === 1 ? service(rest[0]) : null;
      if (label === null) return unmodelled(`launchctl print ${rest.join(' ')}`);
      const job = jobs.get(label);
      return job ? { code: 0, stdout: printJob(job), stderr: '' } : notFound(label);
    }
    case 'bootstrap': {
      if (rest[0] !== 'system' || rest.length !== 2) return unmodelled(`launchctl bootstrap ${rest.join(' ')}`);
      const path = rest[1];
      if (!existsSync(path)) return unmodelled(`bootstrap of a path that does not exist (${path})`);
      let config;
      try {
        config = readJob(path);
      } catch (e) {
        return unmodelled(e.message);
      }
      if (dubious(path)) {
        log(`${path}: dubious ownership or permissions, refused`);
        return { code: 5, stdout: '', stderr: 'Bootstrap failed: 5: Input/output error\n' };
      }
      const existing = jobs.get(config.Label);
      if (existing && existing.removing && existing.child) return { code: 37, stdout: '', stderr: 'Bootstrap failed: 37: Operation already in progress\n' };
      if (existing) return { code: 5, stdout: '', stderr: 'Bootstrap failed: 5: Input/output error\n' };
      if ((busyUntil.get(config.Label) ?? 0) > Date.now()) return { code: 5, stdout: '', stderr: 'Bootstrap failed: 5: Input/output error\n' };
      load(path);
      return { code: 0, stdout: '', stderr: '' };
    }
    case 'bootout': {
      const label = rest.length === 1 ? service(rest[0]) : null;
      if (label === null) return unmodelled(`launchctl bootout ${rest.join(' ')}`);
      const job = jobs.get(label);
      if (!job) return { code: 3, stdout: '', stderr: 'Boot-out failed: 3: No such process\n' };
      if (job.removing) return { code: 37, stdout: '', stderr: 'Boot-out failed: 37: Operation already in progress\n' };
      job.removing = true;
      stop(job); // returns before the job is gone
      return { code: 0, stdout: '', stderr: '' };
    }
    case 'enable': {
      if (rest.length !== 1 || service(rest[0]) === null) return unmodelled(`launchctl enable ${rest.join(' ')}`);
      return { code: 0, stdout: '', stderr: '' };
    }
    case 'kickstart': {
      const flags = rest.filter((a) => a.startsWith('-'));
      const targets = rest.filter((a) => !a.startsWith('-'));
      if (targets.length !== 1 || flags.some((f) => f !== '-k' && f !== '-p')) return unmodelled(`launchctl kickstart ${rest.join(' ')}`);
      const label = service(targets[0]);
      if (label === null) return unmodelled(`launchctl kickstart ${targets[0]}`);
      const job = jobs.get(label);
      if (!job || job.removing) return notFound(label);
      if (job.child && flags.includes('-k')) {
        job.child.once('exit', () => setImmediate(() => start(job, 'kickstart -k')));
        job.child.kill('SIGTERM');
      } else if (!job.child) {
        start(job, 'kickstart');
      }
      return { code: 0, stdout: flags.includes('-p') && job.pid ? `${job.pid}\n` : '', stderr: '' };
    }
    default:
      return unmodelled(`launchctl ${argv.join(' ')}`);
  }
}

/** Loads every LaunchDaemon; resolves once each RunAtLoad job runs or failed to spawn. */
async function boot() {
  const started = [];
  for (const dir of DIRS) {
    let names = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.plist')).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const path = join(dir, n);
      try {
        if (dubious(path)) {
          log(`${path}: dubious ownership or permissions, not loaded`);
          continue;
        }
        started.push(load(path));
      } catch (e) {
        // A plist the fake cannot judge: loudly in the log, and the job is not there.
        log(`${path}: NOT MODELLED, not loaded: ${e.message}`);
      }
    }
  }
  await Promise.all(started);
}

function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  const running = [...jobs.values()].filter((j) => j.child);
  log(`shutdown: stopping ${running.length} job(s)`);
  let left = running.length;
  const done = () => {
    try {
      unlinkSync(SOCKET);
    } catch {
      /* gone */
    }
    process.exit(0);
  };
  if (left === 0) done();
  for (const j of running) {
    j.child.once('exit', () => {
      left -= 1;
      if (left === 0) done();
    });
    j.child.kill('SIGTERM');
    setTimeout(() => j.child && j.child.kill('SIGKILL'), (j.config.ExitTimeOut ?? 20) * 1000).unref();
  }
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

mkdirSync('/var/log', { recursive: true });
try {
  unlinkSync(SOCKET);
} catch {
  /* first boot */
}
const server = createServer((conn) => {
  let buf = '';
  conn.setEncoding('utf8');
  conn.on('data', (d) => {
    buf += d;
    const nl = buf.indexOf('\n');
    if (nl < 0) return;
    let reply;
    try {
      const req = JSON.parse(buf.slice(0, nl));
      reply = handle(req.argv, req.uid);
    } catch (e) {
      reply = { code: 64, stdout: '', stderr: `fake launchd: bad request: ${e.message}\n` };
    }
    conn.end(JSON.stringify(reply) + '\n');
  });
  conn.on('error', () => undefined);
});
server.listen(SOCKET, () => {
  void boot().then(() => {
    // The harness waits for this line (an event), then talks to the machine.
    process.stdout.write('launchd ready\n');
    log('booted');
  });
});

