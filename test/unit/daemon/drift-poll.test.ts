// The drift poll's decisions on a fake clock: when it looks, when it asks for a reconcile, how
// its interval grows with the cost of a look. Nothing here waits on real time.
import { BASE_INTERVAL_MS, DriftPoll, MAX_INTERVAL_MS, missingFrom, nextInterval, type Look } from '../../../src/daemon/drift-poll';
import { LiveLook } from '../../../src/daemon/live-look';

function fakeTimers() {
  let now = 0;
  const queue: { at: number; fn: () => void; cancelled: boolean }[] = [];
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const t = { at: now + ms, fn, cancelled: false };
      queue.push(t);
      return { cancel: () => (t.cancelled = true) };
    },
    /** Advance the clock, running every timer that falls due, in order. */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        queue.sort((a, b) => a.at - b.at);
        const next = queue.find((t) => !t.cancelled && t.at <= end);
        if (!next) break;
        queue.splice(queue.indexOf(next), 1);
        now = next.at;
        next.fn();
      }
      now = end;
    },
    pending: () => queue.filter((t) => !t.cancelled).length,
  };
}

function setup(opts: { expected?: string[]; present?: string[] | null; costMs?: number; busy?: boolean } = {}) {
  const clock = fakeTimers();
  const state = {
    expected: new Set(opts.expected ?? ['127.0.0.2', '127.0.0.3']),
    present: opts.present === undefined ? new Set(['127.0.0.1', '127.0.0.2', '127.0.0.3']) : opts.present === null ? null : new Set(opts.present),
    costMs: opts.costMs ?? 0.05,
    busy: opts.busy ?? false,
    drifts: [] as { at: number; missing: string[] }[],
    finishReconcile: null as null | (() => void),
  };
  const poll = new DriftPoll({
    look: (): Look => ({ at: clock.now(), present: state.present, costMs: state.costMs }),
    expected: () => state.expected,
    busy: () => state.busy,
    onDrift: (missing) => {
      state.drifts.push({ at: clock.now(), missing });
      return new Promise<void>((res) => (state.finishReconcile = res));
    },
    setTimer: clock.setTimer,
  });
  return { clock, state, poll };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('drift poll decisions (fake clock)', () => {
  it('missingFrom: desired addresses not present; all of them when the interface is not listed', () => {
    expect(missingFrom(new Set(['a', 'b']), new Set(['a']))).toEqual(['b']);
    expect(missingFrom(new Set(['a', 'b']), new Set(['a', 'b', 'c']))).toEqual([]);
    expect(missingFrom(new Set(['a', 'b']), null)).toEqual(['a', 'b']);
    expect(missingFrom(new Set(), null)).toEqual([]);
  });

  it('looks once per interval and asks for nothing while every desired alias is there', () => {
    const t = setup();
    t.poll.start();
    t.clock.advance(10 * BASE_INTERVAL_MS);
    expect(t.poll.looks).toBe(10);
    expect(t.state.drifts).toEqual([]);
  });

  it('a deleted alias: one reconcile asked for at the next look (within one interval), none more while it is pending', async () => {
    const t = setup();
    t.poll.start();
    t.clock.advance(2500);
    (t.state.present as Set<string>).delete('127.0.0.3');
    t.clock.advance(500); // the look at 3000 sees it
    expect(t.state.drifts).toEqual([{ at: 3000, missing: ['127.0.0.3'] }]);
    t.clock.advance(5000); // the reconcile is still running: no look, no second request
    expect(t.state.drifts).toHaveLength(1);
    expect(t.poll.looks).toBe(3);
    // It finishes and put the alias back: the poll looks again and is satisfied.
    (t.state.present as Set<string>).add('127.0.0.3');
    t.state.finishReconcile!();
    await flush();
    t.clock.advance(BASE_INTERVAL_MS);
    expect(t.poll.looks).toBe(4);
    expect(t.state.drifts).toHaveLength(1);
  });

  it('does not look while a reconcile runs, nor when nothing is expected (no config, nothing present)', () => {
    const busy = setup({ busy: true });
    busy.poll.start();
    busy.clock.advance(5000);
    expect(busy.poll.looks).toBe(0);
    const none = setup({ expected: [] });
    none.poll.start();
    none.clock.advance(5000);
    expect(none.poll.looks).toBe(0);
  });

  it('the interface gone (not listed as up): every expected alias is missing, one request', () => {
    const t = setup({ present: null });
    t.poll.start();
    t.clock.advance(BASE_INTERVAL_MS);
    expect(t.state.drifts).toEqual([{ at: 1000, missing: ['127.0.0.2', '127.0.0.3'] }]);
  });

  it('a look that costs more makes the interval grow so the poll stays under 1% of a core, capped', () => {
    expect(nextInterval(0.05)).toBe(BASE_INTERVAL_MS);
    expect(nextInterval(10)).toBe(BASE_INTERVAL_MS);
    expect(nextInterval(40)).toBe(4000);
    expect(nextInterval(5000)).toBe(MAX_INTERVAL_MS);
    const t = setup({ costMs: 30 });
    t.poll.start();
    t.clock.advance(1000);
    expect(t.poll.intervalMs).toBe(3000);
    t.clock.advance(2999);
    expect(t.poll.looks).toBe(1);
    t.clock.advance(1);
    expect(t.poll.looks).toBe(2);
  });

  it('stop() cancels the timer; nothing runs after it', () => {
    const t = setup();
    t.poll.start();
    t.poll.stop();
    t.clock.advance(10_000);
    expect(t.poll.looks).toBe(0);
    expect(t.clock.pending()).toBe(0);
  });
});

describe('the live look (os.networkInterfaces seam)', () => {
  it('canonical addresses of the interface and its labels; null when it is not listed', () => {
    let list: ReturnType<typeof import('node:os').networkInterfaces> = {
      lo: [
        { address: '127.0.0.1', family: 'IPv4', netmask: '255.0.0.0', mac: '', internal: true, cidr: null },
        { address: 'FD00:0:0::2', family: 'IPv6', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', mac: '', internal: true, cidr: null, scopeid: 0 },
      ],
      'lo:lk': [{ address: '127.0.0.2', family: 'IPv4', netmask: '255.255.255.255', mac: '', internal: true, cidr: null }],
    };
    const live = new LiveLook('lo', '/nonexistent/hosts', () => 42, () => list);
    const look = live.look();
    expect(look.at).toBe(42);
    expect([...look.present!].sort()).toEqual(['127.0.0.1', '127.0.0.2', 'fd00::2']);
    list = {};
    expect(live.look().present).toBeNull();
    expect(live.hosts([])).toBeNull(); // no hosts file: not observed
  });
});

describe('the live look for status requests on a large interface', () => {
  it('reuses a dear look until it is as old as the interval its cost allows, then looks again', () => {
    let now = 0;
    let calls = 0;
    const live = new LiveLook('lo', '/nonexistent/hosts', () => now, () => {
      calls++;
      return { lo: [{ address: '127.0.0.1', family: 'IPv4', netmask: '255.0.0.0', mac: '', internal: true, cidr: null }] };
    });
    const first = live.look();
    (first as { costMs: number }).costMs = 40; // as a look at ~6,000 addresses costs: interval 4 s
    now = 3999;
    expect(live.forStatus()).toBe(first);
    expect(calls).toBe(1);
    now = 4000;
    expect(live.forStatus()).not.toBe(first);
    expect(calls).toBe(2);
  });
});
