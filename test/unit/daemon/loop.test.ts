import { mainTrigger, ReconcileLoop } from '../../../src/daemon/loop';
import type { Trigger } from '../../../src/reconcile/types';

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ReconcileLoop', () => {
  it('never runs two reconciles at once and coalesces triggers into exactly one more run', async () => {
    const gates: ReturnType<typeof deferred>[] = [];
    const seen: (readonly Trigger[])[] = [];
    const loop = new ReconcileLoop(async (_t, triggers) => {
      seen.push(triggers);
      const g = deferred();
      gates.push(g);
      await g.promise;
      return seen.length;
    });
    const first = loop.request('startup');
    const queued = [loop.request('schedule'), loop.request('api'), loop.request('hosts'), loop.request('api')];
    expect(gates).toHaveLength(1);
    gates[0]!.resolve();
    expect(await first).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(gates).toHaveLength(2);
    gates[1]!.resolve();
    const results = await Promise.all(queued);
    expect(results).toEqual([2, 2, 2, 2]);
    expect(seen).toEqual([['startup'], ['schedule', 'api', 'hosts']]);
    expect(loop.maxActive).toBe(1);
    expect(loop.runs).toBe(2);
  });

  it('a request during a run waits for the next run, not the current one', async () => {
    let n = 0;
    const gate = deferred();
    const loop = new ReconcileLoop(async () => {
      n += 1;
      if (n === 1) await gate.promise;
      return n;
    });
    const a = loop.request('schedule');
    const b = loop.request('api');
    gate.resolve();
    expect(await a).toBe(1);
    expect(await b).toBe(2);
  });

  it('keeps going after a failing run and passes the error to its callers only', async () => {
    let n = 0;
    const loop = new ReconcileLoop(async () => {
      n += 1;
      if (n === 1) throw new Error('boom');
      return n;
    });
    const a = loop.request('startup');
    const b = loop.request('api');
    await expect(a).rejects.toThrow('boom');
    expect(await b).toBe(2);
    await loop.idle();
    expect(loop.busy).toBe(false);
  });

  it('handles many concurrent requests with at most one queued run', async () => {
    const loop = new ReconcileLoop(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return 0;
    });
    await Promise.all(Array.from({ length: 200 }, (_, i) => loop.request(i % 2 ? 'api' : 'schedule')));
    expect(loop.maxActive).toBe(1);
    expect(loop.runs).toBe(2);
  });

  it('reports a coalesced run under its most deliberate trigger', () => {
    expect(mainTrigger(['schedule', 'hosts', 'api'])).toBe('api');
    expect(mainTrigger(['schedule', 'config'])).toBe('config');
    expect(mainTrigger(['hosts'])).toBe('hosts');
  });
});
