// Counts repairs of the managed block. When another program keeps rewriting it away, fighting
// forever only makes the two programs take turns; past the limit loopkeeper stops and says so.

export interface TrampleGuardOptions {
  /** More repairs than this within the window means trampled (SPEC: 10). */
  limit?: number;
  /** SPEC: 5 minutes. */
  windowMs?: number;
  now?: () => number;
}

export class TrampleGuard {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private repairs: number[] = [];

  constructor(opts: TrampleGuardOptions = {}) {
    this.limit = opts.limit ?? 10;
    this.windowMs = opts.windowMs ?? 5 * 60 * 1000;
    this.now = opts.now ?? Date.now;
  }

  recordRepair(): void {
    this.repairs.push(this.now());
    this.prune();
  }

  isTrampled(): boolean {
    this.prune();
    return this.repairs.length > this.limit;
  }

  reset(): void {
    this.repairs = [];
  }

  private prune(): void {
    const since = this.now() - this.windowMs;
    let drop = 0;
    while (drop < this.repairs.length && this.repairs[drop]! <= since) drop++;
    if (drop > 0) this.repairs = this.repairs.slice(drop);
  }
}
