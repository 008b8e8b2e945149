// The state lock (src/reconcile/lock.ts): flock on Linux, a pid file where there is no flock.
// Waiting is observed through onWait (the event "someone else holds it"), release through the
// waiter getting it; a holder killed by SIGKILL must never leave the lock taken.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { acquireStateLock, parseHolder, processAlive, type LockHolder } from '../../../src/reconcile/lock';
import { createRunner } from '../../../src/platform/runner';

const DIST = resolve(__dirname, '..', '..', '..', 'dist');
const hasFlock = existsSync('/usr/bin/flock') || existsSync('/bin/flock');
const kinds: { name: string; candidates?: string[] }[] = [{ name: 'pidfile', candidates: [] }];
if (hasFlock) kinds.unshift({ name: 'flock' });
else if (process.env.CI === 'true') throw new Error('flock (util-linux) is required in CI');

describe.each(kinds)('state lock ($name)', ({ candidates }) => {
  const opts = (onWait?: (h: LockHolder | null) => void) => ({ runner: createRunner(), onWait, flockCandidates: candidates, pollMs: 10, command: 'test-holder' });

  it('a second taker waits (and is told who holds it) until the first releases', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lk-lock-')), 'state');
    const first = await acquireStateLock(dir, opts());
    expect(first.kind).toBe(candidates ? 'pidfile' : 'flock');
    let told: LockHolder | null = null;
    let got = false;
    let heard!: () => void;
    const waiting = new Promise<void>((r) => (heard = r));
    const second = acquireStateLock(
      dir,
      opts((h) => {
        told = h;
        heard();
      }),
    ).then((l) => {
      got = true;
      return l;
    });
    await waiting; // the event: it found the lock held
    expect(got).toBe(false);
    expect(told).toMatchObject({ pid: process.pid, command: 'test-holder' });
    await first.release();
    await first.release(); // idempotent
    await (await second).release(); // it got the lock once the first let it go
    expect(got).toBe(true);
  });

  it('a holder killed by SIGKILL never leaves it taken', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lk-lock-')), 'state');
    const script = `const { acquireStateLock } = require(${JSON.stringify(join(DIST, 'reconcile', 'lock.js'))});
      const { createRunner } = require(${JSON.stringify(join(DIST, 'platform', 'runner.js'))});
      acquireStateLock(${JSON.stringify(dir)}, { runner: createRunner(), flockCandidates: ${JSON.stringify(candidates ?? null)} ?? undefined })
        .then(() => { process.stdout.write('locked\\n'); setInterval(() => {}, 1000); });`;
    const holder = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => holder.stdout!.on('data', (b: Buffer) => b.toString().includes('locked') && r()));
    const exited = new Promise<void>((r) => holder.once('exit', () => r()));
    let waited: LockHolder | null = null;
    const taking = acquireStateLock(
      dir,
      opts((h) => {
        waited = h;
        holder.kill('SIGKILL'); // killed while someone waits for it
      }),
    );
    const lock = await taking;
    await exited;
    expect(waited).toMatchObject({ pid: holder.pid });
    await lock.release();
  });

  it('refuses a symbolic link planted where the lock file goes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-lock-'));
    const target = join(dir, 'elsewhere');
    symlinkSync(target, join(dir, candidates ? 'lock.pid' : 'lock'));
    await expect(acquireStateLock(dir, opts())).rejects.toThrow(/cannot take the state lock/);
    expect(existsSync(target)).toBe(false);
  });

  it('a state dir that cannot be created is a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-lock-'));
    writeFileSync(join(dir, 'file'), 'x');
    await expect(acquireStateLock(join(dir, 'file', 'state'), opts())).rejects.toThrow(/cannot take the state lock .*: the state dir cannot be used/);
  });
});

describe('pid-file lock', () => {
  it('takes over a lock whose holder is dead, and one that is not a lock file it writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-lock-'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    expect(processAlive(deadPid)).toBe(false);
    writeFileSync(join(dir, 'lock.pid'), JSON.stringify({ pid: deadPid }));
    let told = false;
    const l = await acquireStateLock(dir, { runner: createRunner(), flockCandidates: [], onWait: () => (told = true) });
    expect(told).toBe(false);
    expect(parseHolder(readFileSync(join(dir, 'lock.pid'), 'utf8'))).toMatchObject({ pid: process.pid });
    await l.release();
    expect(existsSync(join(dir, 'lock.pid'))).toBe(false);
    writeFileSync(join(dir, 'lock.pid'), 'garbage');
    await (await acquireStateLock(dir, { runner: createRunner(), flockCandidates: [] })).release();
  });
});

describe('parseHolder', () => {
  it('reads what a holder wrote and nothing else', () => {
    expect(parseHolder('{"pid": 12, "command": "loopkeeper apply", "since": "2026-01-01T00:00:00Z"}\n')).toEqual({ pid: 12, command: 'loopkeeper apply', since: '2026-01-01T00:00:00Z' });
    for (const bad of ['', 'x', '[]', 'null', '{"pid": -1}', '{"pid": 1.5}', '{"pid": "12"}']) expect(parseHolder(bad)).toBeNull();
    expect(parseHolder(JSON.stringify({ pid: 3, command: 'x'.repeat(10_000) }))!.command!.length).toBe(200);
  });
});
