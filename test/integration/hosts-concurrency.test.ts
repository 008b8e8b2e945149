// Another program appends to the hosts file while loopkeeper keeps rewriting its block: every
// appended line must survive (loopkeeper re-reads and merges, it never overwrites their edit).
//
// In lock step, not by timing: for each round the test tells the appender "go", starts a write
// at once (so the append races with that write, landing before, during or after it), and waits
// for the appender to report the lines it appended before the next round. Every round is a
// write racing an append, on any machine at any speed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyHosts, planHosts } from '../../src/hosts';

const LINES = 400;

// On each "go N" line on stdin, appends N lines, one write each (as `echo … >> /etc/hosts`
// would), then reports "appended TOTAL".
const APPENDER = `
const fs = require('node:fs');
const file = process.argv[2];
let total = 0;
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf('\\n')) >= 0) {
    const n = Number(buf.slice(0, nl).split(' ')[1]);
    buf = buf.slice(nl + 1);
    for (let j = 0; j < n; j++, total++) fs.appendFileSync(file, '10.200.' + (total >> 8) + '.' + (total & 255) + ' appended-' + total + '.test\\n');
    process.stdout.write('appended ' + total + '\\n');
  }
});
`;

describe('another program appending while loopkeeper writes', () => {
  it(`keeps all ${LINES} appended lines and ends with the block in sync`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-hosts-conc-'));
    const file = join(dir, 'hosts');
    const state = join(dir, 'state');
    writeFileSync(file, '127.0.0.1 localhost\n::1 localhost\n');
    writeFileSync(join(dir, 'appender.js'), APPENDER);
    const appender = spawn(process.execPath, [join(dir, 'appender.js'), file], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exit = new Promise<number | null>((res) => appender.once('exit', (code) => res(code)));
    const reports: string[] = [];
    let wake: (() => void) | null = null;
    let out = '';
    appender.stdout!.setEncoding('utf8');
    appender.stdout!.on('data', (c: string) => {
      out += c;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        reports.push(out.slice(0, nl));
        out = out.slice(nl + 1);
      }
      wake?.();
    });
    const report = async (): Promise<string> => {
      while (reports.length === 0) await new Promise<void>((r) => (wake = r));
      return reports.shift()!;
    };

    let writes = 0;
    let retried = 0;
    let gaveUp = 0;
    let appended = 0;
    for (let i = 0; appended < LINES; i++) {
      const burst = Math.min(LINES - appended, 1 + (i % 3));
      appender.stdin!.write(`go ${burst}\n`);
      const desired = Array.from({ length: 1 + (i % 7) }, (_, j) => ({ name: `svc${j}.test`, addresses: [`127.0.0.${2 + ((i + j) % 5)}`] }));
      try {
        const done = await applyHosts(file, desired, { stateDir: state });
        if (done.written) writes++;
        if (done.attempts > 1) retried++;
      } catch (e) {
        // Outpaced 5 times in a row: it gives up without writing (the daemon retries later).
        expect(String(e)).toMatch(/keeps changing under us/);
        gaveUp++;
      }
      appended = Number((await report()).split(' ')[1]);
    }
    appender.stdin!.end();
    expect(await exit).toBe(0);
    const final = [{ name: 'final.test', addresses: ['127.0.0.9'] }];
    await applyHosts(file, final, { stateDir: state });

    const text = readFileSync(file, 'latin1');
    const missing = Array.from({ length: LINES }, (_, i) => `appended-${i}.test`).filter((n) => !text.includes(` ${n}\n`));
    expect(missing).toEqual([]);
    expect(planHosts(readFileSync(file), final).next).toBeNull();
    // Every round changed the desired block, so every round wrote (or gave up, saying why).
    expect(writes + gaveUp).toBeGreaterThan(100);
    // eslint-disable-next-line no-console
    console.log(`concurrency: ${writes} writes, ${retried} re-merged after a concurrent append, ${gaveUp} gave up`);
  });
});
