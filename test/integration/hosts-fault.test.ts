// Crash safety: a writer killed (SIGKILL) at any moment leaves the hosts file as one complete
// version, never empty or cut; temp files of dead writers are cleaned up by the next write.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { applyHosts, planHosts } from '../../src/hosts';
import { listBackups } from '../../src/hosts/backups';
import { REPO } from '../helpers/cli';

const KILLS = 200;
const SOURCE = resolve(REPO, '..', 'shared', 'corpus', 'hosts', 'mvps-hosts-2020-01-24'); // 386 KB
const A = [{ name: 'api.myteam.test', addresses: ['127.0.0.2'] }];
const B = Array.from({ length: 50 }, (_, i) => ({ name: `svc${i}.myteam.test`, addresses: [`127.0.1.${i + 1}`, 'fd00::2'] }));

// Applies A, B, A, B, … forever; says "ready" once loaded so kills land in the write loop.
const CHILD = `
const { applyHosts } = require(process.argv[2]);
const [file, state] = process.argv.slice(3);
const A = ${JSON.stringify(A)};
const B = ${JSON.stringify(B)};
(async () => {
  process.stdout.write('ready\\n');
  for (let i = 0; ; i++) await applyHosts(file, i % 2 ? B : A, { stateDir: state });
})();
`;

function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((res, rej) => {
    child.stdout!.once('data', () => res());
    child.once('exit', (code, signal) => rej(new Error(`child exited early (${code ?? signal})`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((res) => (child.exitCode !== null || child.signalCode !== null ? res() : child.once('exit', () => res())));
}

describe('a writer killed at random moments', () => {
  it(`leaves one complete version every time (${KILLS} SIGKILLs)`, async () => {
    const dist = join(REPO, 'dist', 'hosts', 'index.js');
    readFileSync(dist); // built by `npm test`
    const dir = mkdtempSync(join(tmpdir(), 'lk-hosts-fault-'));
    const file = join(dir, 'hosts');
    const state = join(dir, 'state');
    const original = readFileSync(SOURCE);
    writeFileSync(file, original);
    writeFileSync(join(dir, 'child.js'), CHILD);
    const vA = planHosts(original, A).next!;
    const vB = planHosts(vA, B).next!;
    expect(planHosts(vB, A).next).toEqual(vA);
    const known = [original, vA, vB];

    const seen = new Map<string, number>();
    let maxTemps = 0;
    for (let k = 0; k < KILLS; k++) {
      const child = spawn(process.execPath, [join(dir, 'child.js'), dist, file, state], { stdio: ['ignore', 'pipe', 'inherit'] });
      await waitReady(child);
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      child.kill('SIGKILL');
      await exited(child);
      const now = readFileSync(file);
      const which = known.findIndex((v) => v.equals(now));
      if (which < 0) throw new Error(`after kill ${k + 1} the file is none of the known versions (${now.length} bytes)`);
      seen.set(['original', 'A', 'B'][which]!, (seen.get(['original', 'A', 'B'][which]!) ?? 0) + 1);
      maxTemps = Math.max(maxTemps, readdirSync(dir).filter((n) => n.startsWith('.loopkeeper-tmp-')).length);
    }
    // The kills landed in the write loop (both versions seen), and temp files never piled up:
    // each new writer removes the ones dead writers left.
    expect(seen.get('A') ?? 0).toBeGreaterThan(0);
    expect(seen.get('B') ?? 0).toBeGreaterThan(0);
    expect(maxTemps).toBeLessThanOrEqual(2);
    expect(listBackups(state).length).toBeLessThanOrEqual(11);

    const current = readFileSync(file);
    await applyHosts(file, current.equals(vA) ? B : A, { stateDir: state });
    expect(readdirSync(dir).filter((n) => n.startsWith('.loopkeeper-tmp-'))).toEqual([]);
    expect(listBackups(state).length).toBe(10);
    expect(planHosts(readFileSync(file), null).next).toEqual(original);
  });
});
