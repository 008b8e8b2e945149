// Another program appends to the hosts file while loopkeeper keeps rewriting its block: every
// appended line must survive (loopkeeper re-reads and merges, it never overwrites their edit).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyHosts, planHosts } from '../../src/hosts';

const LINES = 400;

// Appends one line at a time, as `echo … >> /etc/hosts` would, with short random pauses.
const APPENDER = `
const fs = require('node:fs');
const [file, n] = process.argv.slice(2);
const sleep = new Int32Array(new SharedArrayBuffer(4));
for (let i = 0; i < Number(n); i++) {
  fs.appendFileSync(file, '10.200.' + (i >> 8) + '.' + (i & 255) + ' appended-' + i + '.test\\n');
  Atomics.wait(sleep, 0, 0, Math.random() * 6);
}
`;

describe('another program appending while loopkeeper writes', () => {
  it(`keeps all ${LINES} appended lines and ends with the block in sync`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-hosts-conc-'));
    const file = join(dir, 'hosts');
    const state = join(dir, 'state');
    writeFileSync(file, '127.0.0.1 localhost\n::1 localhost\n');
    writeFileSync(join(dir, 'appender.js'), APPENDER);
    const appender = spawn(process.execPath, [join(dir, 'appender.js'), file, String(LINES)], { stdio: 'inherit' });
    const done = new Promise<number | null>((res) => appender.once('exit', (code) => res(code)));
    let finished = false;
    void done.then(() => (finished = true));

    let writes = 0;
    let retried = 0;
    let gaveUp = 0;
    for (let i = 0; !finished; i++) {
      const desired = Array.from({ length: 1 + (i % 7) }, (_, j) => ({ name: `svc${j}.test`, addresses: [`127.0.0.${2 + ((i + j) % 5)}`] }));
      try {
        const out = await applyHosts(file, desired, { stateDir: state });
        if (out.written) writes++;
        if (out.attempts > 1) retried++;
      } catch (e) {
        // Outpaced 5 times in a row: it gives up without writing (the daemon retries later).
        expect(String(e)).toMatch(/keeps changing under us/);
        gaveUp++;
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(await done).toBe(0);
    const final = [{ name: 'final.test', addresses: ['127.0.0.9'] }];
    await applyHosts(file, final, { stateDir: state });

    const text = readFileSync(file, 'latin1');
    const missing = Array.from({ length: LINES }, (_, i) => `appended-${i}.test`).filter((n) => !text.includes(` ${n}\n`));
    expect(missing).toEqual([]);
    expect(planHosts(readFileSync(file), final).next).toBeNull();
    expect(writes).toBeGreaterThan(10);
    // eslint-disable-next-line no-console
    console.log(`concurrency: ${writes} writes, ${retried} re-merged after a concurrent append, ${gaveUp} gave up`);
  });
});
