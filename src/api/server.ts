// The daemon's HTTP/1.1 API on unix sockets (so `curl --unix-socket PATH http://localhost/v1/status`
// works). Every endpoint is safe for any local user: reads, or a rate-limited reconcile of the
// root-owned desired state — no route takes input that changes what is enforced.
//
// Two listeners share the routes:
// - the public socket (mode 0666), for every local user;
// - the owner socket beside it (mode 0600, see ownerSocketPath): only the daemon's user (root) can
//   connect, so root's CLI has connection slots and a reconcile rate limit no other user can use
//   up. Node cannot read SO_PEERCRED; the kernel's permission check on connect is the identity.
// Both sockets are created with their final mode (the umask is set around bind) and nothing is
// chmodded by path afterwards. No client can crash, stall or bloat the daemon: see http1.ts for
// one-request-at-a-time per connection and the bounds on what a connection can make it hold.
import { lstat, unlink } from 'node:fs/promises';
import type { Server } from 'node:net';
import { createHttp1Server, errorResponse, type Http1Server, type HttpRequest, type HttpResponse } from './http1';
import { TokenBucket } from './rate-limit';
import { SerializedJson } from './status-cache';
import { parseStatusQuery, reconcileBody, type StatusQuery } from './status-view';
import type { HealthDocument, ReconcileResponse, StatusDocument } from './types';
import { ownerSocketPath, prepareSocketPath } from './socket-path';
import { messageOf } from '../errors';

export { MAX_BODY_BYTES, MAX_HEADER_BYTES } from './http1';

/** Who is calling, as far as the socket tells: anyone, or the daemon's own user (root). */
export type Caller = 'public' | 'owner';

export interface ApiHandlers {
  /** The status document for a query (summary, or one page of a list); see status-view.ts. */
  status(query: StatusQuery): SerializedJson | StatusDocument;
  health(): { healthy: boolean; body: HealthDocument };
  /** Reconciles (waiting for the next run if one is in progress) and returns its result (sent bounded, as a ReconcileDocument). */
  reconcile(): Promise<ReconcileResponse>;
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
  /** Reconcile rate limit per caller: burst and refill per second (SPEC: 10 and 10). */
  burst?: number;
  perSecond?: number;
  /** Milliseconds a connection may sit idle / take to send its headers / its whole request. */
  idleTimeoutMs?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Connections at once on the public socket and on the owner socket. */
  maxConnections?: number;
  maxOwnerConnections?: number;
  /** Listen on the owner-only socket too (default true). */
  ownerSocket?: boolean;
  now?: () => number;
}

interface Route {
  method: 'GET' | 'POST';
  /** Who may call it, and why that is safe (docs/SECURITY.md lists the same). */
  access: string;
  handle(req: HttpRequest, caller: Caller): Promise<HttpResponse> | HttpResponse;
}

export interface ApiServer {
  listen(socketPath: string): Promise<void>;
  close(): Promise<void>;
  /** Open connections per socket (tests and diagnostics). */
  connections(): Record<Caller, number>;
}

/** Mode bits each socket is created with. */
export const SOCKET_MODES: Record<Caller, number> = { public: 0o666, owner: 0o600 };

export function createApiServer(opts: ApiOptions): ApiServer {
  const { handlers, logger } = opts;
  const buckets: Record<Caller, TokenBucket> = {
    public: new TokenBucket(opts.burst ?? 10, opts.perSecond ?? 10, opts.now),
    owner: new TokenBucket(opts.burst ?? 10, opts.perSecond ?? 10, opts.now),
  };
  // A coalesced reconcile resolves every waiter with the same object: serialise it once.
  const reconcileBytes = new WeakMap<object, Buffer>();

  const routes = new Map<string, Route>([
    [
      '/v1/status',
      {
        method: 'GET',
        access: 'any local user: a read of what the daemon enforces (paths, addresses, names, conditions)',
        handle: (req) => {
          const q = parseStatusQuery(req.query);
          if (!q.ok) return errorResponse(400, 'bad_query', q.message);
          return json(200, handlers.status(q.query));
        },
      },
    ],
    [
      '/v1/health',
      {
        method: 'GET',
        access: 'any local user: one bit (converged or not) and the Ready condition',
        handle: () => {
          const h = handlers.health();
          return json(h.healthy ? 200 : 503, h.body);
        },
      },
    ],
    [
      '/v1/reconcile',
      {
        method: 'POST',
        access: 'any local user, rate-limited per socket: re-applies the root-owned desired state, takes no input',
        handle: async (_req, caller) => {
          const wait = buckets[caller].take();
          if (wait > 0) {
            return errorResponse(429, 'rate_limited', `too many reconcile requests; retry in ${wait} s`, { headers: { 'Retry-After': String(wait) } });
          }
          const result = await handlers.reconcile();
          let bytes = reconcileBytes.get(result);
          if (bytes === undefined) {
            bytes = Buffer.from(JSON.stringify(isReport(result) ? reconcileBody(result) : result) + '\n', 'utf8');
            reconcileBytes.set(result, bytes);
          }
          return { status: 200, headers: { 'Content-Type': 'application/json' }, body: bytes };
        },
      },
    ],
    [
      '/metrics',
      {
        method: 'GET',
        access: 'any local user: counters and gauges, no paths or names',
        handle: () => ({
          status: 200,
          headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
          body: handlers.metrics(),
        }),
      },
    ],
  ]);

  async function handle(req: HttpRequest, caller: Caller): Promise<HttpResponse> {
    const route = routes.get(req.path);
    const label = route ? req.path : 'other';
    let res: HttpResponse;
    try {
      if (!route) {
        res = errorResponse(404, 'not_found', `no route ${clipPath(req.path)}; routes: ${[...routes.keys()].join(', ')}`);
      } else if (req.method !== route.method && !(route.method === 'GET' && req.method === 'HEAD')) {
        res = errorResponse(405, 'method_not_allowed', `${req.path} accepts ${route.method}, not ${req.method}`, {
          headers: { Allow: route.method === 'GET' ? 'GET, HEAD' : route.method },
        });
      } else {
        res = await route.handle(req, caller);
      }
    } catch (e) {
      logger.error({ err: e, route: req.path }, 'api handler failed');
      res = errorResponse(500, 'internal', messageOf(e));
    }
    opts.onRequest?.(label, res.status);
    return res;
  }

  const common = {
    idleTimeoutMs: opts.idleTimeoutMs ?? 15000,
    headersTimeoutMs: opts.headersTimeoutMs ?? 5000,
    requestTimeoutMs: opts.requestTimeoutMs ?? 10000,
    onError: (e: unknown) => logger.warn({ err: e }, 'api connection error'),
  };
  const servers: Record<Caller, Http1Server> = {
    public: createHttp1Server({ ...common, maxConnections: opts.maxConnections ?? 256, handle: (r) => handle(r, 'public') }),
    owner: createHttp1Server({ ...common, maxConnections: opts.maxOwnerConnections ?? 32, handle: (r) => handle(r, 'owner') }),
  };
  const bound: { path: string; caller: Caller }[] = [];

  return {
    async listen(path: string): Promise<void> {
      const targets: { path: string; caller: Caller }[] = [{ path, caller: 'public' }];
      if (opts.ownerSocket !== false) targets.push({ path: ownerSocketPath(path), caller: 'owner' });
      for (const t of targets) await prepareSocketPath(t.path);
      try {
        for (const t of targets) {
          await listenWithMode(servers[t.caller].server, t.path, SOCKET_MODES[t.caller]);
          bound.push(t);
        }
      } catch (e) {
        await this.close();
        throw e;
      }
    },
    async close(): Promise<void> {
      for (const caller of ['public', 'owner'] as const) {
        const s = servers[caller];
        if (s.server.listening) await new Promise<void>((resolve) => {
          s.server.close(() => resolve());
          s.destroyAll();
        });
      }
      for (const b of bound.splice(0)) {
        // Only our own socket: never a file something else put there since.
        const st = await lstat(b.path).catch(() => null);
        if (st?.isSocket()) await unlink(b.path).catch(() => undefined);
      }
    },
    connections: () => ({ public: servers.public.connections(), owner: servers.owner.connections() }),
  };
}

/**
 * Binds with the umask that gives the socket file `mode` at creation: no chmod by path after bind
 * (a path can be swapped for a symlink between bind and chmod). net.Server binds synchronously
 * inside listen(), so the umask is back before anything else runs; the mode is verified after.
 */
async function listenWithMode(server: Server, path: string, mode: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    const previous = process.umask(0o777 & ~mode);
    try {
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
  const st = await lstat(path);
  if (!st.isSocket() || (st.mode & 0o777) !== mode) {
    throw new Error(`the API socket ${path} was created with mode ${(st.mode & 0o777).toString(8)}, not ${mode.toString(8)}; refusing to serve on it`);
  }
}

function json(code: number, body: SerializedJson | object): HttpResponse {
  const bytes = body instanceof SerializedJson ? body.chunks : JSON.stringify(body) + '\n';
  return { status: code, headers: { 'Content-Type': 'application/json' }, body: bytes };
}

type ReportLike = Parameters<typeof reconcileBody>[0];

function isReport(x: object): x is ReportLike {
  const r = x as Partial<Record<keyof ReportLike, unknown>>;
  return Array.isArray(r.aliases) && Array.isArray(r.hosts) && Array.isArray(r.changes) && Array.isArray(r.problems);
}

function clipPath(p: string): string {
  return p.length <= 100 ? p : `${p.slice(0, 99)}…`;
}
