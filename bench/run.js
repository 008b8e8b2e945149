#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.js in its own process, in name order, and prints their
// output. Each benchmark prints ratios against a baseline measured in the same run (never a fixed
// wall-clock limit). Benchmarks that need a real `lo` re-run themselves inside a private network
// namespace (see bench/lib.js). Pass names to run a subset: `npm run bench -- hosts`.
'use strict';
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const only = process.argv.slice(2);
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f} ===\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(__dirname, f)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`${f}: exited ${r.status}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
