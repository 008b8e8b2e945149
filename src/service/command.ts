// What `loopkeeper install` and `uninstall` share: the root check with the exact `sudo …` to run,
// choosing the platform, and printing the steps.
import { resolve } from 'node:path';
import type { CommandContext } from '../cli/context';
import { EXIT } from '../exit-codes';
import type { CommandRunner } from '../platform/types';
import {
  CONFIG_FILE,
  installService,
  servicePath,
  uninstallService,
  type ServiceOutcome,
  type ServicePlatform,
  type ServiceStep,
} from './install';
import { SYSTEMD_UNIT_NAME, packageRoot } from './templates';

export interface ServiceCommandOptions {
  root?: string;
}

export interface ServiceCommandDeps {
  /** Effective uid (process.geteuid). */
  uid?: number;
  runner?: CommandRunner;
  nodePath?: string;
  daemonPath?: string;
  packageDir?: string;
}

export function defaultDaemonPath(): string {
  return resolve(packageRoot(), 'dist', 'daemon', 'main.js');
}

/** Quotes one word for a POSIX shell, only when it needs it (for a command the user copies). */
export function shellWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_\/.:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line the user ran, as `sudo …` with the node binary's absolute path. */
export function sudoCommand(argv: readonly string[]): string {
  const [, script, ...rest] = argv;
  return ['sudo', process.execPath, ...(script === undefined ? [] : [script]), ...rest].map(shellWord).join(' ');
}

export function describeStep(step: ServiceStep): string {
  if (step.kind === 'ran') return `ran       ${step.argv.join(' ')}`;
  const note = step.note ? ` (${step.note})` : '';
  return `${step.kind.padEnd(9)} ${step.path}${note}`;
}

function platformOf(p: NodeJS.Platform): ServicePlatform | null {
  return p === 'linux' || p === 'darwin' ? p : null;
}

function defaultRunner(): CommandRunner {
  // Loaded on use: `install --root` never spawns, and tests pass a fake.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../platform/runner') as typeof import('../platform/runner')).createRunner();
}

export async function runServiceCommand(
  mode: 'install' | 'uninstall',
  ctx: CommandContext,
  opts: ServiceCommandOptions,
  deps: ServiceCommandDeps = {},
): Promise<number> {
  const platform = platformOf(ctx.runtime.platform);
  if (platform === null) {
    ctx.err(`loopkeeper: ${mode} supports Linux (systemd) and macOS (launchd), not ${ctx.runtime.platform}\n`);
    return EXIT.FAILURE;
  }
  if (opts.root === '') {
    ctx.err(`loopkeeper: --root needs a directory\n`);
    return EXIT.USAGE;
  }
  const rootGiven = typeof opts.root === 'string';
  const uid = deps.uid ?? process.geteuid?.() ?? 0;
  if (!rootGiven && uid !== 0) {
    ctx.err(`loopkeeper: ${mode} changes the system's services and needs root. Run:\n  ${sudoCommand(ctx.argv)}\n`);
    return EXIT.FAILURE;
  }
  const common = {
    platform,
    root: rootGiven ? resolve(opts.root!) : '/',
    activate: !rootGiven,
    paths: { node: deps.nodePath ?? process.execPath, daemon: deps.daemonPath ?? defaultDaemonPath() },
    runner: deps.runner ?? (rootGiven ? refusingRunner() : defaultRunner()),
    packageDir: deps.packageDir,
  };
  const outcome: ServiceOutcome =
    mode === 'install' ? await installService(common) : await uninstallService({ ...common, stateDir: ctx.runtime.stateDir });
  for (const step of outcome.steps) ctx.out(describeStep(step) + '\n');
  if (!outcome.ok) {
    ctx.err(`loopkeeper: ${mode} failed: ${outcome.error ?? 'unknown error'}\n`);
    return EXIT.FAILURE;
  }
  ctx.out(summary(mode, platform, rootGiven ? common.root : null) + '\n');
  return EXIT.OK;
}

/** With --root nothing is loaded; a runner that refuses makes a mistake loud instead of live. */
function refusingRunner(): CommandRunner {
  return {
    run: (argv) => Promise.reject(new Error(`internal error: --root must not run ${argv.join(' ')}`)),
  };
}

function summary(mode: 'install' | 'uninstall', platform: ServicePlatform, root: string | null): string {
  const manager = platform === 'darwin' ? 'launchd' : 'systemd';
  if (mode === 'install') {
    if (root !== null) return `Installed the ${manager} service under ${root}; nothing was loaded.`;
    const look =
      platform === 'darwin' ? 'sudo launchctl print system/dev.loopkeeper.daemon' : `systemctl status ${SYSTEMD_UNIT_NAME}`;
    return `loopkeeper runs now and at boot (${look}). Edit ${CONFIG_FILE}; the daemon applies it on save.`;
  }
  const where = root === null ? servicePath(platform) : `${root}${servicePath(platform)}`;
  return (
    `Removed the ${manager} service (${where}). The config and the state directory are kept. ` +
    'Aliases and the hosts block stay as they are: `loopkeeper down` removes them.'
  );
}
