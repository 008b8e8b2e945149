// The CLI's side of the socket API: one HTTP/1.1 request over the unix socket, JSON back.
// Only node:http — `loopkeeper status` must start fast.
import { request } from 'node:http';
import { cliHint } from './hint';

export class DaemonUnreachable extends Error {
  constructor(
    readonly socket: string,
    readonly reason: string,
  ) {
    super(`loopkeeperd is not reachable on ${socket}: ${reason}`);
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
 * error happens before anything is sent, so the retry never repeats a request.
 */
export function callDaemon<T = unknown>(
  socket: string,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs = 10000,
): Promise<DaemonResponse<T>> {
  // The same rule as ownerSocketPath (src/api/socket-path.ts), inlined: `status` must start fast.
  const owner = socket.endsWith('.sock') ? `${socket.slice(0, -'.sock'.length)}.root.sock` : `${socket}.root`;
  return requestOnce<T>(owner, socket, method, path, timeoutMs).catch((e: unknown) => {
    if (e instanceof ConnectFailed) return requestOnce<T>(socket, socket, method, path, timeoutMs);
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
  timeoutMs: number,
): Promise<DaemonResponse<T>> {
  const first = socketPath !== socket;
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { Accept: 'application/json', Host: 'localhost' } }, (res) => {
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
    const timer = setTimeout(() => {
      req.destroy();
      reject(new DaemonUnreachable(socket, `no answer within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (first && e.syscall === 'connect') reject(new ConnectFailed(e.code ?? '', e.message));
      else reject(new DaemonUnreachable(socket, reasonFor(e.code ?? '') ?? e.message));
    });
    req.end();
  });
}
