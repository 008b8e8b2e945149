// Waiting for a condition without a deadline of our own: a test that waits for something that
// never happens fails by jest's timeout (jest.config.js), never because this machine is slow.
// While it waits it says what it waits for, every 10 s, so a timeout is easy to read.

/** Polls `fn` until it returns a value other than undefined/false (thrown errors count as "not yet"). */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, everyMs = 50): Promise<T> {
  let last: unknown;
  for (let polls = 1; ; polls++) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (polls % Math.ceil(10000 / everyMs) === 0) {
      // eslint-disable-next-line no-console
      console.warn(`still waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

import type { ChildProcess } from 'node:child_process';

/**
 * Resolves true when `child` has exited, or false after `boundMs` (a bound for a hung shutdown that
 * the caller then handles, e.g. by SIGKILL — not a speed assertion).
 */
export function waitForExit(child: ChildProcess, boundMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), boundMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Resolves with the first match of `re` in the child's stdout so far, or rejects with
 * `ended(how)` when the process exits first.
 */
export function waitForLine(child: ChildProcess, re: RegExp, ended: (how: string) => string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString('utf8');
      const m = re.exec(buf);
      if (m) {
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        resolve(m);
      }
    };
    const onExit = (code: number | null, signal: string | null) => reject(new Error(ended(signal ?? `exit ${code}`)));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}
