'use strict';
// Small helpers shared by benchmarks: timing, medians, and re-running inside a namespace.
const { spawnSync } = require('node:child_process');

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

module.exports = { now, median, ensureNamespace, fmt };
