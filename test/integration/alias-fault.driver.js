// Fault driver for test/integration/alias-fault.test.ts and alias-race.test.ts. It runs INSIDE a
// private network + mount + pid namespace (its own `lo`), starts the built CLI and daemon there,
// SIGKILLs them at points chosen by events — the Nth address appearing or going (`ip monitor`),
// the Kth write of the ledger (inotify on the state dir), a daemon log line — never by sleeps,
// and checks after each round what the kernel (`ip -j addr`, the independent witness) and the
// ledger say. It prints one JSON summary on stdout.
//
// argv: DIST CLI DAEMON WORKDIR MODE SEED ROUNDS   (MODE: apply | daemon | race)
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const [dist, cliPath, daemonPath, work, mode, seedText, roundsText] = process.argv.slice(2);
const ROUNDS = Number(roundsText);
const { acquireStateLock } = require(path.join(dist, 'reconcile', 'lock.js'));
const { createRunner } = require(path.join(dist, 'platform', 'runner.js'));
const { createPlatform } = require(path.join(dist, 'platform', 'index.js'));
const { reconcileAliases } = require(path.join(dist, 'reconcile', 'aliases.js'));

// ---- deterministic randomness (mulberry32) ----
let seed = Number(seedText) >>> 0;
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (list) => list[Math.floor(rand() * list.length)];
function sample(list, n) {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}

// ---- the world ----
const stateDir = path.join(work, 'state');
const hostsFile = path.join(work, 'hosts');
const cfgA = path.join(work, 'a.yaml');
const cfgB = path.join(work, 'b.yaml');
const sockA = path.join(work, 'a.sock');
const sockB = path.join(work, 'b.sock');
fs.mkdirSync(stateDir, { recursive: true, mode: 0o755 });
fs.writeFileSync(hostsFile, '127.0.0.1 localhost\n::1 localhost\n');

const V4 = [];
for (let i = 0; i < 2600; i++) V4.push(`127.20.${i >> 8}.${i & 255}`);
const V6 = [];
for (let i = 1; i <= 40; i++) V6.push(`fd00:20::${i.toString(16)}`);
const POOL = [...V4, ...V6];
const inPool = new Set(POOL);

const ip = (...args) => spawnSync('ip', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
function lo() {
  const r = ip('-j', 'addr', 'show', 'dev', 'lo');
  const info = JSON.parse(r.stdout)[0].addr_info;
  const present = new Set(info.map((a) => a.local));
  const marked = new Set(info.filter((a) => a.label === 'lo:lk' || a.metric === 27755).map((a) => a.local));
  return { present, marked };
}
function ledger() {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, 'state.json'), 'utf8'));
  } catch (e) {
    return { owned: [], missing: String(e.code || e) };
  }
}

// Hand-added addresses ("another program's"): some inside the pool (sometimes desired too), some
// outside; IPv4 and IPv6. They must survive everything.
const hand = new Set(['127.20.0.7', '127.20.3.3', '127.20.9.200', 'fd00:20::5', 'fd00:20::22', '127.30.0.1', 'fd00:30::1']);
for (const a of hand) ip('addr', 'add', `${a}/${a.includes(':') ? 128 : 32}`, 'dev', 'lo');

function config(desired) {
  return `version: 1\naliases:\n${desired.map((a) => `  - ${a}\n`).join('')}settings:\n  prune: true\n  schedule: "0 0 1 1 *"\n`;
}
function writeConfig(file, desired) {
  fs.writeFileSync(`${file}.tmp`, config(desired), { mode: 0o644 });
  fs.renameSync(`${file}.tmp`, file);
}
/** A random desired set: mostly a few hundred changes, sometimes more than one batch (2,048). */
function randomDesired() {
  const big = rand() < 0.05;
  const n4 = big ? int(2100, 2600) : int(20, 900);
  return [...sample(V4, n4), ...sample(V6, int(0, 30))];
}

// ---- events ----
let addrEvents = 0; // pool addresses that appeared or went, as the kernel announces them
let ledgerWrites = 0; // renames onto state.json (each intent and each outcome)
let lockWrites = 0; // a new holder writing itself into STATE_DIR/lock
const waiters = new Set();
const notify = () => {
  for (const w of [...waiters]) w();
};
const monitor = spawn('ip', ['-o', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
readline.createInterface({ input: monitor.stdout }).on('line', (line) => {
  const m = /inet6? ([0-9a-f:.]+)\//.exec(line);
  if (m && inPool.has(m[1])) {
    addrEvents++;
    notify();
  }
});
// The monitor must be listening before the first round: add and delete a probe address.
async function monitorReady() {
  const before = addrEvents;
  ip('addr', 'add', `${V4[2599]}/32`, 'dev', 'lo');
  ip('addr', 'del', `${V4[2599]}/32`, 'dev', 'lo');
  await until(() => addrEvents >= before + 2, 'ip monitor to report a probe');
}
fs.watch(stateDir, (_ev, name) => {
  if (name === 'state.json') ledgerWrites++;
  else if (name === 'lock') lockWrites++;
  else return;
  notify();
});

/** Resolves once `cond()` holds, re-checked on every event and on a 20 ms tick (bounded). */
function until(cond, what, ms = 60000) {
  return new Promise((resolve, reject) => {
    if (cond()) return resolve();
    const check = () => {
      if (cond()) {
        waiters.delete(check);
        clearInterval(tick);
        clearTimeout(bound);
        resolve();
      }
    };
    waiters.add(check);
    const tick = setInterval(check, 20);
    const bound = setTimeout(() => {
      waiters.delete(check);
      clearInterval(tick);
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
  });
}

/** Whether a writer is waiting for the state lock right now (its `flock -x -w N 3` is running). */
function lockWaiterRunning() {
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('flock\0-x\0-w')) return true;
    } catch {
      /* gone */
    }
  }
  return false;
}

/** No `ip -batch` left running (a killed loopkeeper's ip dies by its parent-death signal). */
function batchesRunning() {
  let n = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('-batch')) n++;
    } catch {
      /* gone */
    }
  }
  return n;
}

const env = (cfg, sock) => ({
  ...process.env,
  NO_COLOR: '1',
  LOOPKEEPER_CONFIG: cfg,
  LOOPKEEPER_SOCKET: sock,
  LOOPKEEPER_STATE_DIR: stateDir,
  LOOPKEEPER_HOSTS_FILE: hostsFile,
  LOOPKEEPER_INTERFACE: 'lo',
});

// ---- kill points ----
function killPoint(changes, daemon) {
  const r = rand();
  if (r < 0.08) return { kind: 'none' };
  if (r < 0.3) return { kind: 'write', k: int(1, 3) };
  if (daemon && r < 0.38) return { kind: 'log', msg: 'reconcile started' };
  return { kind: 'addr', n: int(1, Math.max(1, changes)) };
}
/** Arms a SIGKILL of `child` at `point` (`lines`: the daemon's log lines since the round began). */
function armKill(child, point, lines = () => []) {
  const base = { addr: addrEvents, write: ledgerWrites };
  let killed = false;
  const fire = () => {
    if (killed) return;
    killed = true;
    child.kill('SIGKILL');
  };
  const check = () => {
    if (point.kind === 'addr' && addrEvents - base.addr >= point.n) fire();
    if (point.kind === 'write' && ledgerWrites - base.write >= point.k) fire();
    if (point.kind === 'log' && lines().some((l) => l.msg === point.msg)) fire();
  };
  if (point.kind !== 'none') waiters.add(check);
  return {
    check,
    done: () => {
      waiters.delete(check);
      return { killed, addrEvents: addrEvents - base.addr, ledgerWrites: ledgerWrites - base.write };
    },
  };
}

// ---- checks ----
const summary = {
  mode,
  rounds: 0,
  killed: 0,
  // Where the kills landed, counted by the pool address events the batch made before it ended:
  killedBeforeBatch: 0,
  killedMidBatch: 0,
  killedAfterBatch: 0,
  kills: { none: 0, write: 0, addr: 0, log: 0 },
  reAddedByOthers: 0,
  checks: 0,
  wronglyRemoved: 0,
  orphans: 0,
  ledgerMismatches: 0,
  pendingLeft: 0,
  desiredMissing: 0,
  handOwned: 0,
  lockWaits: 0, // race rounds in which one writer waited for the other's lock (a `flock -w` was seen)
  cliLockWaits: 0, // … of which `apply` said it was waiting
  finalOrphans: null,
  finalHandMissing: null,
  violations: [],
};
function violation(round, what) {
  if (summary.violations.length < 30) summary.violations.push(`round ${round}: ${what}`);
}
function check(round, desired) {
  summary.checks++;
  const { present, marked } = lo();
  const l = ledger();
  const owned = new Set(l.owned || []);
  if (l.pending) {
    summary.pendingLeft++;
    violation(round, `ledger still has a pending batch ${JSON.stringify(l.pending).slice(0, 200)}`);
  }
  const notRecorded = [...marked].filter((a) => !owned.has(a));
  const notMarked = [...owned].filter((a) => !marked.has(a));
  if (notRecorded.length || notMarked.length) {
    summary.ledgerMismatches++;
    violation(round, `ledger != marks: ${notRecorded.length} marked not recorded (${notRecorded.slice(0, 3)}), ${notMarked.length} recorded not marked (${notMarked.slice(0, 3)})`);
  }
  for (const h of hand) {
    if (!present.has(h)) {
      summary.wronglyRemoved++;
      violation(round, `hand-added ${h} was removed`);
    }
    if (marked.has(h) || owned.has(h)) {
      summary.handOwned++;
      violation(round, `hand-added ${h} is owned`);
    }
  }
  if (desired) {
    const want = new Set(desired);
    for (const a of desired) if (!present.has(a)) (summary.desiredMissing++, violation(round, `desired ${a} missing`));
    for (const a of present) {
      if (inPool.has(a) && !want.has(a) && !hand.has(a)) {
        summary.orphans++;
        violation(round, `orphan ${a}`);
      }
    }
  }
}
async function lockedCheck(round, desired) {
  // Hold the state lock while looking, so no writer is half-way through a batch.
  const lock = await acquireStateLock(stateDir, { runner: createRunner(), command: 'fault-driver check' });
  try {
    check(round, desired);
  } finally {
    await lock.release();
  }
}

/** Another program adds, by hand, addresses loopkeeper just owned and may just have removed (item 4). */
function reAddByOthers(previous) {
  if (rand() >= 0.3 || hand.size > 40) return;
  const { present } = lo();
  const gone = previous.filter((a) => !present.has(a) && !hand.has(a));
  for (const a of sample(gone, int(1, 2))) {
    ip('addr', 'add', `${a}/${a.includes(':') ? 128 : 32}`, 'dev', 'lo');
    hand.add(a);
    summary.reAddedByOthers++;
  }
}

// In-process "next reconcile": the same alias pipeline the CLI and the daemon run.
const runner = createRunner();
const platform = createPlatform({ platform: 'linux', interfaceName: 'lo', runner, allowAliasRanges: [] });
const cleanReconcile = (desired) => reconcileAliases(platform, desired, { stateDir, prune: true, mode: 'reconcile', dryRun: false, runner });

function exitOf(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}
/** Call once the killed batch has ended; `base` is addrEvents when the process was started. */
function record(point, killed, base, changes) {
  summary.kills[point.kind]++;
  if (!killed) return;
  summary.killed++;
  const made = addrEvents - base;
  if (made === 0) summary.killedBeforeBatch++;
  else if (made < changes) summary.killedMidBatch++;
  else summary.killedAfterBatch++;
}
function changesBetween(previousPresent, desired) {
  const want = new Set(desired);
  let n = 0;
  for (const a of desired) if (!previousPresent.has(a)) n++;
  for (const a of previousPresent) if (inPool.has(a) && !want.has(a) && !hand.has(a)) n++;
  return n;
}

// ---- modes ----
async function applyRounds() {
  let previous = [];
  for (let round = 1; round <= ROUNDS; round++) {
    summary.rounds++;
    const desired = randomDesired();
    writeConfig(cfgA, desired);
    const changes = changesBetween(lo().present, desired);
    const point = killPoint(changes, false);
    const base = addrEvents;
    const child = spawn(process.execPath, [cliPath, 'apply'], { env: env(cfgA, sockA), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    const armed = armKill(child, point);
    const exit = await exitOf(child);
    const outcome = armed.done();
    if (!outcome.killed && exit.code !== 0) violation(round, `apply exited ${exit.code}: ${stderr.slice(0, 300)}`);
    await until(() => batchesRunning() === 0, 'the killed batch to end');
    record(point, outcome.killed, base, changes);
    reAddByOthers(previous);
    if (rand() < 0.75 || round === ROUNDS) {
      await cleanReconcile(desired);
      check(round, desired);
    }
    previous = desired;
  }
}

function startDaemon(cfg, sock) {
  const child = spawn(process.execPath, [daemonPath, '--log-level', 'debug'], { env: env(cfg, sock), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  readline.createInterface({ input: child.stdout }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text));
    } catch {
      lines.push({ msg: text });
    }
    notify();
  });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  return { child, lines, stderr: () => stderr };
}
const finishedCount = (d) => d.lines.filter((l) => l.msg === 'reconcile finished').length;

async function daemonRounds() {
  let previous = [];
  let desired = randomDesired();
  writeConfig(cfgA, desired);
  let d = startDaemon(cfgA, sockA);
  await until(() => finishedCount(d) >= 1, 'the first reconcile', 120000);
  for (let round = 1; round <= ROUNDS; round++) {
    summary.rounds++;
    previous = desired;
    desired = randomDesired();
    const changes = changesBetween(lo().present, desired);
    const point = killPoint(changes, true);
    const mark = d.lines.length;
    const base = addrEvents;
    writeConfig(cfgA, desired);
    const armed = armKill(d.child, point, () => d.lines.slice(mark));
    d.child.kill('SIGHUP');
    const gone = exitOf(d.child).then(() => 'exited');
    const settled = until(() => d.lines.slice(mark).some((l) => l.msg === 'reconcile finished' && l.trigger === 'signal'), 'the SIGHUP reconcile', 120000).then(
      () => 'finished',
      () => 'timeout',
    );
    const first = await Promise.race([gone, settled]);
    const outcome = armed.done();
    if (first === 'timeout') violation(round, 'the SIGHUP reconcile never finished');
    if (first !== 'exited') {
      // It finished before the kill point: kill it there (after its batch), as a crash could.
      d.child.kill('SIGKILL');
      await gone;
    }
    await until(() => batchesRunning() === 0, 'the killed batch to end');
    record(point, outcome.killed, base, changes);
    reAddByOthers(previous);
    d = startDaemon(cfgA, sockA); // its start-up reconcile is the next reconcile
    await until(() => finishedCount(d) >= 1, 'the start-up reconcile', 120000);
    if (d.lines.some((l) => l.level >= 50)) violation(round, `daemon logged an error: ${JSON.stringify(d.lines.find((l) => l.level >= 50)).slice(0, 300)}`);
    await lockedCheck(round, desired);
  }
  d.child.kill('SIGTERM');
  await exitOf(d.child);
}

async function raceRounds() {
  // Two writers on one state dir and one lo: the daemon (socket A, config A) and `apply` run with
  // another socket (so it cannot defer to the daemon) and config B. Ownership must never be lost:
  // right after both finished, with no further reconcile, the ledger must equal the marks.
  let a = randomDesired();
  writeConfig(cfgA, a);
  const d = startDaemon(cfgA, sockA);
  await until(() => finishedCount(d) >= 1, 'the first reconcile', 120000);
  for (let round = 1; round <= ROUNDS; round++) {
    summary.rounds++;
    a = randomDesired();
    const b = randomDesired();
    writeConfig(cfgA, a);
    writeConfig(cfgB, b);
    const mark = d.lines.length;
    const cli = spawn(process.execPath, [cliPath, 'apply'], { env: env(cfgB, sockB), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (x) => (stderr += x));
    // Start the daemon's reconcile when the CLI's begins (it takes the lock, or writes its
    // intent), or at once: chosen per round.
    const when = pick(['now', 'lock', 'intent']);
    const base = { lock: lockWrites, write: ledgerWrites };
    if (when === 'now') d.child.kill('SIGHUP');
    else {
      const fire = () => {
        if ((when === 'lock' && lockWrites > base.lock) || (when === 'intent' && ledgerWrites > base.write) || cli.exitCode !== null) {
          waiters.delete(fire);
          d.child.kill('SIGHUP');
        }
      };
      waiters.add(fire);
      cli.once('exit', fire);
    }
    let contended = false;
    const watch = setInterval(() => (contended = contended || lockWaiterRunning()), 25);
    const exit = await exitOf(cli);
    if (exit.code !== 0) violation(round, `apply exited ${exit.code}: ${stderr.slice(0, 300)}`);
    if (/waiting for another loopkeeper/.test(stderr)) (summary.cliLockWaits++, (contended = true));
    await until(() => d.lines.slice(mark).some((l) => l.msg === 'reconcile finished' && l.trigger === 'signal'), 'the daemon reconcile', 120000);
    clearInterval(watch);
    if (contended) summary.lockWaits++;
    await lockedCheck(round, null);
  }
  d.child.kill('SIGTERM');
  await exitOf(d.child);
}

(async () => {
  const started = Date.now();
  await monitorReady();
  if (mode === 'apply') await applyRounds();
  else if (mode === 'daemon') await daemonRounds();
  else await raceRounds();
  // Final: `loopkeeper down` (the built CLI) must leave nothing loopkeeper added, and every hand-added address.
  const down = spawnSync(process.execPath, [cliPath, 'down'], { env: env(cfgA, sockA), encoding: 'utf8' });
  if (down.status !== 0) violation('final', `down exited ${down.status}: ${down.stderr.slice(0, 300)}`);
  const { present } = lo();
  summary.finalOrphans = [...present].filter((a) => a !== '127.0.0.1' && a !== '::1' && !hand.has(a)).length;
  summary.finalHandMissing = [...hand].filter((a) => !present.has(a)).length;
  if (summary.finalOrphans) violation('final', `left after down: ${[...present].filter((a) => a !== '127.0.0.1' && a !== '::1' && !hand.has(a)).slice(0, 5)}`);
  summary.handAdded = hand.size;
  summary.seconds = Math.round((Date.now() - started) / 1000);
  monitor.kill();
  process.stdout.write(JSON.stringify(summary) + '\n');
  process.exit(0);
})().catch((e) => {
  process.stdout.write(JSON.stringify({ ...summary, fatal: String(e && e.stack ? e.stack : e) }) + '\n');
  process.exit(1);
});
