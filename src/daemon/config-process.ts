// Loading the config in a short-lived child process, for the daemon. The parser and validator
// (yaml, and zod with all its locales) add about 6.5 MB of resident memory to a process once
// loaded and never give it back; the daemon needs them only when a config file changed (start-up,
// an edit, SIGHUP) — a scheduled or API reconcile with unchanged files does not re-read the config
// (daemon.ts). This module and config-child.ts are the daemon's edge: the config layer itself
// never spawns. A child process costs ~100 ms per load and keeps the long-running daemon under its
// 60 MB budget; a worker thread was measured too and kept most of that memory (its arenas and
// isolate pages stay with the process). Falls back to loading in-process when the compiled child
// script is not there (running from TypeScript sources, as the unit tests do).
//
// The daemon owns its children: on SIGTERM it stops a running loader itself (`stop()`, SIGTERM
// then SIGKILL after a grace period) and waits for it to exit before it exits, so the systemd unit
// can use KillMode=mixed (systemd signals only the daemon) and nothing is left for a final SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../runtime';
import type { LoadedConfig } from '../config';

const CHILD = join(__dirname, 'config-child.js');
/** argv[3] of a pre-started loader: read no file before a line on stdin (config-child.ts). */
export const WAIT_FOR_GO = '--wait-for-go';

interface LoaderRun {
  child: ChildProcess;
  result: Promise<LoadedConfig>;
  /** Tells a pre-started loader to load now; false when its stdin is gone. */
  go: () => boolean;
}
/** A merged config is capped (8 MiB a file, 262,144 aliases); its JSON stays far below this. */
const MAX_OUTPUT = 256 * 1024 * 1024;

export interface LoadOptions {
  strictModes: boolean;
  timeoutMs?: number;
}

export interface ConfigLoaderOptions {
  /** The child script (default: the compiled config-child.js beside this file). */
  childScript?: string;
  /** argv[0] of the child (default: this node). */
  execPath?: string;
}

/** Spawns config loaders and remembers the live ones, so the daemon can stop them on shutdown. */
export class ConfigLoaderProcess {
  private readonly live = new Map<ChildProcess, Promise<void>>();
  private stopped = false;

  constructor(private readonly opts: ConfigLoaderOptions = {}) {}

  /** Pids of the loaders running now (for logs and tests). */
  get pids(): number[] {
    return [...this.live.keys()].map((c) => c.pid).filter((p): p is number => p !== undefined);
  }

  /**
   * Starts a loader that boots (node, the config bundle) and then waits: it reads no file until
   * load() tells it to on its stdin. The daemon calls this at the first event of a config save,
   * so that the debounce and the child's start-up overlap; the files are read after the go, as
   * by a loader spawned then. At most one waits; one not used within `idleMs` is stopped.
   */
  prestart(runtime: Runtime, opts: LoadOptions, idleMs = 30000): void {
    if (this.stopped || this.warm !== null) return;
    const script = this.opts.childScript ?? CHILD;
    if (this.opts.childScript === undefined && !existsSync(script)) return; // in-process loads: nothing to start
    const key = JSON.stringify({ runtime, strictModes: opts.strictModes });
    const run = this.spawnLoader(script, key, true, opts.timeoutMs);
    const idle = setTimeout(() => {
      if (this.warm?.run === run) {
        this.warm = null;
        run.child.kill('SIGTERM');
      }
    }, idleMs);
    idle.unref();
    this.warm = { key, run, idle };
    // A loader that dies while it waits is simply not used.
    run.result.catch(() => undefined).finally(() => {
      if (this.warm?.run === run) {
        clearTimeout(idle);
        this.warm = null;
      }
    });
  }

  load(runtime: Runtime, opts: LoadOptions): Promise<LoadedConfig> {
    if (this.stopped) return Promise.reject(new Error('loopkeeperd is stopping: the config is not loaded again'));
    const script = this.opts.childScript ?? CHILD;
    if (this.opts.childScript === undefined && !existsSync(script)) {
      const { loadDesiredState } = require('../config') as typeof import('../config');
      return loadDesiredState(runtime, opts);
    }
    const key = JSON.stringify({ runtime, strictModes: opts.strictModes });
    const warm = this.warm;
    this.warm = null;
    if (warm !== null) {
      clearTimeout(warm.idle);
      if (warm.key === key && warm.run.child.exitCode === null && warm.run.child.signalCode === null && warm.run.go()) return warm.run.result;
      warm.run.child.kill('SIGTERM'); // for another runtime, or gone: not used
    }
    return this.spawnLoader(script, key, false, opts.timeoutMs).result;
  }

  private warm: { key: string; run: LoaderRun; idle: NodeJS.Timeout } | null = null;

  private spawnLoader(script: string, key: string, waitForGo: boolean, timeoutMs: number | undefined): LoaderRun {
    let go: () => boolean = () => true;
    let childRef!: ChildProcess;
    const result = new Promise<LoadedConfig>((resolve, reject) => {
      const child = spawn(this.opts.execPath ?? process.execPath, [script, key, ...(waitForGo ? [WAIT_FOR_GO] : [])], {
        stdio: [waitForGo ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      childRef = child;
      if (waitForGo) {
        child.stdin!.on('error', () => undefined); // a loader gone before the go: its close event says so
        go = () => {
          if (child.stdin === null || child.stdin.destroyed) return false;
          child.stdin.end('go\n');
          return true;
        };
      }
      let closed!: () => void;
      this.live.set(child, new Promise<void>((r) => (closed = r)));
      const out: Buffer[] = [];
      let size = 0;
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), (timeoutMs ?? 60000) + (waitForGo ? 30000 : 0));
      child.stdout!.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_OUTPUT) child.kill('SIGKILL');
        else out.push(c);
      });
      child.stderr!.on('data', (c: Buffer) => {
        if (err.length < 4096) err += c.toString('utf8');
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        this.live.delete(child);
        closed();
        reject(new Error(`could not start the config loader: ${e.message}`));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        this.live.delete(child);
        closed();
        if (code !== 0) {
          reject(new Error(`the config loader failed (${signal ?? `exit ${code}`})${err ? `: ${err.trim()}` : ''}`));
          return;
        }
        try {
          resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as LoadedConfig);
        } catch (e) {
          reject(new Error(`the config loader's answer was not JSON: ${(e as Error).message}`));
        }
      });
    });
    return { child: childRef, result, go: () => go() };
  }

  /**
   * Refuses further loads, sends SIGTERM to every running loader, SIGKILL to those still there
   * after `graceMs`, and resolves once all have exited. Returns the pids it stopped.
   */
  async stop(graceMs = 2000): Promise<number[]> {
    this.stopped = true;
    if (this.warm !== null) clearTimeout(this.warm.idle);
    this.warm = null;
    const children = [...this.live.entries()];
    const pids = children.map(([c]) => c.pid).filter((p): p is number => p !== undefined);
    await Promise.all(
      children.map(async ([child, closed]) => {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const escalate = new Promise<void>((r) => {
          timer = setTimeout(() => {
            child.kill('SIGKILL');
            r();
          }, graceMs);
        });
        await Promise.race([closed, escalate]);
        await closed; // after SIGKILL the close event follows at once
        clearTimeout(timer);
      }),
    );
    return pids;
  }
}

const shared = new ConfigLoaderProcess();

/** One load through a process-wide loader (tests; the daemon makes its own ConfigLoaderProcess). */
export function loadDesiredStateOutOfProcess(runtime: Runtime, opts: LoadOptions): Promise<LoadedConfig> {
  return shared.load(runtime, opts);
}
