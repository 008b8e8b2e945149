'use strict';
// Aliases at 1,000: loopkeeper's full reconcile (ledger read, observe, plan, ONE `ip -batch`,
// re-observe, ledger write) against the floor — the same 1,000 lines fed straight to `ip -batch -`.
// Then a no-op reconcile at 1,000 aliases: it must spawn nothing and stay in the low milliseconds.
// Runs inside a private network namespace (never the machine's own lo).
const { spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { ensureNamespace, median, now, fmt } = require('./lib');

ensureNamespace();

const dist = join(__dirname, '..', 'dist');
const { createPlatform } = require(join(dist, 'platform', 'index.js'));
const { createRunner } = require(join(dist, 'platform', 'runner.js'));
const { reconcileAliases } = require(join(dist, 'reconcile', 'aliases.js'));

const N = 1000;
const RUNS = 15;
const addrs = [];
for (let i = 0; i < N; i++) addrs.push(`127.0.${10 + (i >> 8)}.${i & 255}`);
const addLines = addrs.map((a) => `addr add ${a}/32 dev lo\n`).join('');
const delLines = addrs.map((a) => `addr del ${a}/32 dev lo\n`).join('');
const ipBatch = (input) => {
  const r = spawnSync('/usr/sbin/ip', ['-batch', '-'], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip -batch failed: ${r.stderr}`);
};
// Clean-up only: whatever is left, gone (missing lines are fine).
const ipClear = () => spawnSync('/usr/sbin/ip', ['-force', '-batch', '-'], { input: delLines, encoding: 'utf8' });

const runner = createRunner();
const platform = createPlatform({ platform: 'linux', interfaceName: 'lo', runner, allowAliasRanges: [] });
let stateDir = mkdtempSync(join(tmpdir(), 'lk-bench-aliases-'));
const opts = () => ({ stateDir, prune: true, mode: 'reconcile', dryRun: false });

(async () => {
  // Alternate baseline and loopkeeper runs, deleting between them outside the timing; the first
  // pair is a warm-up.
  const times = { base: [], lk: [] };
  ipClear();
  for (let i = 0; i < RUNS + 1; i++) {
    let t0 = now();
    ipBatch(addLines);
    const base = now() - t0;
    ipBatch(delLines);

    rmSync(stateDir, { recursive: true, force: true });
    stateDir = mkdtempSync(join(tmpdir(), 'lk-bench-aliases-'));
    t0 = now();
    const o = await reconcileAliases(platform, addrs, opts());
    const lk = now() - t0;
    if (o.failed.length > 0 || o.applied.length !== N) throw new Error(`reconcile failed: ${JSON.stringify(o.failed.slice(0, 3))}`);
    ipBatch(delLines);
    if (i > 0) {
      times.base.push(base);
      times.lk.push(lk);
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = med(times.base);
  const lk = med(times.lk);
  console.log(`apply ${N} aliases: ip -batch alone ${fmt(base)}, reconcileAliases ${fmt(lk)} => ${(lk / base).toFixed(2)}x (goal <= 1.5x)`);

  // No-op at 1,000 aliases.
  await reconcileAliases(platform, addrs, opts());
  const before = runner.spawned;
  let planned = 0;
  const noop = await median(RUNS * 3, async () => {
    const o = await reconcileAliases(platform, addrs, opts());
    planned += o.plan.changes.length;
  });
  const spawned = runner.spawned - before;
  const t0 = now();
  const osList = require('node:os').networkInterfaces();
  const osMs = now() - t0;
  console.log(
    `no-op reconcile at ${N} aliases: ${fmt(noop)} median (goal <= 10 ms), processes spawned ${spawned} (must be 0), ` +
      `changes planned ${planned}; os.networkInterfaces() alone ${fmt(osMs)} (${(osList.lo || []).length} addresses)`,
  );
  ipBatch(delLines);
  if (spawned !== 0 || planned !== 0) process.exitCode = 1;
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
