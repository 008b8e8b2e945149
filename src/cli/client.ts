// The CLI's side of the socket API: one HTTP/1.1 request over the unix socket, JSON back.
// Only node:http — `loopkeeper status` must start fast.
import { request } from 'node:http';
import { connect } from 'node:net';
import { cliHint } from './hint';

export class DaemonUnreachable extends Error {
  constructor(
    readonly socket: string,
    readonly reason: string,
  ) {
    super(`loopkeeperd is not reachable on ${socket}: ${reason}`);
  }
}

/**
 * The daemon took the request and then stopped answering (it crashed, was stopped, or hangs):
 * not the same as "not reachable" — it may have done part of the work.
 */
export class DaemonStoppedAnswering extends Error {
  constructor(
    readonly socket: string,
    readonly reason: string,
  ) {
    super(`loopkeeperd on ${socket} took the request but stopped answering: ${reason}`);
  }
}

export interface DaemonResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

const REASONS: Record<string, string | (() => string)> = {
  ENOENT: () => `no socket there (is loopkeeperd running? \`${cliHint('install', { sudo: true })}\` sets it up)`,
  ECONNREFUSED: 'nothing is listening (a stale socket: loopkeeperd stopped or crashed)',
  EACCES: 'permission denied on the socket',
  ENOTSOCK: 'the path is not a socket',
};

function reasonFor(code: string): string | undefined {
  const reason = REASONS[code];
  return typeof reason === 'function' ? reason() : reason;
}

/**
 * Asks the daemon. The owner socket beside the public one (only the daemon's user, root, can
 * connect) is tried first: there root's requests have their own connection slots and reconcile
 * rate limit. Anyone else is refused by the kernel at once and uses the public socket. A connect
 * error happens before anything is sent, so the retry never repeats a request. `timeoutMs` null
 * waits for the answer as long as it takes (see requestReconcile).
 */
export function callDaemon<T = unknown>(
  socket: string,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs: number | null = 10000,
  signal?: AbortSignal,
): Promise<DaemonResponse<T>> {
  // The same rule as ownerSocketPath (src/api/socket-path.ts), inlined: `status` must start fast.
  const owner = socket.endsWith('.sock') ? `${socket.slice(0, -'.sock'.length)}.root.sock` : `${socket}.root`;
  return requestOnce<T>(owner, socket, method, path, timeoutMs, signal).catch((e: unknown) => {
    if (e instanceof ConnectFailed) return requestOnce<T>(socket, socket, method, path, timeoutMs, signal);
    throw e;
  });
}

class ConnectFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function requestOnce<T>(
  socketPath: string,
  socket: string,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs: number | null,
  signal?: AbortSignal,
): Promise<DaemonResponse<T>> {
  const first = socketPath !== socket;
  return new Promise((resolve, reject) => {
    let connected = false;
    // createConnection, so no http.Agent: the default one checks the host name of every request
    // with net.isIP, whose first IPv6 test compiles a large regular expression (5-10 ms).
    const options = { method, path, headers: { Accept: 'application/json', Host: 'localhost' }, createConnection: () => connect(socketPath) };
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => reject(new DaemonUnreachable(socket, e.message)));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if (/json/.test(String(res.headers['content-type'] ?? ''))) {
          try {
            body = JSON.parse(text);
          } catch {
            reject(new Error(`loopkeeperd sent malformed JSON for ${method} ${path}`));
            return;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T });
      });
    });
    const timer =
      timeoutMs === null
        ? undefined
        : setTimeout(() => {
            req.destroy();
            reject(new DaemonUnreachable(socket, `no answer within ${Math.round(timeoutMs / 1000)} s`));
          }, timeoutMs);
    req.on('socket', (s) => s.once('connect', () => (connected = true)));
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      req.destroy();
      reject(signal.reason instanceof Error ? signal.reason : new DaemonStoppedAnswering(socket, String(signal.reason)));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (first && e.syscall === 'connect') return reject(new ConnectFailed(e.code ?? '', e.message));
      const why = reasonFor(e.code ?? '') ?? e.message;
      // Refused or missing before anything was sent: unreachable. Cut off after: it stopped answering.
      reject(connected ? new DaemonStoppedAnswering(socket, `${why} (did it stop or crash? see \`${cliHint('status')}\`)`) : new DaemonUnreachable(socket, why));
    });
    req.end();
  });
}

export interface ReconcileWaitOptions {
  /** How often the daemon is asked whether it is still alive while the reconcile runs. */
  probeEveryMs?: number;
  /** How long one of those questions may take. */
  probeTimeoutMs?: number;
  /** Called after each probe that found the daemon alive and still working (seconds waited so far). */
  onBusy?: (waitedSeconds: number) => void;
}

/**
 * POST /v1/reconcile and wait for the answer as long as the reconcile takes (65,536 aliases take
 * minutes): there is no total timeout. Instead the daemon is asked GET /v1/health on a second
 * connection every probeEveryMs; only when it stops answering those (twice in a row) is the wait
 * given up, as DaemonStoppedAnswering. A daemon that cannot be reached at all is DaemonUnreachable.
 */
export async function requestReconcile<T = unknown>(socket: string, opts: ReconcileWaitOptions = {}): Promise<DaemonResponse<T>> {
  const every = opts.probeEveryMs ?? 15000;
  const probeTimeout = opts.probeTimeoutMs ?? 10000;
  const abort = new AbortController();
  const started = Date.now();
  let misses = 0;
  let probing = false;
  const timer = setInterval(() => {
    if (probing) return;
    probing = true;
    callDaemon(socket, 'GET', '/v1/health', probeTimeout).then(
      () => {
        probing = false;
        misses = 0;
        opts.onBusy?.(Math.round((Date.now() - started) / 1000));
      },
      (e: unknown) => {
        probing = false;
        misses += 1;
        if (misses >= 2) abort.abort(new DaemonStoppedAnswering(socket, `it no longer answers /v1/health either (${(e as Error).message})`));
      },
    );
  }, every);
  timer.unref();
  try {
    return await callDaemon<T>(socket, 'POST', '/v1/reconcile', null, abort.signal);
  } finally {
    clearInterval(timer);
  }
}
