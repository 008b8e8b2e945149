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

module.exports = { now, median, ensureNamespace, fmt, bigHostsFile };
