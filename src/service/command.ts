// What `loopkeeper install` and `uninstall` share: the root check with the exact `sudo …` to run,
// choosing the platform, and printing the steps.
import { resolve } from 'node:path';
import type { CommandContext } from '../cli/context';
import { EXIT } from '../exit-codes';
import type { CommandRunner } from '../platform/types';
import { shellWord } from '../shell';
import {
  CONFIG_FILE,
  installService,
  serviceManagerFor,
  uninstallService,
  type ServiceHost,
  type ServiceOptions,
  type ServiceOutcome,
  type ServicePlatform,
  type ServiceStep,
} from './install';
import { cliHint, invocationOf, realInvocationFacts, type Invocation } from '../cli/hint';
import { profileFor } from '../platform/profiles';
import { packageRoot } from './templates';

export interface ServiceCommandOptions {
  root?: string;
}

export interface ServiceCommandDeps {
  /** Effective uid (process.geteuid). */
  uid?: number;
  runner?: CommandRunner;
  nodePath?: string;
  daemonPath?: string;
  readyPath?: string;
  packageDir?: string;
  host?: ServiceHost;
  answerWithinMs?: number;
  /** Where / is for a real install (tests redirect the files; the service manager is still driven). */
  systemRoot?: string;
  /** The environment (PATH, NVM_DIR: where a stable node link may be). */
  env?: NodeJS.ProcessEnv;
}

export function defaultDaemonPath(): string {
  return resolve(packageRoot(), 'dist', 'daemon', 'main.js');
}

export { shellWord };

/** How the user ran this CLI (argv[1]), for the command lines hints print (src/cli/hint.ts). */
function invocationFor(argv: readonly string[]): Invocation {
  const facts = realInvocationFacts();
  const script = argv[1];
  return invocationOf({ ...facts, argv1: script, cliScript: script === undefined ? facts.cliScript : resolve(script) });
}

/**
 * The command line the user ran, as `sudo …`: `sudo loopkeeper …` when that is on root's PATH and
 * is this CLI, else with the node binary's and the script's absolute paths.
 */
export function sudoCommand(argv: readonly string[]): string {
  return [...invocationFor(argv).sudo, ...argv.slice(2)].map(shellWord).join(' ');
}

export function describeStep(step: ServiceStep): string {
  if (step.kind === 'ran') return `ran       ${step.argv.join(' ')}${step.note ? ` (${step.note})` : ''}`;
  const note = step.note ? ` (${step.note})` : '';
  return `${step.kind.padEnd(9)} ${step.path}${note}`;
}

function platformOf(p: NodeJS.Platform): ServicePlatform | null {
  return profileFor(p)?.os ?? null;
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
  const common: ServiceOptions = {
    platform,
    root: rootGiven ? resolve(opts.root!) : (deps.systemRoot ?? '/'),
    activate: !rootGiven,
    paths: { node: deps.nodePath ?? process.execPath, daemon: deps.daemonPath ?? defaultDaemonPath(), ready: deps.readyPath },
    runner: deps.runner ?? (rootGiven ? refusingRunner() : defaultRunner()),
    packageDir: deps.packageDir,
    host: deps.host,
    answerWithinMs: deps.answerWithinMs,
    env: deps.env ?? process.env,
  };
  const outcome: ServiceOutcome =
    mode === 'install' ? await installService(common) : await uninstallService({ ...common, stateDir: ctx.runtime.stateDir });
  for (const step of outcome.steps) ctx.out(describeStep(step) + '\n');
  if (outcome.refused) {
    ctx.err(`loopkeeper: ${mode} refused: ${outcome.error ?? 'unknown reason'}.\nNothing was written. ${foreground(common, invocationFor(ctx.argv))}\n`);
    return EXIT.FAILURE;
  }
  if (outcome.log) ctx.err(`The service's last log lines (${outcome.log.source}):\n${indent(outcome.log.text)}\n`);
  if (mode === 'uninstall') return finishUninstall(ctx, platform, rootGiven ? common.root : null, outcome);
  for (const note of outcome.notes) ctx.err(`loopkeeper: warning: ${note}\n`);
  if (!outcome.ok) {
    ctx.err(`loopkeeper: install failed: ${outcome.error ?? 'unknown error'}\n`);
    return EXIT.FAILURE;
  }
  ctx.out(installSummary(platform, rootGiven ? common.root : null, outcome.changed) + '\n');
  return EXIT.OK;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** How to run loopkeeper without a service manager (SPEC "Services": install says so when it refuses). */
function foreground(opts: ServiceOptions, how: Invocation): string {
  const run = ['sudo', opts.paths.node, opts.paths.daemon].map(shellWord).join(' ');
  return (
    `Run the daemon in the foreground instead (it keeps the aliases and /etc/hosts as declared until you stop it):\n  ${run}\n` +
    `or apply the config once with \`${cliHint('apply', { sudo: true, how })}\`.`
  );
}

/** With --root nothing is loaded; a runner that refuses makes a mistake loud instead of live. */
function refusingRunner(): CommandRunner {
  return {
    run: (argv) => Promise.reject(new Error(`internal error: --root must not run ${argv.join(' ')}`)),
  };
}

function installSummary(platform: ServicePlatform, root: string | null, changed: boolean): string {
  const manager = serviceManagerFor(platform);
  if (root !== null) {
    return changed
      ? `Installed the ${manager.name} service under ${root}; nothing was loaded.`
      : `The ${manager.name} service under ${root} was already installed: nothing changed, nothing was loaded.`;
  }
  // Said only after install saw the started daemon answer on its socket (and, with launchd, that
  // the one answering is the job launchd runs).
  const head = changed ? 'loopkeeper runs now and at boot' : 'loopkeeper was already installed and running: nothing changed';
  return `${head} (${manager.statusCommand}). Edit ${CONFIG_FILE}; the daemon applies it on save.`;
}

function finishUninstall(ctx: CommandContext, platform: ServicePlatform, root: string | null, outcome: ServiceOutcome): number {
  const manager = serviceManagerFor(platform).name;
  const path = serviceManagerFor(platform).servicePath;
  const where = root === null ? path : `${root}${path}`;
  if (outcome.error !== undefined) {
    ctx.err(`loopkeeper: uninstall failed: ${outcome.error}\n`);
    return EXIT.FAILURE;
  }
  const down = cliHint('down', { sudo: true, how: invocationFor(ctx.argv) });
  const leftovers = `Aliases and the hosts block stay as they are: \`${down}\` removes them (run it before uninstalling next time).`;
  if (outcome.nothingToRemove) {
    ctx.out(`loopkeeper is not installed here (${where} does not exist): there was nothing to remove.\n`);
    return EXIT.OK;
  }
  for (const note of outcome.notes) ctx.out(`note: ${note}\n`);
  if (outcome.problems.length > 0) {
    ctx.out(`Removed the files install wrote for the ${manager} service (${where}).\n`);
    ctx.err(`loopkeeper: uninstall could not do everything:\n${outcome.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return EXIT.FAILURE;
  }
  ctx.out(`Removed the ${manager} service (${where}) and the files install wrote. ${leftovers}\n`);
  return EXIT.OK;
}
