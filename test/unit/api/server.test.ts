import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer, MAX_BODY_BYTES, type ApiServer } from '../../../src/api/server';
import { ownerSocketPath } from '../../../src/api/socket-path';
import { http, idle, raw } from '../../helpers/http-unix';
import { stubHandlers } from '../../helpers/api-stub';

const quiet = { warn: () => undefined, error: () => undefined };

describe('API server on a unix socket', () => {
  let dir: string;
  let sock: string;
  let api: ApiServer;
  let reconciles = 0;
  let healthy = true;
  let failStatus = false;
  let t = 0;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lk-api-'));
    sock = join(dir, 'run', 'loopkeeper.sock');
    reconciles = 0;
    healthy = true;
    failStatus = false;
    t = 0;
    api = createApiServer({
      handlers: stubHandlers({
        status: () => {
          if (failStatus) throw new Error('status exploded');
          return { ok: true };
        },
        health: () => ({ healthy, body: { healthy } }),
        reconcile: async () => ({ result: 'ok', n: ++reconciles }),
        metrics: () => 'loopkeeper_up 1\n',
      }),
      logger: quiet,
      now: () => t,
      idleTimeoutMs: 500,
      headersTimeoutMs: 500,
      requestTimeoutMs: 1000,
    });
    await api.listen(sock);
  });

  afterEach(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the socket directory, a socket any local user may use (0666) and the owner-only socket beside it (0600)', () => {
    const st = statSync(sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o666);
    expect(ownerSocketPath(sock)).toBe(join(dir, 'run', 'loopkeeper.root.sock'));
    const owner = statSync(ownerSocketPath(sock));
    expect(owner.isSocket()).toBe(true);
    expect(owner.mode & 0o777).toBe(0o600);
    expect(owner.uid).toBe(process.geteuid!());
  });

  it('serves the same routes on the owner socket', async () => {
    expect((await http(ownerSocketPath(sock), 'GET', '/v1/status')).json).toEqual({ ok: true });
    expect((await http(ownerSocketPath(sock), 'POST', '/v1/reconcile')).status).toBe(200);
  });

  it('serves status, health, metrics and reconcile', async () => {
    expect((await http(sock, 'GET', '/v1/status')).json).toEqual({ ok: true });
    expect((await http(sock, 'GET', '/v1/health')).status).toBe(200);
    healthy = false;
    const h = await http(sock, 'GET', '/v1/health');
    expect(h.status).toBe(503);
    expect(h.json).toEqual({ healthy: false });
    const m = await http(sock, 'GET', '/metrics');
    expect(m.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/);
    expect(m.text).toBe('loopkeeper_up 1\n');
    const r = await http(sock, 'POST', '/v1/reconcile');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ result: 'ok', n: 1 });
  });

  it('refuses unknown, repeated or malformed status parameters with a JSON 400 that names the accepted ones', async () => {
    for (const q of ['verbose=1', 'aliases=some', 'aliases=all&hosts=all', 'aliases=all&aliases=all', 'offset=3', 'aliases=all&limit=0', 'aliases=all&limit=99999', 'aliases=all&offset=-1', `x${'y'.repeat(5000)}=1`]) {
      const r = await http(sock, 'GET', `/v1/status?${q}`);
      expect({ q: q.slice(0, 40), status: r.status, code: r.json?.error?.code }).toEqual({ q: q.slice(0, 40), status: 400, code: 'bad_query' });
      expect(r.text.length).toBeLessThan(1000);
    }
    expect((await http(sock, 'GET', '/v1/status?verbose=1')).json.error.message).toMatch(/accepts aliases=all or hosts=all/);
    expect((await http(sock, 'GET', '/v1/status?aliases=all&offset=0&limit=10')).status).toBe(200);
  });

  it('answers unknown routes 404 and wrong methods 405 with Allow, always as JSON', async () => {
    const nf = await http(sock, 'GET', '/v2/nothing');
    expect(nf.status).toBe(404);
    expect(nf.json.error.code).toBe('not_found');
    const wm = await http(sock, 'GET', '/v1/reconcile');
    expect(wm.status).toBe(405);
    expect(wm.headers.allow).toBe('POST');
    expect(wm.json.error.message).toMatch(/accepts POST/);
    const del = await http(sock, 'DELETE', '/v1/status');
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe('GET, HEAD');
    expect((await http(sock, 'HEAD', '/v1/status')).status).toBe(200);
  });

  it('refuses bodies over 64 KiB with 413, declared or streamed', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 'a');
    const declared = await http(sock, 'POST', '/v1/reconcile', { body: big });
    expect(declared.status).toBe(413);
    expect(declared.json.error.code).toBe('body_too_large');
    const chunked = await raw(
      sock,
      `POST /v1/reconcile HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(MAX_BODY_BYTES + 10).toString(16)}\r\n${'b'.repeat(MAX_BODY_BYTES + 10)}\r\n0\r\n\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1.1 413/);
    expect(reconciles).toBe(0);
    const small = await http(sock, 'POST', '/v1/reconcile', { body: '{"x":1}', headers: { 'Content-Type': 'application/json' } });
    expect(small.status).toBe(200);
  });

  it('takes no input on any route: a reconcile with a config-like body or query reconciles the daemon’s own state', async () => {
    const seenArgs: unknown[][] = [];
    await api.close();
    api = createApiServer({
      handlers: stubHandlers({ status: () => ({}), health: () => ({ healthy: true, body: {} }), reconcile: async (...args: unknown[]) => (seenArgs.push(args), { result: 'ok' }), metrics: () => '' }),
      logger: quiet,
    });
    await api.listen(sock);
    const r = await http(sock, 'POST', '/v1/reconcile?aliases=10.0.0.1', { body: 'version: 1\naliases: [10.0.0.1]\n', headers: { 'Content-Type': 'application/yaml' } });
    expect(r.status).toBe(200);
    expect(seenArgs).toEqual([[]]);
  });

  it('rate-limits reconcile to a burst of 10, then 429 with Retry-After', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await http(sock, 'POST', '/v1/reconcile')).status);
    expect(codes.slice(0, 10).every((c) => c === 200)).toBe(true);
    const limited = await http(sock, 'POST', '/v1/reconcile');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.json.error.code).toBe('rate_limited');
    t += 1000;
    expect((await http(sock, 'POST', '/v1/reconcile')).status).toBe(200);
  });

  it('keeps a reconcile share for the owner socket: a flood on the public socket cannot make root get 429', async () => {
    const publicCodes = await Promise.all(Array.from({ length: 30 }, () => http(sock, 'POST', '/v1/reconcile').then((r) => r.status)));
    expect(publicCodes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(20);
    const owner = [];
    for (let i = 0; i < 10; i++) owner.push((await http(ownerSocketPath(sock), 'POST', '/v1/reconcile')).status);
    expect(owner).toEqual(Array(10).fill(200));
    expect((await http(ownerSocketPath(sock), 'POST', '/v1/reconcile')).status).toBe(429); // its own bucket is bounded too
  });

  it('answers garbage bytes with a JSON 400 and keeps serving', async () => {
    for (const junk of ['\x00\x01\x02garbage\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', 'NOT HTTP AT ALL\r\n\r\n', '\r\n\r\n\r\n\r\n']) {
      const reply = await raw(sock, junk);
      if (reply !== '') {
        expect(reply).toMatch(/^HTTP\/1.1 4\d\d/);
        expect(reply).toMatch(/"error"/);
      }
    }
    const hugeHeader = await raw(sock, `GET /v1/status HTTP/1.1\r\nX-Big: ${'h'.repeat(32 * 1024)}\r\n\r\n`);
    expect(hugeHeader).toMatch(/^HTTP\/1.1 431/);
    expect((await http(sock, 'GET', '/v1/health')).status).toBe(200);
  });

  it('turns a handler error into a JSON 500 and keeps serving', async () => {
    failStatus = true;
    const r = await http(sock, 'GET', '/v1/status');
    expect(r.status).toBe(500);
    expect(r.json.error.message).toBe('status exploded');
    failStatus = false;
    expect((await http(sock, 'GET', '/v1/status')).status).toBe(200);
  });

  it('closes idle connections and half-sent requests after the timeouts', async () => {
    const s = await idle(sock);
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    const half = raw(sock, 'GET /v1/status HTTP/1.1\r\nHost: x\r\n');
    await closed;
    expect(await half).toMatch(/^(HTTP\/1.1 408|)/);
    expect((await http(sock, 'GET', '/v1/health')).status).toBe(200);
  });

  it('replaces a stale socket file, refuses a live one and never deletes a non-socket', async () => {
    await api.close();
    // stale: a socket file nobody listens on, as a crash leaves it
    const r = spawnSync(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", sock]);
    expect(r.signal).toBe('SIGKILL');
    expect(statSync(sock).isSocket()).toBe(true);
    api = createApiServer({ handlers: stubHandlers({ status: () => ({}), health: () => ({ healthy: true, body: {} }), reconcile: async () => ({}), metrics: () => '' }), logger: quiet });
    await api.listen(sock);
    expect((await http(sock, 'GET', '/v1/status')).status).toBe(200);

    const second = createApiServer({ handlers: stubHandlers({ status: () => ({}), health: () => ({ healthy: true, body: {} }), reconcile: async () => ({}), metrics: () => '' }), logger: quiet });
    await expect(second.listen(sock)).rejects.toThrow(/another loopkeeperd is already running/);
    expect((await http(sock, 'GET', '/v1/status')).status).toBe(200);

    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'precious');
    const third = createApiServer({ handlers: stubHandlers({ status: () => ({}), health: () => ({ healthy: true, body: {} }), reconcile: async () => ({}), metrics: () => '' }), logger: quiet });
    await expect(third.listen(file)).rejects.toThrow(/not a socket/);
    expect(statSync(file).isFile()).toBe(true);
  });

  it('removes its socket files on close', async () => {
    await api.close();
    expect(() => statSync(sock)).toThrow();
    expect(() => statSync(ownerSocketPath(sock))).toThrow();
    api = createApiServer({ handlers: stubHandlers({ status: () => ({}), health: () => ({ healthy: true, body: {} }), reconcile: async () => ({}), metrics: () => '' }), logger: quiet });
    await api.listen(sock);
  });
});
