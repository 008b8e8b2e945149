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
    // A guard against a hung child only (spawnSync blocks jest's own timer): as long as jest's timeout.
    timeout: 120000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs argv as the unprivileged user 65534 (to test what a non-root user sees while the tests run
 * as root). A fresh checkout may sit under a 0700 directory (`mktemp -d`) that user cannot
 * enter, so REPO is bind-mounted at a world-traversable path in a private mount namespace and
 * every REPO path in argv is rewritten to it. Returns that path as `repo`.
 */
export function asNobody(argv: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult & { repo: string } {
  const { mkdtempSync, chmodSync, rmdirSync } = require('node:fs') as typeof import('node:fs');
  const { tmpdir } = require('node:os') as typeof import('node:os');
  const mnt = mkdtempSync(join(tmpdir(), 'lk-public-'));
  chmodSync(mnt, 0o755);
  const mapped = argv.map((a) => a.split(REPO).join(mnt));
  // $0 = REPO, $1 = mount point, the rest = the command.
  const script = 'mount --bind "$0" "$1" && shift && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"';
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, REPO, mnt, ...mapped], {
    encoding: 'utf8',
    env: { ...(opts.env ?? process.env) },
    input: opts.input,
    // A guard against a hung child only (spawnSync blocks jest's own timer): as long as jest's timeout.
    timeout: 120000,
  });
  try {
    rmdirSync(mnt);
  } catch {
    /* still busy: harmless, it is an empty directory in /tmp */
  }
  return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : ''), repo: mnt };
}
