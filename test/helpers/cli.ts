// Runs the BUILT CLI (dist/cli/main.js) as a user would. `npm test` builds before jest runs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '..', '..');
export const CLI = join(REPO, 'dist', 'cli', 'main.js');
export const DAEMON = join(REPO, 'dist', 'daemon', 'main.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it first)`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/main.js ARGS` with a clean LOOPKEEPER_* environment plus `env`. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): CliResult {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LOOPKEEPER_')) clean[k] = v;
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...clean, NO_COLOR: '1', ...env },
    input,
    timeout: 60000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
