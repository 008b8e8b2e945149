// The socket server's own HTTP/1.1 loop, attacked directly: pipelining floods from clients that
// never read, request-smuggling framings, malformed and huge input, connection floods. Each test
// synchronises on socket events and answers, never on time.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createHttp1Server, MAX_BODY_BYTES, MAX_HEADER_BYTES, type Http1Options, type Http1Server, type HttpRequest, type HttpResponse } from '../../../src/api/http1';
import { raw } from '../../helpers/http-unix';

interface Parsed {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `bytes` and collects `count` complete answers (Content-Length framed), or what came before close. */
function exchange(sock: string, bytes: string | Buffer, count: number): Promise<{ answers: Parsed[]; closed: boolean; raw: string }> {
  return new Promise((resolve) => {
    const s = connect({ path: sock });
    let buf = Buffer.alloc(0);
    const answers: Parsed[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ answers, closed, raw: buf.toString('latin1') });
    };
    s.on('connect', () => s.write(bytes));
    s.on('error', () => undefined);
    s.on('close', () => finish(true));
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buf.toString('latin1', 0, end).split('\r\n');
        const status = Number(head[0]!.split(' ')[1]);
        const headers: Record<string, string> = {};
        for (const l of head.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
        if (status === 100) {
          buf = buf.subarray(end + 4);
          answers.push({ status, headers, body: '' });
          continue;
        }
        const len = Number(headers['content-length'] ?? 0);
        const bodyLen = headers['x-head'] === '1' ? 0 : len;
        if (buf.length < end + 4 + bodyLen) break;
        answers.push({ status, headers, body: buf.toString('utf8', end + 4, end + 4 + bodyLen) });
        buf = buf.subarray(end + 4 + bodyLen);
      }
      if (answers.length >= count) finish(false);
    });
  });
}

describe('HTTP/1.1 loop (one request at a time per connection)', () => {
  let dir: string;
  let sock: string;
  let server: Http1Server;
  let calls: HttpRequest[];
  let handler: (req: HttpRequest) => Promise<HttpResponse> | HttpResponse;

  async function start(over: Partial<Http1Options> = {}): Promise<void> {
    server = createHttp1Server({
      handle: (req) => {
        calls.push(req);
        return handler(req);
      },
      maxConnections: 64,
      idleTimeoutMs: 10000,
      headersTimeoutMs: 10000,
      requestTimeoutMs: 20000,
      ...over,
    });
    await new Promise<void>((r) => server.server.listen(sock, () => r()));
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lk-http1-'));
    sock = join(dir, 's.sock');
    calls = [];
    handler = (req) => ({ status: 200, headers: { 'Content-Type': 'text/plain', ...(req.method === 'HEAD' ? { 'X-Head': '1' } : {}) }, body: `${req.method} ${req.path}` });
  });

  afterEach(async () => {
    server.destroyAll();
    await new Promise<void>((r) => server.server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers pipelined requests in order, each parsed only after the previous answer', async () => {
    await start();
    const n = 500;
    const reqs = Array.from({ length: n }, (_, i) => `GET /r${i}?i=${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const { answers } = await exchange(sock, reqs, n);
    expect(answers.map((a) => a.body)).toEqual(Array.from({ length: n }, (_, i) => `GET /r${i}`));
    expect(calls[7]!.query.get('i')).toBe('7');
  });

  it('holds at most a few answers for a client that pipelines 10,000 requests and never reads (node:http built thousands)', async () => {
    const big = Buffer.alloc(256 * 1024, 'x');
    let first!: () => void;
    const started = new Promise<void>((r) => (first = r));
    handler = (req) => {
      if (req.path === '/health') return { status: 200, body: 'ok' };
      first();
      return { status: 200, body: big };
    };
    await start();
    const flood = connect({ path: sock });
    flood.pause(); // never reads an answer
    flood.on('error', () => undefined);
    await new Promise<void>((r) => flood.on('connect', () => r()));
    const request = 'GET /status HTTP/1.1\r\nHost: x\r\n\r\n';
    flood.write(request.repeat(10_000));
    await started;
    // The loop keeps serving others while the flood waits: each of these is a full round trip.
    for (let i = 0; i < 5; i++) expect((await exchange(sock, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n', 1)).answers[0]!.body).toBe('ok');
    const floodCalls = calls.filter((c) => c.path === '/status').length;
    // What the kernel's socket buffers take (a few 256 KiB answers), then nothing more.
    expect(floodCalls).toBeGreaterThanOrEqual(1);
    expect(floodCalls).toBeLessThan(64);
    flood.destroy();
  });

  it('closes a connection that never reads once the idle timeout passes', async () => {
    const big = Buffer.alloc(1024 * 1024, 'x');
    handler = () => ({ status: 200, body: big });
    await start({ idleTimeoutMs: 200 });
    // The server's side of the connection: a paused client never even sees its own EOF.
    const closed = new Promise<void>((r) => server.server.once('connection', (s: Socket) => s.once('close', () => r())));
    const flood = connect({ path: sock });
    flood.pause();
    flood.on('error', () => undefined);
    flood.on('connect', () => flood.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(100)));
    await closed;
    expect(server.connections()).toBe(0);
    expect(calls.length).toBeLessThan(100);
    flood.destroy();
  });

  it('refuses request-smuggling framings and malformed heads with 400 and closes', async () => {
    await start();
    const cases: [string, number][] = [
      ['POST /a HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello', 400],
      ['POST /a HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\nhello', 400],
      ['POST /a HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400],
      ['POST /a HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n', 400],
      ['POST /a HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n', 400],
      ['POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501],
      ['POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['GET /a HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n', 400],
      ['GET /a HTTP/1.1\r\nBad Header: 1\r\n\r\n', 400],
      ['GET /a HTTP/1.1\r\nX-A: a\x00b\r\n\r\n', 400],
      ['GET /a HTTP/1.1\r\nX-A: a\rb\r\n\r\n', 400],
      ['GET /a HTTP/1.1\r\nnocolon\r\n\r\n', 400],
      ['GET  /a HTTP/1.1\r\n\r\n', 400],
      ['get /a HTTP/1.1\r\n\r\n', 400],
      ['GET * HTTP/1.1\r\n\r\n', 400],
      ['GET /a\x7f HTTP/1.1\r\n\r\n', 400],
      ['GET /a HTTP/2.0\r\n\r\n', 400],
      ['GET /a HTTP/9.9\r\n\r\n', 400],
      ['GET /a\r\n\r\n', 400],
      ['\x00\x01\x02garbage\r\n\r\n', 400],
      ['POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
      ['POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n', 400],
    ];
    for (const [bytes, status] of cases) {
      const r = await exchange(sock, bytes, 2);
      expect({ bytes, status: r.answers[0]?.status, closed: r.closed }).toEqual({ bytes, status, closed: true });
      expect(JSON.parse(r.answers[0]!.body).error.code).toMatch(/^[a-z_]+$/);
    }
    expect(calls).toEqual([]); // no handler ever saw one of them
  });

  it('refuses headers over 16 KiB (431), more than 100 header lines (431) and bodies over 64 KiB (413, declared or chunked)', async () => {
    await start();
    const cases: [string, number][] = [
      [`GET /a HTTP/1.1\r\nX-Big: ${'h'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`, 431],
      [`GET /a HTTP/1.1\r\nX-Big: ${'h'.repeat(MAX_HEADER_BYTES * 4)}`, 431], // never ends its headers
      [`GET /a HTTP/1.1\r\n${'X-A: 1\r\n'.repeat(101)}\r\n`, 431],
      [`POST /a HTTP/1.1\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`, 413],
      [`POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${(MAX_BODY_BYTES + 1).toString(16)}\r\n`, 413],
      [`POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${'8000\r\n' + 'a'.repeat(0x8000) + '\r\n'}${'8000\r\n' + 'a'.repeat(0x8000) + '\r\n'}1\r\na\r\n0\r\n\r\n`, 413],
    ];
    for (const [bytes, status] of cases) {
      const r = await exchange(sock, bytes, 2);
      expect({ status: r.answers[0]?.status, closed: r.closed }).toEqual({ status, closed: true });
    }
    expect(calls).toEqual([]);
  });

  it('reads and skips bodies (Content-Length, chunked with extensions and trailers) and serves the next pipelined request', async () => {
    await start();
    const bytes =
      'POST /one HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello worldGET /two HTTP/1.1\r\n\r\n' +
      'POST /three HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n' +
      '\r\nGET /four HTTP/1.1\r\n\r\n';
    const { answers } = await exchange(sock, bytes, 4);
    expect(answers.map((a) => a.body)).toEqual(['POST /one', 'GET /two', 'POST /three', 'GET /four']);
  });

  it('speaks what curl and other clients send: absolute-form, HEAD, Expect: 100-continue, HTTP/1.0, Connection: close', async () => {
    await start();
    const abs = await exchange(sock, 'GET http://localhost/v1/health?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n', 1);
    expect(abs.answers[0]!.body).toBe('GET /v1/health');
    const head = await exchange(sock, 'HEAD /h HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n', 2);
    expect(head.answers[0]).toMatchObject({ status: 200, body: '', headers: { 'content-length': String('HEAD /h'.length) } });
    expect(head.answers[1]!.body).toBe('GET /after');
    const cont = await exchange(sock, 'POST /c HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok', 2);
    expect(cont.answers.map((a) => a.status)).toEqual([100, 200]);
    const old = await exchange(sock, 'GET /old HTTP/1.0\r\n\r\n', 5);
    expect(old).toMatchObject({ closed: true, answers: [{ status: 200, headers: { connection: 'close' } }] });
    const close = await exchange(sock, 'GET /c HTTP/1.1\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n', 5);
    expect(close.answers.map((a) => a.body)).toEqual(['GET /c']);
    expect(calls.map((c) => c.path)).not.toContain('/never');
  });

  it('answers every request of a client that half-closes after sending them', async () => {
    await start();
    const answers = await new Promise<string>((resolve) => {
      const s = connect({ path: sock });
      let text = '';
      s.on('data', (c: Buffer) => (text += c.toString()));
      s.on('close', () => resolve(text));
      s.on('connect', () => s.end('GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n'));
    });
    expect(answers.match(/HTTP\/1.1 200/g)).toHaveLength(2);
    expect(answers).toContain('GET /b');
  });

  it('turns a throwing or rejecting handler into a JSON 500 and keeps the connection usable', async () => {
    handler = (req) => {
      if (req.path === '/throw') throw new Error('boom');
      if (req.path === '/reject') return Promise.reject(new Error('late boom'));
      return { status: 200, body: 'fine' };
    };
    await start({ onError: () => undefined });
    const r = await exchange(sock, 'GET /throw HTTP/1.1\r\n\r\nGET /reject HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n', 3);
    expect(r.answers.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(JSON.parse(r.answers[0]!.body).error.message).toBe('boom');
  });

  it('times out a request whose headers never complete (slowloris) with 408', async () => {
    await start({ headersTimeoutMs: 100, requestTimeoutMs: 1000 });
    const r = await exchange(sock, 'GET /a HTTP/1.1\r\nX-Slow: 1\r\n', 2);
    expect(r.answers[0]?.status).toBe(408);
    expect(r.closed).toBe(true);
  });

  it('at the connection cap evicts the least recently active idle connection; refuses with 503 only when all are working', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    handler = async (req) => {
      if (req.path === '/wait') await gate;
      return { status: 200, body: req.path };
    };
    await start({ maxConnections: 3 });
    const idles: Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const s = connect({ path: sock });
      s.on('error', () => undefined);
      await new Promise<void>((r) => s.on('connect', () => r()));
      idles.push(s);
    }
    const firstClosed = new Promise<void>((r) => idles[0]!.on('close', () => r()));
    expect((await exchange(sock, 'GET /new HTTP/1.1\r\n\r\n', 1)).answers[0]!.body).toBe('/new');
    await firstClosed; // the oldest idle one made room
    for (const s of idles) s.destroy();
    // Three connections all inside a handler: nothing can be evicted.
    const waiting = [0, 1, 2].map(() => exchange(sock, 'GET /wait HTTP/1.1\r\n\r\n', 1));
    while (calls.filter((c) => c.path === '/wait').length < 3) await new Promise((r) => setImmediate(r));
    const refused = await exchange(sock, 'GET /x HTTP/1.1\r\n\r\n', 1);
    expect(refused.answers[0]!.status).toBe(503);
    expect(JSON.parse(refused.answers[0]!.body).error.code).toBe('too_many_connections');
    release();
    expect((await Promise.all(waiting)).map((w) => w.answers[0]!.body)).toEqual(['/wait', '/wait', '/wait']);
  });

  it('survives random bytes: every connection gets an HTTP answer or a close, and the server keeps serving', async () => {
    await start({ headersTimeoutMs: 50, requestTimeoutMs: 100 });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.boolean(), async (bytes, crlf) => {
        const payload = Buffer.concat([Buffer.from(bytes), Buffer.from(crlf ? '\r\n\r\n' : '')]);
        const reply = await raw(sock, payload);
        expect(reply === '' || /^HTTP\/1\.1 \d{3} /.test(reply)).toBe(true);
      }),
      { numRuns: 100 },
    );
    expect((await exchange(sock, 'GET /still HTTP/1.1\r\n\r\n', 1)).answers[0]!.body).toBe('GET /still');
  });
});
