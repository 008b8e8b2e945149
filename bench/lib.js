'use strict';
// Small helpers shared by benchmarks: timing, medians, the big input file, and re-running inside
// a namespace.
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const { generateBlocklist, STEVENBLACK_LINES } = require('../test/fixtures/blocklist');

const STEVENBLACK = resolve(__dirname, '..', '..', 'shared', 'corpus', 'hosts', 'stevenblack-unified-hosts-2024-09-27');

/**
 * The 122,000-line blocklist the hosts benchmarks run on: the real StevenBlack file from the
 * corpus beside the checkout when it is there, else a generated one with the same line count
 * and shape (test/fixtures/blocklist.js; deterministic, so runs compare across machines).
 */
function bigHostsFile() {
  if (existsSync(STEVENBLACK)) return { label: 'stevenblack-unified-hosts-2024-09-27 (corpus)', content: readFileSync(STEVENBLACK) };
  return { label: `generated StevenBlack-shaped blocklist (no corpus at ${STEVENBLACK})`, content: generateBlocklist({ lines: STEVENBLACK_LINES }) };
}

function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs fn `n` times (after `warmup` runs) and returns the median duration in ms. */
async function median(n, fn, warmup = 1) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    await fn(i);
    times.push(now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * If not already inside a private network namespace, re-runs this script inside one
 * (`unshare -n -m`, lo up) and exits with its status. Returns only inside the namespace.
 */
function ensureNamespace() {
  if (process.env.LOOPKEEPER_BENCH_IN_NS === '1') return;
  const r = spawnSync(
    'unshare',
    ['-n', '-m', '--propagation', 'private', '-p', '-f', '--kill-child', '--mount-proc',
      'sh', '-c', 'mount -t sysfs sysfs /sys && ip link set lo up && exec "$@"', 'sh', process.execPath, '--expose-gc', ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, LOOPKEEPER_BENCH_IN_NS: '1' } },
  );
  if (r.error || r.status !== 0) {
    console.log(`(needs root and unshare: ${r.error ? r.error.message : `exit ${r.status}`})`);
  }
  process.exit(r.status ?? 1);
}

function fmt(ms) {
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

/** The 1, 5 and 15 minute load averages, and the core count: printed with every result. */
function loadAverage() {
  const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return `load average ${a} ${b} ${c} on ${require('node:os').availableParallelism()} cores`;
}

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], runs: sorted.length };
}

/**
 * Whole processes, timed from outside. `subjects`: {name: {argv, env?, before?(), check?(result)}}.
 * Each round runs every subject once, in an order that rotates from round to round, so that a
 * change in the machine's load falls on all of them alike; `before` runs outside the timing (to
 * reset a file). The first `warmup` rounds are not counted (the page cache, the first exec).
 * Returns {name: {min, median, runs}}.
 */
function timeProcesses(subjects, { rounds, warmup = 1 }) {
  const names = Object.keys(subjects);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < warmup + rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length];
      const s = subjects[name];
      if (s.before) s.before();
      const t0 = now();
      const res = spawnSync(s.argv[0], s.argv.slice(1), { env: s.env ?? process.env, encoding: 'utf8', input: s.input, maxBuffer: 64 * 1024 * 1024 });
      const ms = now() - t0;
      const expect = s.exitCodes ?? [0];
      if (res.error || !expect.includes(res.status)) {
        throw new Error(`${name}: \`${s.argv.join(' ')}\` exited ${res.status}${res.error ? ` (${res.error.message})` : ''}: ${(res.stderr || '').slice(0, 2000)}\n${(res.stdout || '').slice(-3000)}`);
      }
      if (s.check) s.check(res);
      if (r >= warmup) times[name].push(ms);
    }
  }
  return Object.fromEntries(names.map((n) => [n, stats(times[n])]));
}

/**
 * Prints one comparison and records it for the summary that bench/run.js prints at the end.
 * `ratio`: subject/baseline (goal `max`), or baseline/subject when `faster` (goal `min`).
 */
function compare(label, subject, baseline, baseLabel, goal) {
  const faster = goal.min !== undefined;
  const r = (a, b) => (faster ? b / a : a / b);
  const med = r(subject.median, baseline.median);
  const min = r(subject.min, baseline.min);
  const met = faster ? med >= goal.min : med <= goal.max;
  const goalText = faster ? `goal >= ${goal.min}x` : `goal <= ${goal.max}x`;
  const digits = faster ? 0 : 2;
  console.log(
    `${label}: ${fmt(subject.median)} median, ${fmt(subject.min)} min (${subject.runs} runs) vs ${baseLabel} ${fmt(baseline.median)} median, ${fmt(baseline.min)} min (${baseline.runs} runs)\n` +
      `  => ${med.toFixed(digits)}x by medians, ${min.toFixed(digits)}x by minimums${faster ? ' faster' : ''} (${goalText}) - ${met ? 'met' : 'NOT met'}`,
  );
  record({ label, value: `${med.toFixed(digits)}x (min ${min.toFixed(digits)}x)`, goal: goalText, met });
}

/** Adds one line to the summary bench/run.js prints (LOOPKEEPER_BENCH_RESULTS, a JSON-lines file). */
function record(result) {
  const file = process.env.LOOPKEEPER_BENCH_RESULTS;
  if (file) require('node:fs').appendFileSync(file, `${JSON.stringify({ ...result, load: loadAverage() })}\n`);
}

module.exports = { now, median, ensureNamespace, fmt, bigHostsFile, loadAverage, stats, timeProcesses, compare, record };
