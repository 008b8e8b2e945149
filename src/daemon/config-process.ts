// Loading the config in a short-lived child process, for the daemon. The parser and validator
// (yaml, and zod with all its locales) add about 6.5 MB of resident memory to a process once
// loaded and never give it back; the daemon needs them only when a config file changed (start-up,
// an edit, SIGHUP) — a scheduled or API reconcile with unchanged files does not re-read the config
// (daemon.ts). This module and config-child.ts are the daemon's edge: the config layer itself
// never spawns. A child process costs ~100 ms per load and keeps the long-running daemon under its
// 60 MB budget; a worker thread was measured too and kept most of that memory (its arenas and
// isolate pages stay with the process). Falls back to loading in-process when the compiled child
// script is not there (running from TypeScript sources, as the unit tests do).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../runtime';
import type { LoadedConfig } from '../config';

const CHILD = join(__dirname, 'config-child.js');
/** A merged config is capped (8 MiB a file, 262,144 aliases); its JSON stays far below this. */
const MAX_OUTPUT = 256 * 1024 * 1024;

export function loadDesiredStateOutOfProcess(
  runtime: Runtime,
  opts: { strictModes: boolean; timeoutMs?: number },
): Promise<LoadedConfig> {
  if (!existsSync(CHILD)) {
    const { loadDesiredState } = require('../config') as typeof import('../config');
    return loadDesiredState(runtime, opts);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify({ runtime, strictModes: opts.strictModes })], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60000);
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_OUTPUT) child.kill('SIGKILL');
      else out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (err.length < 4096) err += c.toString('utf8');
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start the config loader: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
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
}
