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
