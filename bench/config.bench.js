#!/usr/bin/env node
// Config loading at scale: a 10,000-entry config (5,000 aliases, 5,000 hosts) loaded through the
// whole pipeline (read, YAML with positions, zod, rules, merge) against a bare YAML.parse of the
// same text, both measured in this run. Run after a build: `node bench/run.js config`.
'use strict';
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const YAML = require('yaml');
const { median, fmt } = require('./lib');
const { loadConfig } = require('../dist/config');

const ALIASES = 5000;
const HOSTS = 5000;
const RUNS = 7;

function address(i) {
  return `127.${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}

function configText() {
  const lines = ['version: 1', 'aliases:'];
  for (let i = 0; i < ALIASES; i++) lines.push(i % 2 ? `  - ${address(i)}` : `  - fd00::${i.toString(16)}`);
  lines.push('hosts:');
  for (let i = 0; i < HOSTS; i++) {
    lines.push(i % 3 ? `  svc-${i}.bench.test: ${address(i)}` : `  svc-${i}.bench.test: [${address(i)}, fd00::${i.toString(16)}]`);
  }
  lines.push('settings:', '  schedule: "*/5 * * * *"', '  aliasesFromHosts: true', '');
  return lines.join('\n');
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'lk-bench-config-'));
  const file = join(dir, 'loopkeeper.yaml');
  try {
    const text = configText();
    writeFileSync(file, text);
    const check = await loadConfig([file], { strictModes: false });
    if (check.desired === null) throw new Error(`bench config is invalid: ${check.diagnostics[0] && check.diagnostics[0].message}`);

    // The baseline reads the file too, so both sides pay for the same I/O.
    const bare = await median(RUNS, () => YAML.parse(readFileSync(file, 'utf8')));
    // YAML.parse checks duplicate keys pairwise (quadratic in a 5,000-key map); loadConfig turns
    // that off and finds duplicates itself. The second baseline isolates the rest of the pipeline.
    const noDupCheck = await median(RUNS, () => YAML.parse(readFileSync(file, 'utf8'), { uniqueKeys: false }));
    const full = await median(RUNS, () => loadConfig([file], { strictModes: false }));

    console.log(`config: ${ALIASES} aliases + ${HOSTS} hosts, ${(text.length / 1024).toFixed(0)} KiB, median of ${RUNS} runs`);
    console.log(`  YAML.parse (baseline)          ${fmt(bare)}`);
    console.log(`  YAML.parse, uniqueKeys: false  ${fmt(noDupCheck)}`);
    console.log(`  loadConfig                     ${fmt(full)}  (${(full / bare).toFixed(2)}× YAML.parse; ${(full / noDupCheck).toFixed(2)}× YAML.parse without its duplicate-key check)`);
    console.log(`  desired state: ${check.desired.aliases.length} aliases, ${check.desired.hosts.length} hosts`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
