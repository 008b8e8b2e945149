#!/usr/bin/env node
// The systemd unit's readiness step (`ExecStartPost=`): returns once loopkeeperd has finished its
// first reconcile, so that systemd marks loopkeeper.service active only then and a unit ordered
// `After=loopkeeper.service` finds the aliases in place (SPEC "Services", readiness).
//
// Why this and not Type=notify: node cannot send to NOTIFY_SOCKET (a unix datagram socket; node has
// no AF_UNIX SOCK_DGRAM), and `systemd-notify --ready` run from the daemon needs NotifyAccess=all
// and races with its own exit (systemd may no longer know which unit the sender belonged to).
//
// How: connect to the API socket (it appears a moment after the daemon starts: poll it, bounded),
// then `POST /v1/reconcile`. The daemon starts its startup reconcile before it serves any request,
// and a reconcile request that arrives during a run waits for the next one, so the answer comes
// only after the first reconcile has finished — an event, no polling for the result. Any answer
// counts (an invalid config is reported by status, and failing the unit for it would only make
// systemd restart a daemon that is doing its job); only "the daemon never answered" fails.
import { request } from 'node:http';
import { resolveRuntime } from '../runtime';

export interface ReadyAnswer {
  status: number;
  body: string;
  retryAfterSeconds: number | null;
}

/** One HTTP request on the unix socket; rejects with the socket error (its `code` kept). */
export type SocketCall = (socket: string, method: 'GET' | 'POST', path: string) => Promise<ReadyAnswer>;

export const callSocket: SocketCall = (socket, method, path) =>
  new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, agent: false, headers: { Host: 'localhost', Accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const retry = Number(res.headers['retry-after']);
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          retryAfterSeconds: Number.isFinite(retry) && retry > 0 ? retry : null,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });

/** Socket errors that mean "not listening yet": keep trying until the deadline. */
const NOT_YET = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EAGAIN']);

export interface WaitOptions {
  socket: string;
  method: 'GET' | 'POST';
  path: string;
  /** How long the daemon may take to answer at all (the socket appearing, a 429 wearing off). */
  withinMs: number;
  call?: SocketCall;
  /** Whether the daemon process still exists (stop early when it died instead of waiting the bound). */
  alive?: () => boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export type WaitResult = { ok: true; answer: ReadyAnswer; attempts: number } | { ok: false; reason: string; attempts: number };

/**
 * Sends `method path` to the daemon until it answers (anything but 429), trying again while the
 * socket is missing or refuses connections, for at most `withinMs`. Shared by this readiness step
 * and by `loopkeeper install` (which waits up to 10 s for the started service to answer).
 */
export async function waitForAnswer(opts: WaitOptions): Promise<WaitResult> {
  const call = opts.call ?? callSocket;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.withinMs;
  let attempts = 0;
  let pause = 20;
  let last = 'no attempt was made';
  for (;;) {
    attempts += 1;
    let wait: number;
    try {
      const answer = await call(opts.socket, opts.method, opts.path);
      if (answer.status !== 429) return { ok: true, answer, attempts };
      last = `it kept answering 429 (rate-limited) on ${opts.method} ${opts.path}`;
      wait = (answer.retryAfterSeconds ?? 1) * 1000;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (!NOT_YET.has(code)) return { ok: false, reason: `${opts.socket}: ${(e as Error).message}`, attempts };
      last = code === 'ENOENT' ? `${opts.socket} never appeared` : `nothing accepted connections on ${opts.socket} (${code})`;
      wait = pause;
      pause = Math.min(pause * 2, 200);
    }
    if (opts.alive && !opts.alive()) return { ok: false, reason: `it exited before it answered (${last})`, attempts };
    const left = deadline - now();
    if (left <= 0) return { ok: false, reason: `${last} within ${Math.round(opts.withinMs / 1000)} s`, attempts };
    await sleep(Math.min(wait, left));
  }
}

/** How the readiness step reports the reconcile it waited for (one line in the journal). */
export function describeReady(answer: ReadyAnswer): string {
  try {
    const body = JSON.parse(answer.body) as { result?: string; changes?: unknown[]; error?: { message?: string } };
    if (answer.status === 200) {
      const n = Array.isArray(body.changes) ? body.changes.length : 0;
      return `loopkeeperd is ready: the first reconcile has finished (result ${body.result ?? 'unknown'}, ${n} change(s) in the run waited for)`;
    }
    return `loopkeeperd answered ${answer.status} after its first reconcile: ${body.error?.message ?? answer.body.slice(0, 200)}`;
  } catch {
    return `loopkeeperd answered ${answer.status} after its first reconcile`;
  }
}

/** Default bound for the socket to appear: generous, the daemon listens within a second. */
export const READY_WITHIN_MS = 60_000;

/** Whether a process exists (a zombie counts until systemd reaps it, which it does at once). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = argv.slice(2);
  let socket: string | undefined;
  let withinMs = READY_WITHIN_MS;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--socket' && args[i + 1] !== undefined) socket = args[++i];
    else if (a === '--within-ms' && args[i + 1] !== undefined && Number(args[i + 1]) > 0) withinMs = Number(args[++i]);
    else {
      process.stderr.write(`loopkeeper-ready: unknown argument ${JSON.stringify(a)} (usage: ready.js [--socket PATH] [--within-ms N])\n`);
      return 2;
    }
  }
  // Resolved as the daemon resolves it: a drop-in's Environment=LOOPKEEPER_SOCKET=… applies to both.
  socket ??= resolveRuntime({}, env).socket;
  // systemd gives ExecStartPost= the daemon's pid in $MAINPID: a daemon that died fails the start
  // at once instead of after the whole bound (systemd itself waits for this step to end).
  const mainPid = Number(env.MAINPID);
  const alive = Number.isInteger(mainPid) && mainPid > 0 ? () => processAlive(mainPid) : undefined;
  const r = await waitForAnswer({ socket, method: 'POST', path: '/v1/reconcile', withinMs, alive });
  if (!r.ok) {
    process.stderr.write(`loopkeeper-ready: loopkeeperd did not answer: ${r.reason}; see \`journalctl -u loopkeeper\`\n`);
    return 1;
  }
  process.stdout.write(describeReady(r.answer) + '\n');
  return 0;
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
