// The daemon's HTTP/1.1 API on a unix socket (so `curl --unix-socket PATH http://localhost/v1/status`
// works). Every endpoint is safe for any local user: reads, or a rate-limited reconcile of the
// root-owned desired state. No client can crash or wedge the daemon: bodies are capped, slow and
// idle clients time out, malformed requests get a JSON 400, handler errors a JSON 500.
import { chmod, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TokenBucket } from './rate-limit';
import { prepareSocketPath } from './socket-path';
import { messageOf } from '../errors';

export const MAX_BODY_BYTES = 64 * 1024;

export interface ApiHandlers {
  status(): object;
  health(): { healthy: boolean; body: object };
  /** Reconciles (waiting for the next run if one is in progress) and returns its result. */
  reconcile(): Promise<object>;
  metrics(): string;
}

export interface ApiLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ApiOptions {
  handlers: ApiHandlers;
  logger: ApiLogger;
  onRequest?(route: string, code: number): void;
  /** Reconcile rate limit: burst and refill per second (SPEC: 10 and 10). */
  burst?: number;
  perSecond?: number;
  /** Milliseconds a connection may sit idle / take to send its headers / its whole request. */
  idleTimeoutMs?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  now?: () => number;
}

interface Route {
  method: 'GET' | 'POST';
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

export interface ApiServer {
  readonly server: Server;
  listen(socketPath: string): Promise<void>;
  close(): Promise<void>;
}

export function createApiServer(opts: ApiOptions): ApiServer {
  const { handlers, logger } = opts;
  const bucket = new TokenBucket(opts.burst ?? 10, opts.perSecond ?? 10, opts.now);
  const connections = new Set<Socket>();
  let socketPath: string | null = null;

  const routes = new Map<string, Route>([
    ['/v1/status', { method: 'GET', handle: (_q, res) => sendJson(res, 200, handlers.status()) }],
    [
      '/v1/health',
      {
        method: 'GET',
        handle: (_q, res) => {
          const h = handlers.health();
          sendJson(res, h.healthy ? 200 : 503, h.body);
        },
      },
    ],
    [
      '/v1/reconcile',
      {
        method: 'POST',
        handle: async (_q, res) => {
          const wait = bucket.take();
          if (wait > 0) {
            res.setHeader('Retry-After', String(wait));
            sendError(res, 429, 'rate_limited', `too many reconcile requests; retry in ${wait} s`);
            return;
          }
          sendJson(res, 200, await handlers.reconcile());
        },
      },
    ],
    [
      '/metrics',
      {
        method: 'GET',
        handle: (_q, res) => {
          const body = handlers.metrics();
          res.writeHead(200, {
            'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
            'Content-Length': Buffer.byteLength(body),
          });
          res.end(body);
        },
      },
    ],
  ]);

  // Header/request timeouts are enforced by a sweep; 1 s keeps a slow client's slot short-lived.
  const server = createServer({ maxHeaderSize: 16 * 1024, connectionsCheckingInterval: 1000 }, (req, res) => {
    void handle(req, res);
  });
  server.headersTimeout = opts.headersTimeoutMs ?? 5000;
  server.requestTimeout = opts.requestTimeoutMs ?? 10000;
  server.keepAliveTimeout = 5000;
  // A connection that sends nothing at all (or stops half-way) is closed after this long.
  server.setTimeout(opts.idleTimeoutMs ?? 15000, (s: Socket) => s.destroy());
  server.maxConnections = 4096;
  server.on('connection', (s: Socket) => {
    connections.add(s);
    s.once('close', () => connections.delete(s));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, s: Socket) => {
    // Garbage bytes, oversized headers, a request cut off by a timeout: answer if we still can.
    if (err.code !== 'ECONNRESET' && s.writable && !(s as Socket & { _httpMessage?: unknown })._httpMessage) {
      const code = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const body = JSON.stringify({ error: { code: code === 400 ? 'bad_request' : code === 431 ? 'headers_too_large' : 'timeout', message: clientErrorText(err) } });
      s.end(
        `HTTP/1.1 ${code} ${code === 400 ? 'Bad Request' : code === 431 ? 'Request Header Fields Too Large' : 'Request Timeout'}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    s.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes.get(path);
    const label = route ? path : 'other';
    res.once('finish', () => opts.onRequest?.(label, res.statusCode));
    try {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_BODY_BYTES) {
        res.setHeader('Connection', 'close');
        sendError(res, 413, 'body_too_large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
        req.destroy();
        return;
      }
      if (!(await drainBody(req))) {
        res.setHeader('Connection', 'close');
        sendError(res, 413, 'body_too_large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
        req.destroy();
        return;
      }
      if (!route) {
        sendError(res, 404, 'not_found', `no route ${path}; routes: ${[...routes.keys()].join(', ')}`);
        return;
      }
      if (req.method !== route.method && !(route.method === 'GET' && req.method === 'HEAD')) {
        res.setHeader('Allow', route.method === 'GET' ? 'GET, HEAD' : route.method);
        sendError(res, 405, 'method_not_allowed', `${path} accepts ${route.method}, not ${req.method}`);
        return;
      }
      await route.handle(req, res);
    } catch (e) {
      logger.error({ err: e, route: path }, 'api handler failed');
      if (!res.headersSent) sendError(res, 500, 'internal', messageOf(e));
      else res.destroy();
    }
  }

  return {
    server,
    async listen(path: string): Promise<void> {
      await prepareSocketPath(path);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
      socketPath = path;
      // Any local user may read status or ask for a reconcile (SPEC).
      await chmod(path, 0o666);
    },
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of connections) s.destroy();
      });
      if (socketPath !== null) {
        await unlink(socketPath).catch(() => undefined);
        socketPath = null;
      }
    },
  };
}

/** Reads and discards the body; false when it exceeds MAX_BODY_BYTES (chunked uploads included). */
function drainBody(req: IncomingMessage): Promise<boolean> {
  return new Promise((resolve) => {
    let size = 0;
    let settled = false;
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      resolve(ok);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        finish(false);
      }
    });
    req.once('end', () => finish(true));
    req.once('error', () => finish(false));
    req.once('close', () => finish(size <= MAX_BODY_BYTES));
  });
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, code: number, name: string, message: string): void {
  sendJson(res, code, { error: { code: name, message } });
}

function clientErrorText(err: NodeJS.ErrnoException): string {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'request headers too large';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request not completed in time';
  return `malformed HTTP request (${err.code ?? err.message})`;
}
