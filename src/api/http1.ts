// A small HTTP/1.1 server on net.Server that answers ONE request at a time per connection.
//
// Why not node:http: its parser handles every pipelined request of a read (up to 64 KiB, ~1,500
// `GET /v1/status` lines) before it looks at backpressure, and it builds an answer for each. A
// red-team run of 40 connections pipelining 50,000 requests each without reading the answers
// took the daemon from 58 MB to 1.6 GB and left /v1/health silent for 48 s. `req.socket.pause()`
// cannot stop that: the parser has already emitted the rest of the chunk. Here the next request
// is not even parsed until the previous answer has been handed to the kernel (the write
// callback), the socket is paused meanwhile, and what one connection may make us hold is fixed:
// its unparsed bytes (headers ≤ 16 KiB, body ≤ 64 KiB, a paused socket stops reading) and one
// answer (shared, cached buffers for status).
//
// The dialect is what curl, node's http client and other local tools send: origin-form (or
// absolute-form) targets, HTTP/1.0 and 1.1, Content-Length or chunked bodies (read and
// discarded: no route takes a body), `Expect: 100-continue`, keep-alive and pipelining.
// Anything ambiguous (both Content-Length and Transfer-Encoding, differing lengths, folded or
// malformed header lines, control characters) is refused with 400 and the connection closed —
// the request-smuggling cases. Every refusal is a JSON body `{"error": {"code", "message"}}`.
import type { ApiErrorCode } from './types';
import { createServer, type Server, type Socket } from 'node:net';

export const MAX_HEADER_BYTES = 16 * 1024;
export const MAX_BODY_BYTES = 64 * 1024;
const MAX_HEADERS = 100;
const MAX_CHUNK_LINE = 1024;
/** Beyond this many buffered unparsed bytes a connection stops reading until it is answered. */
const MAX_BUFFERED = MAX_HEADER_BYTES + MAX_BODY_BYTES;

export interface HttpRequest {
  method: string;
  /** The path without the query, as sent (no percent-decoding: routes are plain ASCII). */
  path: string;
  query: URLSearchParams;
  httpVersion: '1.0' | '1.1';
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Map<string, string>;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** Sent as is; several buffers go out in one writev without being copied together. */
  body: string | Buffer | readonly Buffer[];
  /** Close the connection after this answer. */
  close?: boolean;
}

export interface Http1Options {
  /** Names the listener in `handle` (e.g. the public socket and the owner-only socket). */
  handle(req: HttpRequest): Promise<HttpResponse> | HttpResponse;
  /** Connections beyond this evict the least recently active idle one (or are refused with 503). */
  maxConnections: number;
  /** A connection with no activity for this long is closed (a client that never reads, too). */
  idleTimeoutMs: number;
  /** From the first byte of a request until its headers are complete. */
  headersTimeoutMs: number;
  /** From the first byte of a request until it is complete, body included. */
  requestTimeoutMs: number;
  onError?(err: unknown): void;
}

export interface Http1Server {
  readonly server: Server;
  /** Open connections right now (for tests and metrics). */
  connections(): number;
  /** Destroys every connection (the server itself is closed by the caller). */
  destroyAll(): void;
}

const REASONS: Record<number, string> = {
  100: 'Continue',
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

export function errorResponse(status: number, code: ApiErrorCode, message: string, extra: Partial<HttpResponse> = {}): HttpResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json', ...(extra.headers ?? {}) },
    body: JSON.stringify({ error: { code, message } }) + '\n',
    close: extra.close,
  };
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Field values: visible ASCII, obs-text, space and tab; no other control characters (CR, LF, NUL).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TARGET = /^[\x21-\x7e]+$/;

interface Head {
  request: HttpRequest;
  /** Body framing. */
  body: { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' };
  expectContinue: boolean;
}

/** Parses the request line and headers (the bytes before the blank line, latin1-decoded). */
export function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const requestLine = lines[0] ?? '';
  const parts = requestLine.split(' ');
  if (parts.length !== 3) throw new RequestError(400, 'bad_request', 'malformed request line (expected "METHOD /path HTTP/1.1")');
  const [method, target, version] = parts as [string, string, string];
  if (!/^[A-Z]{1,20}$/.test(method)) throw new RequestError(400, 'bad_request', 'malformed request method');
  if (!TARGET.test(target)) throw new RequestError(400, 'bad_request', 'malformed request target');
  const v = /^HTTP\/1\.([01])$/.exec(version);
  if (!v) {
    if (/^HTTP\/\d(\.\d)?$/.test(version)) throw new RequestError(400, 'bad_request', `unsupported protocol ${version}; this socket speaks HTTP/1.1`);
    throw new RequestError(400, 'bad_request', 'malformed protocol version');
  }
  let pathAndQuery: string;
  if (target.startsWith('/')) {
    pathAndQuery = target;
  } else if (/^https?:\/\//i.test(target)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new RequestError(400, 'bad_request', 'malformed request target');
    }
    pathAndQuery = url.pathname + url.search;
  } else {
    throw new RequestError(400, 'bad_request', 'the request target must be a path such as /v1/status');
  }
  const q = pathAndQuery.indexOf('?');
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : pathAndQuery.slice(q + 1));

  const headers = new Map<string, string>();
  const lengths: string[] = [];
  if (lines.length - 1 > MAX_HEADERS) throw new RequestError(431, 'headers_too_large', `more than ${MAX_HEADERS} header lines`);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') throw new RequestError(400, 'bad_request', 'malformed header block');
    if (line[0] === ' ' || line[0] === '\t') throw new RequestError(400, 'bad_request', 'folded header lines are not accepted');
    const colon = line.indexOf(':');
    if (colon <= 0) throw new RequestError(400, 'bad_request', 'malformed header line');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new RequestError(400, 'bad_request', 'malformed header name');
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) throw new RequestError(400, 'bad_request', `control characters in header ${name}`);
    const key = name.toLowerCase();
    if (key === 'content-length') lengths.push(...value.split(',').map((s) => s.trim()));
    const prior = headers.get(key);
    headers.set(key, prior === undefined ? value : `${prior}, ${value}`);
  }
  const te = headers.get('transfer-encoding');
  let body: Head['body'] = { kind: 'none' };
  if (te !== undefined) {
    if (lengths.length > 0) throw new RequestError(400, 'bad_request', 'both Content-Length and Transfer-Encoding');
    if (te.toLowerCase() !== 'chunked') throw new RequestError(501, 'not_implemented', `Transfer-Encoding ${te} is not supported`);
    if (v[1] === '0') throw new RequestError(400, 'bad_request', 'Transfer-Encoding in an HTTP/1.0 request');
    body = { kind: 'chunked' };
  } else if (lengths.length > 0) {
    if (!lengths.every((l) => /^\d{1,15}$/.test(l))) throw new RequestError(400, 'bad_request', 'malformed Content-Length');
    if (new Set(lengths.map(Number)).size !== 1) throw new RequestError(400, 'bad_request', 'conflicting Content-Length headers');
    const n = Number(lengths[0]);
    if (n > MAX_BODY_BYTES) throw new RequestError(413, 'body_too_large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
    if (n > 0) body = { kind: 'length', left: n };
  }
  const expectContinue = (headers.get('expect') ?? '').toLowerCase() === '100-continue';
  return {
    request: { method, path, query, httpVersion: v[1] === '0' ? '1.0' : '1.1', headers },
    body,
    expectContinue,
  };
}

type ChunkState = { at: 'size' } | { at: 'data'; left: number } | { at: 'data-end' } | { at: 'trailers' };

/**
 * Consumes a chunked body from `buf`. Returns the bytes used and whether the body ended; throws
 * on malformed framing or when the body passes MAX_BODY_BYTES.
 */
function consumeChunked(buf: Buffer, st: { state: ChunkState; total: number }): { used: number; done: boolean } {
  let pos = 0;
  for (;;) {
    const s = st.state;
    if (s.at === 'data') {
      const take = Math.min(s.left, buf.length - pos);
      pos += take;
      st.state = s.left - take === 0 ? { at: 'data-end' } : { at: 'data', left: s.left - take };
      if (st.state.at === 'data') return { used: pos, done: false };
      continue;
    }
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) {
      if (buf.length - pos > MAX_CHUNK_LINE) throw new RequestError(400, 'bad_request', 'malformed chunked body');
      return { used: pos, done: false };
    }
    const line = buf.toString('latin1', pos, eol);
    pos = eol + 2;
    if (s.at === 'data-end') {
      if (line !== '') throw new RequestError(400, 'bad_request', 'malformed chunked body');
      st.state = { at: 'size' };
    } else if (s.at === 'size') {
      const m = /^([0-9A-Fa-f]{1,8})(;[\x20-\x7e\t]*)?$/.exec(line);
      if (!m) throw new RequestError(400, 'bad_request', 'malformed chunk size');
      const size = parseInt(m[1]!, 16);
      st.total += size;
      if (st.total > MAX_BODY_BYTES) throw new RequestError(413, 'body_too_large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
      st.state = size === 0 ? { at: 'trailers' } : { at: 'data', left: size };
    } else {
      if (line === '') return { used: pos, done: true };
      if (line.length > MAX_CHUNK_LINE) throw new RequestError(400, 'bad_request', 'malformed chunked body');
    }
  }
}

function serializeHead(res: HttpResponse, bodyLength: number, close: boolean): string {
  let head = `HTTP/1.1 ${res.status} ${REASONS[res.status] ?? 'Status'}\r\n`;
  for (const [k, v] of Object.entries(res.headers ?? {})) head += `${k}: ${v}\r\n`;
  head += `Content-Length: ${bodyLength}\r\n`;
  if (close) head += 'Connection: close\r\n';
  return head + '\r\n';
}

function bodyBuffers(body: HttpResponse['body']): readonly Buffer[] {
  if (typeof body === 'string') return [Buffer.from(body, 'utf8')];
  if (Buffer.isBuffer(body)) return [body];
  return body as readonly Buffer[];
}

const EMPTY = Buffer.alloc(0);

class Connection {
  /** Bytes received and not parsed yet. */
  private buf: Buffer = EMPTY;
  private phase: 'head' | 'body' | 'busy' | 'closing' = 'head';
  private head: Head | null = null;
  private chunked: { state: ChunkState; total: number } | null = null;
  private bodyLeft = 0;
  private peerEnded = false;
  private requestTimer: NodeJS.Timeout | null = null;
  private headersTimer: NodeJS.Timeout | null = null;
  lastActive = Date.now();

  constructor(
    readonly socket: Socket,
    private readonly opts: Http1Options,
  ) {
    socket.setTimeout(opts.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('end', () => {
      this.peerEnded = true;
      if (this.phase === 'head' || this.phase === 'body') this.pump();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.clearTimers());
  }

  /** Idle or blocked on a client that does not read: safe to drop when room is needed. */
  get evictable(): boolean {
    return this.phase !== 'busy' || this.socket.writableLength > 0;
  }

  private onData(chunk: Buffer): void {
    this.lastActive = Date.now();
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length > MAX_BUFFERED) this.socket.pause();
    if (this.phase === 'head' || this.phase === 'body') this.pump();
  }

  private clearTimers(): void {
    if (this.requestTimer) clearTimeout(this.requestTimer);
    if (this.headersTimer) clearTimeout(this.headersTimer);
    this.requestTimer = this.headersTimer = null;
  }

  private startTimers(): void {
    if (this.requestTimer) return;
    this.requestTimer = setTimeout(() => this.timedOut(), this.opts.requestTimeoutMs);
    this.headersTimer = setTimeout(() => this.timedOut(), this.opts.headersTimeoutMs);
  }

  private timedOut(): void {
    if (this.phase === 'head' || this.phase === 'body') {
      this.fail(errorResponse(408, 'timeout', 'request not completed in time'));
    }
  }

  /** Parses as far as the buffer allows; dispatches one complete request, then waits for its answer. */
  private pump(): void {
    if (this.socket.destroyed) return;
    try {
      if (this.phase === 'head') {
        // Stray CRLFs between requests are tolerated (RFC 9112 §2.2).
        let start = 0;
        while (start + 1 < this.buf.length && this.buf[start] === 13 && this.buf[start + 1] === 10) start += 2;
        if (start > 0) this.buf = this.buf.subarray(start);
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0 || end + 4 > MAX_HEADER_BYTES) {
          if (this.buf.length > MAX_HEADER_BYTES || end + 4 > MAX_HEADER_BYTES) {
            throw new RequestError(431, 'headers_too_large', 'request headers too large');
          }
          return this.needMore();
        }
        this.startTimers();
        this.head = parseHead(this.buf.toString('latin1', 0, end));
        this.buf = this.buf.subarray(end + 4);
        if (this.headersTimer) clearTimeout(this.headersTimer);
        this.headersTimer = null;
        const b = this.head.body;
        if (b.kind === 'length') this.bodyLeft = b.left;
        if (b.kind === 'chunked') this.chunked = { state: { at: 'size' }, total: 0 };
        if (b.kind !== 'none' && this.head.expectContinue && this.head.request.httpVersion === '1.1') {
          this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
        }
        this.phase = 'body';
      }
      if (this.phase === 'body') {
        if (this.bodyLeft > 0) {
          const take = Math.min(this.bodyLeft, this.buf.length);
          this.bodyLeft -= take;
          this.buf = this.buf.subarray(take);
          if (this.bodyLeft > 0) return this.needMore();
        } else if (this.chunked) {
          const { used, done } = consumeChunked(this.buf, this.chunked);
          this.buf = this.buf.subarray(used);
          if (!done) return this.needMore();
          this.chunked = null;
        }
        this.dispatch();
      }
    } catch (e) {
      if (e instanceof RequestError) this.fail(errorResponse(e.status, e.code, e.message));
      else this.fail(errorResponse(500, 'internal', 'internal error while reading the request'));
    }
  }

  private needMore(): void {
    if (this.peerEnded) {
      // The client closed its side in the middle of a request (or after its last one).
      this.phase = 'closing';
      this.socket.end();
      return;
    }
    if (this.buf.length > 0 && this.phase === 'head') this.startTimers();
    this.socket.resume();
  }

  private dispatch(): void {
    const head = this.head!;
    this.head = null;
    this.clearTimers();
    this.phase = 'busy';
    // No more reading (so no more parsing) until this answer has been handed to the kernel.
    this.socket.pause();
    // A reconcile may take longer than the idle timeout; the wait is ours, not the client's.
    this.socket.setTimeout(0);
    const req = head.request;
    let answer: Promise<HttpResponse>;
    try {
      answer = Promise.resolve(this.opts.handle(req));
    } catch (e) {
      answer = Promise.reject(e);
    }
    answer
      .catch((e: unknown) => {
        this.opts.onError?.(e);
        return errorResponse(500, 'internal', e instanceof Error ? e.message : String(e));
      })
      .then((res) => {
        const close = res.close === true || wantsClose(req);
        this.write(res, close, req.method === 'HEAD');
      });
  }

  /** An answer to a request that cannot be read on: send it and close. */
  private fail(res: HttpResponse): void {
    if (this.phase === 'closing' || this.socket.destroyed) return;
    this.clearTimers();
    this.phase = 'busy';
    this.socket.pause();
    this.write(res, true, false);
  }

  private write(res: HttpResponse, close: boolean, headOnly: boolean): void {
    if (this.socket.destroyed) return;
    const body = bodyBuffers(res.body);
    const length = body.reduce((n, b) => n + b.length, 0);
    const s = this.socket;
    s.setTimeout(this.opts.idleTimeoutMs);
    const out: (string | Buffer)[] = [serializeHead(res, length, close)];
    if (!headOnly) for (const b of body) if (b.length > 0) out.push(b);
    s.cork();
    for (let i = 0; i < out.length - 1; i++) s.write(out[i]!);
    // The callback runs once the kernel has taken the whole answer: only then is the next
    // pipelined request parsed.
    s.write(out[out.length - 1]!, (err) => {
      if (err) return void s.destroy();
      this.lastActive = Date.now();
      if (close) {
        this.phase = 'closing';
        s.end();
        // A client that never reads what is left would keep the socket: the idle timeout ends it.
        return;
      }
      this.phase = 'head';
      // Let other connections go first before this one's next pipelined request.
      setImmediate(() => this.pump());
    });
    s.uncork();
  }
}

function wantsClose(req: HttpRequest): boolean {
  const c = (req.headers.get('connection') ?? '').toLowerCase();
  if (req.httpVersion === '1.0') return !/\bkeep-alive\b/.test(c);
  return /\bclose\b/.test(c);
}

export function createHttp1Server(opts: Http1Options): Http1Server {
  const live = new Set<Connection>();
  // allowHalfOpen: a client that sends its requests and then shuts down its side still gets
  // every answer before we close.
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => {
    if (live.size >= opts.maxConnections && !evictOne()) {
      socket.on('error', () => undefined);
      const res = errorResponse(503, 'too_many_connections', `the daemon serves at most ${opts.maxConnections} connections on this socket; retry`);
      socket.end(serializeHead(res, Buffer.byteLength(res.body as string), true) + (res.body as string));
      socket.setTimeout(1000, () => socket.destroy());
      return;
    }
    const c = new Connection(socket, opts);
    live.add(c);
    socket.once('close', () => live.delete(c));
  });
  server.on('error', (e) => opts.onError?.(e));

  /** Drops the least recently active connection that is idle or stuck on a non-reading client. */
  function evictOne(): boolean {
    let victim: Connection | null = null;
    for (const c of live) if (c.evictable && (victim === null || c.lastActive < victim.lastActive)) victim = c;
    if (victim === null) return false;
    victim.socket.destroy();
    live.delete(victim);
    return true;
  }

  return {
    server,
    connections: () => live.size,
    destroyAll() {
      for (const c of live) c.socket.destroy();
      live.clear();
    },
  };
}
