// The unit's readiness step (dist/service/ready.js, ExecStartPost=) and the wait `install` shares.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callSocket, describeReady, main, processAlive, waitForAnswer, type ReadyAnswer, type SocketCall } from '../../../src/service/ready';

const errno = (code: string) => Object.assign(new Error(`connect ${code} /run/x.sock`), { code });
const answer = (status: number, body: object = {}, retryAfterSeconds: number | null = null): ReadyAnswer => ({
  status,
  body: JSON.stringify(body),
  retryAfterSeconds,
});

/** A clock that only moves when the code under test sleeps: no real time passes. */
function virtualTime() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

function scripted(steps: Array<ReadyAnswer | Error>): SocketCall & { calls: number } {
  const f = (async () => {
    const step = steps[Math.min(f.calls, steps.length - 1)]!;
    f.calls += 1;
    if (step instanceof Error) throw step;
    return step;
  }) as unknown as SocketCall & { calls: number };
  f.calls = 0;
  return f;
}

describe('waitForAnswer', () => {
  const base = { socket: '/run/x.sock', method: 'POST' as const, path: '/v1/reconcile', withinMs: 60_000 };

  it('retries while the socket is missing or refuses, with a growing pause, then returns the answer', async () => {
    const clock = virtualTime();
    const call = scripted([errno('ENOENT'), errno('ENOENT'), errno('ECONNREFUSED'), answer(200, { result: 'ok' })]);
    const r = await waitForAnswer({ ...base, call, ...clock });
    expect(r).toEqual({ ok: true, answer: answer(200, { result: 'ok' }), attempts: 4 });
    expect(clock.sleeps).toEqual([20, 40, 80]);
  });

  it('counts any answer but 429, and waits out Retry-After on a 429', async () => {
    const clock = virtualTime();
    const call = scripted([answer(429, {}, 2), answer(503, { healthy: false })]);
    const r = await waitForAnswer({ ...base, call, ...clock });
    expect(r).toMatchObject({ ok: true, answer: { status: 503 }, attempts: 2 });
    expect(clock.sleeps).toEqual([2000]);
  });

  it('gives up at the bound and says what it saw', async () => {
    const clock = virtualTime();
    const r = await waitForAnswer({ ...base, withinMs: 1000, call: scripted([errno('ENOENT')]), ...clock });
    expect(r).toMatchObject({ ok: false, reason: '/run/x.sock never appeared within 1 s' });
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(1000);
    const refused = await waitForAnswer({ ...base, withinMs: 1000, call: scripted([errno('ECONNREFUSED')]), ...virtualTime() });
    expect(refused).toMatchObject({ ok: false, reason: 'nothing accepted connections on /run/x.sock (ECONNREFUSED) within 1 s' });
  });

  it('stops at once when the daemon process is gone, and on an error that will not go away', async () => {
    const clock = virtualTime();
    const r = await waitForAnswer({ ...base, call: scripted([errno('ENOENT')]), alive: () => false, ...clock });
    expect(r).toEqual({ ok: false, reason: 'it exited before it answered (/run/x.sock never appeared)', attempts: 1 });
    expect(clock.sleeps).toEqual([]);
    const denied = await waitForAnswer({ ...base, call: scripted([errno('EACCES')]), ...virtualTime() });
    expect(denied).toMatchObject({ ok: false, reason: '/run/x.sock: connect EACCES /run/x.sock', attempts: 1 });
  });

  it('processAlive: this process is, a reaped one is not', async () => {
    expect(processAlive(process.pid)).toBe(true);
    const child = require('node:child_process').spawnSync(process.execPath, ['-e', '0']);
    expect(processAlive(child.pid)).toBe(false);
  });
});

describe('describeReady', () => {
  it('one journal line for the reconcile it waited for, also for odd answers', () => {
    expect(describeReady(answer(200, { result: 'ok', changes: [{}, {}] }))).toBe(
      'loopkeeperd is ready: the first reconcile has finished (result ok, 2 change(s) in the run waited for)',
    );
    expect(describeReady(answer(500, { error: { message: 'boom' } }))).toBe('loopkeeperd answered 500 after its first reconcile: boom');
    expect(describeReady({ status: 200, body: 'not json', retryAfterSeconds: null })).toBe('loopkeeperd answered 200 after its first reconcile');
  });
});

describe('the readiness step against a real unix-socket server', () => {
  let dir: string;
  let server: Server | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lk-ready-'));
  });
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A daemon stand-in: answers POST /v1/reconcile only when `release` is called (the reconcile finishing). */
  function daemon(socket: string) {
    let release!: () => void;
    const finished = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    let got!: () => void;
    const requested = new Promise<void>((r) => (got = r));
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      got();
      void finished.then(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ result: 'ok', changes: [{ kind: 'alias' }] }));
      });
    });
    return { seen, release, requested, listen: () => new Promise<void>((r) => server!.listen(socket, r)) };
  }

  it('callSocket speaks HTTP over the socket and keeps the errno of a failed connect', async () => {
    const socket = join(dir, 'd.sock');
    await expect(callSocket(socket, 'GET', '/v1/health')).rejects.toMatchObject({ code: 'ENOENT' });
    const d = daemon(socket);
    await d.listen();
    d.release();
    await expect(callSocket(socket, 'POST', '/v1/reconcile')).resolves.toMatchObject({ status: 200 });
    expect(d.seen).toEqual(['POST /v1/reconcile']);
  });

  it('main: waits for the socket to appear, then returns only when the reconcile answer comes', async () => {
    const socket = join(dir, 'd.sock');
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (writes.push(String(c)), true));
    try {
      let done = false;
      const run = main(['node', 'ready.js', '--socket', socket], {}).then((code) => ((done = true), code));
      const d = daemon(socket);
      await d.listen(); // the socket appears after the step started
      await d.requested; // the step's request has arrived …
      expect(done).toBe(false); // … and the step still waits: the reconcile has not finished
      d.release();
      expect(await run).toBe(0);
      expect(writes.join('')).toBe('loopkeeperd is ready: the first reconcile has finished (result ok, 1 change(s) in the run waited for)\n');
    } finally {
      spy.mockRestore();
    }
  });

  it('main: exit 1 with the reason when the daemon never answers; exit 2 on a bad argument', async () => {
    const errs: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (errs.push(String(c)), true));
    try {
      expect(await main(['node', 'ready.js', '--socket', join(dir, 'none.sock'), '--within-ms', '1'], {})).toBe(1);
      expect(errs.join('')).toMatch(/^loopkeeper-ready: loopkeeperd did not answer: .*none\.sock never appeared within 0 s; see `journalctl -u loopkeeper`\n$/);
      // A dead MAINPID (systemd's variable for ExecStartPost) ends the wait at once.
      const dead = require('node:child_process').spawnSync(process.execPath, ['-e', '0']).pid as number;
      errs.length = 0;
      expect(await main(['node', 'ready.js', '--socket', join(dir, 'none.sock')], { MAINPID: String(dead) })).toBe(1);
      expect(errs.join('')).toMatch(/it exited before it answered/);
      expect(await main(['node', 'ready.js', '--bogus'], {})).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });
});
