#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.js in its own process, in name order, and prints their
// output, then a summary of every goal with the machine's load average. Each benchmark prints
// ratios against a baseline measured in the same run (never a fixed wall-clock limit), except the
// daemon's absolute goals (config save → applied, resident memory). Benchmarks that need a real
// `lo` re-run themselves inside a private network namespace (see bench/lib.js). Pass names to run
// a subset: `npm run bench -- process`.
'use strict';
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');
const { loadAverage } = require('./lib');

const only = process.argv.slice(2);
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
const dir = mkdtempSync(join(tmpdir(), 'lk-bench-results-'));
const results = join(dir, 'results.jsonl');
const startLoad = loadAverage();
process.stdout.write(`node ${process.version}, ${startLoad} at the start\n`);
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f} (${loadAverage()}) ===\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(__dirname, f)], {
    stdio: 'inherit',
    env: { ...process.env, LOOPKEEPER_BENCH_RESULTS: results },
  });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`${f}: exited ${r.status}\n`);
  }
}

let lines = [];
try {
  lines = readFileSync(results, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
} catch {
  /* no benchmark recorded a goal */
}
rmSync(dir, { recursive: true, force: true });
if (lines.length > 0) {
  process.stdout.write(`\n=== goals (one run: ${startLoad} at the start, ${loadAverage()} at the end) ===\n`);
  const width = Math.max(...lines.map((l) => l.label.length));
  for (const l of lines) {
    process.stdout.write(`${l.met ? 'met    ' : 'NOT met'}  ${l.label.padEnd(width)}  ${l.value}  (${l.goal}; ${l.load})\n`);
  }
}
process.exitCode = failed ? 1 : 0;
