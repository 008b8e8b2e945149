'use strict';
// Hosts engine vs npm `hostile` on the 122,000-line StevenBlack blocklist (from the corpus when
// it is beside the checkout, else generated with the same line count and shape; always copied
// to a temp dir, never edited in place). Goals: adding 100 names ≥100× faster than hostile (per-name
// set() calls, its only API for it), 0 bytes changed outside the block; a no-op apply ≤3× a bare
// readFileSync of the same file. Ratios are against baselines measured in this same run.
const { mkdtempSync, readFileSync, writeFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { median, now, fmt, bigHostsFile } = require('./lib');

const REPO = resolve(__dirname, '..');
const hosts = require(join(REPO, 'dist', 'hosts'));
const hostile = require('hostile');

const NAMES = Array.from({ length: 100 }, (_, i) => ({ name: `svc${i}.myteam.test`, addresses: [`127.0.0.${2 + (i % 10)}`] }));

/** Bytes of the original's lines that are not in the result any more (changed or lost). */
function bytesChangedOutside(original, result) {
  const counts = new Map();
  for (const l of original.toString('latin1').split('\n')) counts.set(l, (counts.get(l) || 0) + 1);
  for (const l of result.toString('latin1').split('\n')) {
    const c = counts.get(l);
    if (c) counts.set(l, c - 1);
  }
  let bytes = 0;
  for (const [l, c] of counts) bytes += c * (l.length + 1);
  return bytes;
}

async function main() {
  const source = bigHostsFile();
  const original = source.content;
  const dir = mkdtempSync(join(tmpdir(), 'lk-bench-hosts-'));
  const lkFile = join(dir, 'hosts-loopkeeper');
  const hostileFile = join(dir, 'hosts-hostile');
  const stateDir = join(dir, 'state');
  console.log(`file: ${source.label} (${original.length} bytes, ${original.toString('latin1').split('\n').length} lines)`);

  // --- add 100 names ---
  const lkTimes = [];
  for (let rep = 0; rep < 5; rep++) {
    writeFileSync(lkFile, original);
    // A different list each time, so no rep reuses the previous rep's plan (cold, like a new process).
    const names = rep === 4 ? NAMES : NAMES.map((h) => ({ ...h, name: `r${rep}-${h.name}` }));
    const t0 = now();
    const out = await hosts.applyHosts(lkFile, names, { stateDir });
    lkTimes.push(now() - t0);
    if (!out.written) throw new Error('loopkeeper did not write');
  }
  lkTimes.sort((a, b) => a - b);
  const lkAdd = lkTimes[2];
  writeFileSync(lkFile, original); // the measured result below: the plain 100 names
  await hosts.applyHosts(lkFile, NAMES, { stateDir });
  const lkResult = readFileSync(lkFile);
  const lkRestored = hosts.planHosts(lkResult, null).next;
  const lkExact = lkRestored !== null && lkRestored.equals(original);

  writeFileSync(hostileFile, original);
  hostile.HOSTS = hostileFile;
  const h0 = now();
  for (const h of NAMES) hostile.set(h.addresses[0], h.name);
  const hostileAdd = now() - h0;
  const hostileResult = readFileSync(hostileFile);

  console.log(`add 100 names: loopkeeper ${fmt(lkAdd)} (median of 5, one applyHosts incl. backup + fsync)`);
  console.log(`               hostile    ${fmt(hostileAdd)} (100 × hostile.set)`);
  console.log(`               ratio      ${(hostileAdd / lkAdd).toFixed(0)}× faster (goal ≥100×)`);
  console.log(
    `bytes of original lines changed outside the block: loopkeeper ${bytesChangedOutside(original, lkResult)}` +
      ` (remove gives the original back byte for byte: ${lkExact}), hostile ${bytesChangedOutside(original, hostileResult)}`,
  );

  // --- no-op ---
  const opts = { stateDir };
  const readBase = await median(30, () => readFileSync(lkFile), 3);
  const noop = await median(30, async () => {
    const out = await hosts.applyHosts(lkFile, NAMES, opts);
    if (out.written) throw new Error('a no-op apply wrote');
  }, 3);
  const planOnly = await median(30, () => hosts.planHosts(lkResult, NAMES), 3);
  console.log(`no-op apply:   loopkeeper ${fmt(noop)} vs bare readFileSync ${fmt(readBase)} → ${(noop / readBase).toFixed(2)}× (goal ≤3×)`);
  console.log(`               (a changed file or desired state is planned afresh: planHosts alone takes ${fmt(planOnly)})`);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
