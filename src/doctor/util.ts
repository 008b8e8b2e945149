// Small helpers the checks share.
import { messageOf } from '../errors';
import type { CheckResult } from './types';

export { messageOf };

/** The errno code of an error (EADDRNOTAVAIL, ENOENT, …), or its message. */
export function errorCode(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return messageOf(e);
}

/** Maps with at most `limit` calls in flight (binding 65,536 sockets at once would exhaust fds). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The first `max` lines, then "… and N more" (a doctor page must stay readable at 65k aliases). */
export function firstLines(lines: readonly string[], max = 10): string {
  const shown = lines.slice(0, max);
  if (lines.length > max) shown.push(`… and ${(lines.length - max).toLocaleString('en-US')} more`);
  return shown.join('\n');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** Rejects after ms unless `p` settles first; the timer never keeps the process alive. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** A result of `check` (its id and title) with the verdict. */
export function resultOf(
  check: { id: string; title: string },
  status: CheckResult['status'],
  detail: string,
  extra: Pick<CheckResult, 'hints' | 'data'> = {},
): CheckResult {
  return { id: check.id, title: check.title, status, detail, ...(extra.hints && extra.hints.length > 0 ? { hints: extra.hints } : {}), ...(extra.data !== undefined ? { data: extra.data } : {}) };
}

/** For a check that judges the desired state when there is none: the config check already failed. */
export function needsConfig(check: { id: string; title: string }): CheckResult {
  return resultOf(check, 'skip', 'needs a valid config');
}
