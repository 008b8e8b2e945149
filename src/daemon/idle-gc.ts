// Keeps the daemon's memory flat. Between reconciles V8 has no reason to run a full collection
// (the old generation grows until a limit), so a daemon that reconciled a thousand times looks
// like it grew although it holds nothing more. When the loop goes idle, collect once.
// `gc` is reached without a command-line flag (the service may be started by hand): the flag is
// set at run time and the function taken from a fresh context — a documented V8/Node idiom.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFn: (() => void) | null | undefined;

function getGc(): (() => void) | null {
  if (gcFn !== undefined) return gcFn;
  try {
    setFlagsFromString('--expose_gc');
    // Compact when collecting: without it the old generation keeps the pages it fragmented.
    setFlagsFromString('--compact_on_every_full_gc');
    gcFn = runInNewContext('gc') as () => void;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

export class IdleCollector {
  private timer: NodeJS.Timeout | null = null;
  private lastRun = Date.now();
  runs = 0;

  /** `idleMs` after the last activity, collect; under constant activity at most every `maxGapMs`. */
  constructor(
    private readonly idleMs = 500,
    private readonly maxGapMs = 10_000,
  ) {}

  /** Call after each reconcile. */
  touch(): void {
    if (this.timer) clearTimeout(this.timer);
    const wait = Date.now() - this.lastRun > this.maxGapMs ? 0 : this.idleMs;
    this.timer = setTimeout(() => this.collect(), wait);
    this.timer.unref();
  }

  collect(): void {
    this.timer = null;
    this.lastRun = Date.now();
    const gc = getGc();
    if (gc) {
      gc();
      this.runs += 1;
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
