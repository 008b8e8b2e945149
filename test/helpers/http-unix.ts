// Talking to a unix-socket HTTP server as curl would, plus raw byte exchanges for hostile clients.
// No client-side deadlines: a reply, or the server closing, ends each exchange; a server that
// never answers fails the test by jest's timeout instead of passing on a slow machine.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function http(
  socketPath: string,
  method: string,
  path: string,
  opts: { body?: string | Buffer; headers?: Record<string, string | number> } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { Host: 'localhost', ...(opts.headers ?? {}) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try {
          json = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

/** Sends raw bytes and collects everything until the server closes the connection. */
export function raw(socketPath: string, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ path: socketPath });
    const chunks: Buffer[] = [];
    s.on('connect', () => s.write(bytes));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Opens a connection and keeps it (idle) until closed by either side. */
export function idle(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: socketPath });
    s.on('connect', () => resolve(s));
    s.on('error', reject);
  });
}
