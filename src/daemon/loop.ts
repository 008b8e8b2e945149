// The one loop that does the work. Reconciles never overlap; every trigger that arrives while one
// runs joins the single next run (they coalesce), and its caller gets that run's result — a
// reconcile requested during another must see the machine after its own request, not before.
import type { Trigger } from '../reconcile/types';

/** When several triggers coalesce, the run is reported under the most deliberate one. */
const PRIORITY: readonly Trigger[] = ['startup', 'signal', 'config', 'api', 'cli', 'hosts', 'drift', 'schedule'];

export function mainTrigger(triggers: readonly Trigger[]): Trigger {
  for (const t of PRIORITY) if (triggers.includes(t)) return t;
  return triggers[0] ?? 'schedule';
}

interface Pending<T> {
  triggers: Trigger[];
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

export class ReconcileLoop<T> {
  private running: Promise<T> | null = null;
  private next: Pending<T> | null = null;
  private active = 0;
  /** The most runs ever in progress at once (1 unless the loop is broken; tests assert it). */
  maxActive = 0;
  runs = 0;

  constructor(private readonly work: (trigger: Trigger, triggers: readonly Trigger[]) => Promise<T>) {}

  /** Ask for a reconcile; resolves with the result of the run that includes this request. */
  request(trigger: Trigger): Promise<T> {
    if (this.running === null) return this.start([trigger]);
    if (this.next === null) {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.next = { triggers: [], promise, resolve, reject };
    }
    if (!this.next.triggers.includes(trigger)) this.next.triggers.push(trigger);
    return this.next.promise;
  }

  /** Whether a run is in progress. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves once no run is in progress and none is queued. */
  async idle(): Promise<void> {
    while (this.running !== null) {
      await this.running.catch(() => undefined);
      // Let the hand-over to a queued run happen before looking again.
      await new Promise((r) => setImmediate(r));
    }
  }

  private start(triggers: Trigger[]): Promise<T> {
    const run = (async () => {
      this.active += 1;
      this.runs += 1;
      this.maxActive = Math.max(this.maxActive, this.active);
      try {
        return await this.work(mainTrigger(triggers), triggers);
      } finally {
        this.active -= 1;
      }
    })();
    this.running = run;
    const handOver = (): void => {
      this.running = null;
      const queued = this.next;
      this.next = null;
      if (queued) this.start(queued.triggers).then(queued.resolve, queued.reject);
    };
    run.then(handOver, handOver);
    return run;
  }
}
