// Alias drift noticed without waiting for the cron schedule. Every `interval` the poll lists the
// interface's addresses with os.networkInterfaces() (getifaddrs(3) inside libuv: in-process, no
// child, the same call on Linux and macOS) and compares them with the desired aliases the last
// reconcile left present; one missing means someone deleted it, and a reconcile ('drift') puts it
// back. Why poll rather than listen: Node has no netlink socket (AF_NETLINK is not a socket family
// it opens), and `ip monitor address` would be a long-lived child process to supervise and parse
// — on Linux only; macOS would need a PF_ROUTE socket Node cannot open either. A 1 s poll costs a
// few tens of microseconds for a handful of aliases and repairs within ~1 s plus the reconcile.
//
// Bounded for large sets: the interval grows with the measured cost of one look, so that the poll
// never takes more than DUTY of one core (measured under the service's --lite-mode: 4,096
// addresses on lo take ~25 ms a look, so every ~2.5 s; 16,384 take ~200 ms, every ~20 s; 65,536
// about a second, every ~100 s), capped at MAX_INTERVAL_MS. With nothing desired it looks at
// nothing. While a reconcile runs, or one it asked for is pending, it does not look.

/** Default poll interval. */
export const BASE_INTERVAL_MS = 1000;
/** The interval never grows past this (the cron schedule is the backstop anyway). */
export const MAX_INTERVAL_MS = 300_000;
/** Share of one core the poll may use: interval >= cost of one look / DUTY. */
export const DUTY = 0.01;

/** The desired addresses not present now (all of them when the interface is not listed: down or gone). */
export function missingFrom(expected: ReadonlySet<string>, present: ReadonlySet<string> | null): string[] {
  const out: string[] = [];
  for (const a of expected) if (present === null || !present.has(a)) out.push(a);
  return out;
}

/** The next interval after a look that took `costMs`. */
export function nextInterval(costMs: number, base = BASE_INTERVAL_MS): number {
  return Math.min(MAX_INTERVAL_MS, Math.max(base, Math.ceil(costMs / DUTY)));
}

export interface Look {
  /** ms since the epoch */
  at: number;
  /** Canonical addresses on the interface, or null when it is not listed (down or missing). */
  present: ReadonlySet<string> | null;
  /** How long the look took (ms). */
  costMs: number;
}

export interface Timer {
  cancel(): void;
}

export interface DriftPollDeps {
  /** Look at the interface now (src/daemon/live-look.ts). */
  look: () => Look;
  /** The desired aliases the last reconcile left present (empty: nothing to watch). */
  expected: () => ReadonlySet<string>;
  /** Whether a reconcile is running (the interface is in flux then). */
  busy: () => boolean;
  /** Ask for a reconcile; resolves when it has run. */
  onDrift: (missing: string[]) => Promise<unknown>;
  setTimer?: (fn: () => void, ms: number) => Timer;
  baseIntervalMs?: number;
}

const realTimer = (fn: () => void, ms: number): Timer => {
  const t = setTimeout(fn, ms);
  t.unref();
  return { cancel: () => clearTimeout(t) };
};

export class DriftPoll {
  private timer: Timer | null = null;
  private pending: Promise<unknown> | null = null;
  private stopped = true;
  /** The interval in use (grows with the cost of a look). */
  intervalMs: number;
  /** Looks taken and reconciles asked for (tests, and the cost report). */
  looks = 0;
  triggers = 0;

  constructor(private readonly deps: DriftPollDeps) {
    this.intervalMs = deps.baseIntervalMs ?? BASE_INTERVAL_MS;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  /** One round: look (unless there is nothing to watch or a reconcile is under way) and decide. */
  tick(): void {
    if (this.stopped) return;
    const expected = this.deps.expected();
    if (expected.size > 0 && this.pending === null && !this.deps.busy()) {
      const look = this.deps.look();
      this.looks++;
      this.intervalMs = nextInterval(look.costMs, this.deps.baseIntervalMs ?? BASE_INTERVAL_MS);
      const missing = missingFrom(expected, look.present);
      if (missing.length > 0) {
        this.triggers++;
        const p = this.deps.onDrift(missing).catch(() => undefined);
        this.pending = p;
        void p.finally(() => {
          if (this.pending === p) this.pending = null;
        });
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = (this.deps.setTimer ?? realTimer)(() => this.tick(), this.intervalMs);
  }
}
