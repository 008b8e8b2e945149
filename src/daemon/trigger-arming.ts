// Trigger arming: what asks for a reconcile besides start-up, SIGHUP and the API — the cron
// schedule of the desired state, and file watches on the config and the hosts file (one watcher
// per kind, so the report says which moved). Re-armed after every config load, changed only when
// what it depends on changed.
import { statSync } from 'node:fs';
import cron, { type ScheduledTask } from 'node-cron';
import type { Trigger } from '../reconcile/types';
import { watchTargets, type WatchTarget, type Watcher } from './watch';

export interface TriggerArmingDeps {
  /** Ask for a reconcile; errors are the loop's to report, not the arming's. */
  trigger: (t: Trigger) => void;
  hostsFile: string;
  configWatchPaths: () => string[];
  /** Debounce for file-change triggers (ms). */
  debounceMs?: number;
  /** At the first event of a config save, before the debounce: starts the config loader that the reload then uses. */
  onConfigEvent?: () => void;
  /** false: no file watching (tests of the loop alone). */
  watch?: boolean;
}

export class TriggerArming {
  private cronTask: ScheduledTask | null = null;
  private cronExpr: string | null = null;
  private watcher: Watcher | null = null;
  private watchKey = '';
  private closed = false;

  constructor(private readonly deps: TriggerArmingDeps) {}

  /** (Re)arms the cron schedule and the file watches when what they depend on changed. */
  rearm(schedule: string | null): void {
    if (this.closed) return;
    if (schedule !== this.cronExpr) {
      void this.cronTask?.destroy();
      this.cronTask = null;
      this.cronExpr = schedule;
      if (schedule !== null) {
        this.cronTask = cron.schedule(schedule, () => this.deps.trigger('schedule'), { name: 'loopkeeper-drift-check', noOverlap: true });
      }
    }
    if (this.deps.watch === false) return;
    const targets = this.watchTargets();
    const key = JSON.stringify(targets.map((t) => [t.path, t.kind]));
    if (key === this.watchKey) return;
    this.watcher?.close();
    this.watchKey = key;
    const hostsFile = this.deps.hostsFile;
    const configWatch = watchTargets(
      targets.filter((t) => t.path !== hostsFile),
      () => this.deps.trigger('config'),
      this.deps.debounceMs,
      // The loader's start-up (node and the parser, ~100 ms) runs during the debounce.
      () => this.deps.onConfigEvent?.(),
    );
    const hostsWatch = watchTargets([{ path: hostsFile, kind: 'file' }], () => this.deps.trigger('hosts'), this.deps.debounceMs);
    this.watcher = {
      unwatched: [...configWatch.unwatched, ...hostsWatch.unwatched],
      close: () => {
        configWatch.close();
        hostsWatch.close();
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    await this.cronTask?.destroy();
  }

  private watchTargets(): WatchTarget[] {
    const targets: WatchTarget[] = [];
    for (const p of this.deps.configWatchPaths()) {
      let dir: boolean;
      try {
        dir = statSync(p).isDirectory();
      } catch {
        dir = !/\.ya?ml$/i.test(p);
      }
      targets.push(dir ? { path: p, kind: 'dir', match: (n) => /\.ya?ml$/i.test(n) } : { path: p, kind: 'file' });
    }
    return targets;
  }
}
