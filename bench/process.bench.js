'use strict';
// Whole `loopkeeper` processes, timed from outside as a user runs them (start-up included), each
// against a baseline measured in the same rounds (bench/lib.js timeProcesses: the order rotates
// every round, so load falls on both alike). Inside a private network namespace: `apply` changes
// that namespace's own `lo`; every file is in a temp dir (--hosts-file, --state-dir, --socket).
//  1. `--version`, `plan`, no-op `apply`, `validate` of the example, `status` against a running
//     daemon — against `node -e 0` (goals: plan <= 2x, status <= 1.5x).
//  2. 100 names added to the 122,000-line blocklist — against npm `hostile`'s 100 set() calls,
//     also a whole node process (goal >= 100x faster).
//  3. a no-op apply on that file — against `node -e "fs.readFileSync(FILE)"` (goal <= 2x).
//  4. 1,024 aliases applied — against node feeding the same 1,024 `addr add` lines to
//     `ip -batch -` (goal <= 1.5x); then a no-op apply with them in place against `node -e 0`
//     (goal <= 2x).
const { spawn, spawnSync } = require('node:child_process');
const { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { ensureNamespace, bigHostsFile, timeProcesses, compare, loadAverage } = require('./lib');

ensureNamespace();

const REPO = resolve(__dirname, '..');
const CLI = join(REPO, 'dist', 'cli', 'main.js');
const DAEMON = join(REPO, 'dist', 'daemon', 'main.js');
const EXAMPLE = join(REPO, 'config', 'loopkeeper.example.yaml');
const NODE = process.execPath;
const IP = '/usr/sbin/ip';

/** The node flags of the systemd unit (the daemon is measured as the service runs it). */
function serviceNodeFlags() {
  const unit = readFileSync(join(REPO, 'systemd', 'loopkeeper.service'), 'utf8');
  const exec = /^ExecStart=@NODE@ (.*) @DAEMON@$/m.exec(unit);
  if (!exec) throw new Error('no ExecStart=@NODE@ … @DAEMON@ line in systemd/loopkeeper.service');
  return exec[1].split(/\s+/).filter(Boolean);
}

function get(sock, path) {
  return new Promise((res, rej) => {
    const req = http.request({ socketPath: sock, path, agent: false }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode));
    });
    req.on('error', rej);
    req.end();
  });
}

async function waitForDaemon(sock, d) {
  for (let i = 0; i < 2000; i++) {
    if (d.exitCode !== null) throw new Error(`the daemon exited ${d.exitCode}`);
    try {
      // POST /v1/reconcile answers after a reconcile that started after it: the start-up one is done.
      if ((await get(sock, '/v1/health')) === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the daemon never answered');
}

function cli(args, extra = {}) {
  return { argv: [NODE, CLI, ...args], ...extra };
}

function runOrThrow(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`\`${argv.join(' ')}\` exited ${r.status}: ${r.stderr}`);
  return r;
}

function hostsCommand(dir) {
  return (hosts, state) => ['--hosts-file', hosts, '--state-dir', state, '--socket', join(dir, 'no-daemon.sock')];
}

async function startup(dir) {
  const hosts = join(dir, 'hosts');
  const state = join(dir, 'state');
  writeFileSync(hosts, '127.0.0.1\tlocalhost\n::1\tlocalhost\n');
  const flags = ['--config', EXAMPLE, ...hostsCommand(dir)(hosts, state)];

  // A daemon for `status`, as the unit starts it, on the same config with its own files.
  const sock = join(dir, 'daemon.sock');
  writeFileSync(join(dir, 'daemon-hosts'), '127.0.0.1\tlocalhost\n');
  const d = spawn(NODE, [...serviceNodeFlags(), DAEMON, '--config', EXAMPLE, '--socket', sock, '--state-dir', join(dir, 'daemon-state'),
    '--hosts-file', join(dir, 'daemon-hosts'), '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitForDaemon(sock, d);
    runOrThrow([NODE, CLI, 'apply', ...flags]); // so that the measured applies have nothing to do
    const noChanges = (r) => {
      if (!/^Nothing to do/m.test(r.stdout)) {
        throw new Error(`the no-op apply was not one:\n${r.stdout}${r.stderr}`);
      }
    };
    const t = timeProcesses(
      {
        'node -e 0': { argv: [NODE, '-e', '0'] },
        '--version': cli(['--version']),
        plan: cli(['plan', ...flags]),
        'apply (no-op)': cli(['apply', ...flags], { check: noChanges }),
        validate: cli(['validate', EXAMPLE]),
        status: cli(['status', '--socket', sock]),
      },
      { rounds: 15, warmup: 2 },
    );
    const base = t['node -e 0'];
    compare('loopkeeper --version', t['--version'], base, 'node -e 0', { max: 1.5 });
    compare('loopkeeper plan (example config)', t.plan, base, 'node -e 0', { max: 2 });
    compare('loopkeeper apply, no-op (example config)', t['apply (no-op)'], base, 'node -e 0', { max: 2 });
    compare('loopkeeper validate (example config)', t.validate, base, 'node -e 0', { max: 2 });
    compare('loopkeeper status (daemon running)', t.status, base, 'node -e 0', { max: 1.5 });
    // Take the example's aliases off this namespace's lo again: they carry loopkeeper's kernel
    // mark, so the later parts (other configs, prune on) would remove them, and 10.99.0.5 only
    // the example's settings allow.
    runOrThrow([NODE, CLI, 'down', ...flags]);
  } finally {
    d.kill('SIGTERM');
    await new Promise((r) => (d.exitCode !== null ? r() : d.once('exit', r)));
  }
}

function namesConfig(file, names) {
  const lines = ['version: 1', 'hosts:', ...names.map((n) => `  ${n.name}: ${n.address}`), ''];
  writeFileSync(file, lines.join('\n'));
}

function bigFile(dir) {
  const source = bigHostsFile();
  console.log(`hosts file: ${source.label} (${source.content.length} bytes, ${source.content.toString('latin1').split('\n').length} lines)`);
  const original = join(dir, 'big-original');
  writeFileSync(original, source.content);
  const names = Array.from({ length: 100 }, (_, i) => ({ name: `svc${i}.myteam.test`, address: `127.0.0.${2 + (i % 10)}` }));
  const config = join(dir, 'names.yaml');
  namesConfig(config, names);
  const hostileScript = join(dir, 'hostile-100.js');
  writeFileSync(
    hostileScript,
    `const hostile = require(${JSON.stringify(require.resolve('hostile'))});\n` +
      `hostile.HOSTS = process.argv[2];\n` +
      `for (const [address, name] of ${JSON.stringify(names.map((n) => [n.address, n.name]))}) hostile.set(address, name);\n`,
  );
  return { original, config, hostileScript, names };
}

function hostsBenchmarks(dir) {
  const { original, config, hostileScript, names } = bigFile(dir);
  const lkFile = join(dir, 'big-loopkeeper');
  const hostileFile = join(dir, 'big-hostile');
  const state = join(dir, 'big-state');
  const flags = ['--config', config, ...hostsCommand(dir)(lkFile, state)];
  const hasAll = (file) => () => {
    const text = readFileSync(file, 'latin1');
    for (const n of names) if (!text.includes(n.name)) throw new Error(`${file} lacks ${n.name} after the run`);
  };

  // 2. 100 names. hostile rewrites the whole file per set() (~0.2 s each here), so few rounds; the
  // file is put back before every run.
  const add = timeProcesses(
    {
      hostile: { argv: [NODE, hostileScript, hostileFile], before: () => copyFileSync(original, hostileFile), check: hasAll(hostileFile) },
      loopkeeper: cli(['apply', ...flags], { before: () => copyFileSync(original, lkFile), check: hasAll(lkFile) }),
      'loopkeeper ': cli(['apply', ...flags], { before: () => copyFileSync(original, lkFile), check: hasAll(lkFile) }),
    },
    { rounds: 3, warmup: 0 },
  );
  const lk = mergeStats(add.loopkeeper, add['loopkeeper ']);
  compare('add 100 names to the 122k-line file: loopkeeper apply vs hostile', lk, add.hostile, '100 x hostile.set()', { min: 100 });

  // 3. no-op apply on that file (it now holds the 100 names) vs a bare read of it.
  const noop = timeProcesses(
    {
      read: { argv: [NODE, '-e', `require('node:fs').readFileSync(${JSON.stringify(lkFile)})`] },
      apply: cli(['apply', ...flags], { check: hasAll(lkFile) }),
    },
    { rounds: 15, warmup: 2 },
  );
  compare('no-op apply on the 122k-line file', noop.apply, noop.read, 'node -e readFileSync(file)', { max: 2 });
}

/** Two sample sets of the same thing as one. */
function mergeStats(a, b) {
  return { min: Math.min(a.min, b.min), median: (a.median + b.median) / 2, runs: a.runs + b.runs };
}

function aliasBenchmarks(dir) {
  const N = 1024;
  const addrs = Array.from({ length: N }, (_, i) => `127.0.${10 + (i >> 8)}.${i & 255}`);
  // The same 1,024 addresses declared two ways: one list entry each, and one range.
  const config = join(dir, 'aliases.yaml');
  writeFileSync(config, ['version: 1', 'aliases:', ...addrs.map((a) => `  - ${a}`), ''].join('\n'));
  const rangeConfig = join(dir, 'aliases-range.yaml');
  writeFileSync(rangeConfig, ['version: 1', 'aliases:', `  - range: ${addrs[0]}-${addrs[N - 1]}`, ''].join('\n'));
  const lines = join(dir, 'add-lines');
  writeFileSync(lines, addrs.map((a) => `addr add ${a}/32 dev lo\n`).join(''));
  const del = addrs.map((a) => `addr del ${a}/32 dev lo\n`).join('');
  const feed = join(dir, 'ip-batch.js');
  writeFileSync(
    feed,
    `const { spawnSync } = require('node:child_process');\n` +
      `const r = spawnSync(${JSON.stringify(IP)}, ['-batch', '-'], { input: require('node:fs').readFileSync(process.argv[2]) });\n` +
      `process.exitCode = r.status;\n`,
  );
  const hosts = join(dir, 'aliases-hosts');
  writeFileSync(hosts, '127.0.0.1\tlocalhost\n');
  const state = join(dir, 'aliases-state');
  const clear = () => {
    spawnSync(IP, ['-force', '-batch', '-'], { input: del });
    rmSync(state, { recursive: true, force: true });
  };
  const allThere = () => {
    const out = runOrThrow([IP, '-o', '-4', 'addr', 'show', 'dev', 'lo']).stdout;
    const count = out.split('\n').filter((l) => / inet 127\.0\.(1[0-3])\./.test(l)).length;
    if (count !== N) throw new Error(`${count} of ${N} aliases on lo after the run`);
  };
  const t = timeProcesses(
    {
      'node + ip -batch': { argv: [NODE, feed, lines], before: clear, check: allThere },
      'loopkeeper (list)': cli(['apply', '--config', config, ...hostsCommand(dir)(hosts, state)], { before: clear, check: allThere }),
      'loopkeeper (range)': cli(['apply', '--config', rangeConfig, ...hostsCommand(dir)(hosts, state)], { before: clear, check: allThere }),
    },
    { rounds: 10, warmup: 1 },
  );
  const base = t['node + ip -batch'];
  compare(`apply ${N} aliases, declared as one range`, t['loopkeeper (range)'], base, 'node feeding the same lines to ip -batch', { max: 1.5 });
  compare(`apply ${N} aliases, declared as ${N} list entries`, t['loopkeeper (list)'], base, 'node feeding the same lines to ip -batch', { max: 1.5 });

  // A no-op apply with the 1,024 aliases in place (added by loopkeeper, so its ledger holds them)
  // against bare node.
  const noChange = (r) => {
    if (!/^Nothing to do/m.test(r.stdout)) throw new Error(`the no-op apply at ${N} aliases was not one:\n${r.stdout}${r.stderr}`);
  };
  const listFlags = ['apply', '--config', config, ...hostsCommand(dir)(hosts, state)];
  clear();
  runOrThrow([NODE, CLI, ...listFlags]);
  const noop = timeProcesses(
    {
      'node -e 0': { argv: [NODE, '-e', '0'] },
      apply: cli(listFlags, { check: (r) => (noChange(r), allThere()) }),
    },
    { rounds: 15, warmup: 2 },
  );
  compare(`no-op apply at ${N} aliases`, noop.apply, noop['node -e 0'], 'node -e 0', { max: 2 });
  clear();
}

async function main() {
  console.log(`${loadAverage()}; every process is a new node (${NODE})`);
  const dir = mkdtempSync(join(tmpdir(), 'lk-bench-process-'));
  try {
    // `node bench/process.bench.js [startup] [hosts] [aliases]`: some parts only (all by default).
    const parts = process.argv.slice(2);
    const want = (p) => parts.length === 0 || parts.includes(p);
    if (want('startup')) await startup(dir);
    if (want('hosts')) hostsBenchmarks(dir);
    if (want('aliases')) aliasBenchmarks(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(loadAverage());
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
