#!/usr/bin/env node
// The `loopkeeper` CLI. Commands are loaded lazily (require on use) so that `loopkeeper status`
// does not pay for the config parser, zod or the hosts engine.
import { isatty } from 'node:tty';
import { Argument, Command, CommanderError } from 'commander';
import { EXIT } from '../exit-codes';
import { resolveRuntime, type RuntimeFlags } from '../runtime';
import { addRuntimeOptions, collectRepeated } from '../runtime-options';
import { version } from '../version';
import type { CommandContext, CommandRun } from './context';
import { messageOf } from '../errors';

/** The global output flags (SPEC "Global flags"), plus the per-command `--json`. */
interface OutputFlags {
  quiet?: boolean;
  verbose?: boolean;
  json?: boolean;
}

function makeContext(flags: RuntimeFlags & OutputFlags): CommandContext {
  const env = process.env;
  // --quiet: errors only. A --json document is what was asked for, so it is still printed.
  const quiet = Boolean(flags.quiet);
  const silent = quiet && !flags.json;
  return {
    runtime: resolveRuntime(flags, env),
    env,
    out: (t) => (silent ? undefined : write(process.stdout, t)),
    err: (t) => write(process.stderr, t),
    warn: (t) => (quiet ? undefined : write(process.stderr, t)),
    quiet,
    verbose: Boolean(flags.verbose),
    color: Boolean(process.stdout.isTTY) && env.NO_COLOR === undefined,
    // isatty(0), not process.stdin.isTTY: that getter opens stdin as a stream first (~5 ms).
    interactive: isatty(0) && Boolean(process.stdout.isTTY),
    argv: process.argv,
  };
}

// A closed stdout or stderr (`loopkeeper plan | head -1`) ends the output quietly: no stack trace.
// The command itself finishes (an apply that already changed the machine still records it) and
// exits with its own code; whatever it prints after the reader left is dropped.
const closedStreams = new Set<NodeJS.WritableStream>();

function write(stream: NodeJS.WriteStream, text: string): void {
  if (!closedStreams.has(stream)) stream.write(text);
}

export function endQuietlyOnClosedOutput(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      closedStreams.add(stream);
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
      // Not a reader going away (a full disk, an I/O error): say so where it can still be read.
      const other = stream === process.stdout ? process.stderr : process.stdout;
      if (!closedStreams.has(other)) other.write(`loopkeeper: cannot write the output: ${e.message}\n`);
      process.exitCode = EXIT.FAILURE;
    });
  }
}

/**
 * Every command module, loaded on use. A static map of `require` calls with literal paths (not a
 * template string) so that the bundler (scripts/build.js) follows them: each module is bundled
 * into the one file but runs only when its command does, so `loopkeeper status` never evaluates
 * the config parser, zod or the hosts engine.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS = {
  aliases: () => require('./commands/aliases') as CommandModule,
  apply: () => require('./commands/apply') as CommandModule,
  backups: () => require('./commands/backups') as CommandModule,
  completion: () => require('./commands/completion') as CommandModule,
  doctor: () => require('./commands/doctor') as CommandModule,
  down: () => require('./commands/down') as CommandModule,
  hosts: () => require('./commands/hosts') as CommandModule,
  install: () => require('./commands/install') as CommandModule,
  plan: () => require('./commands/plan') as CommandModule,
  profile: () => require('./commands/profile') as CommandModule,
  reconcile: () => require('./commands/reconcile') as CommandModule,
  schema: () => require('./commands/schema') as CommandModule,
  status: () => require('./commands/status') as CommandModule,
  uninstall: () => require('./commands/uninstall') as CommandModule,
  up: () => require('./commands/up') as CommandModule,
  validate: () => require('./commands/validate') as CommandModule,
} satisfies Record<string, () => CommandModule>;
/* eslint-enable @typescript-eslint/no-require-imports */
type CommandModule = Record<string, CommandRun | unknown>;
type CommandFile = keyof typeof COMMANDS;

/** Registers a command whose implementation is `run` of ./commands/<file>.ts, loaded on use. */
function lazy(file: CommandFile): (...a: unknown[]) => Promise<void> {
  return lazySub(file, 'run');
}

/** Like lazy(), for a command group whose module exports one function per subcommand. */
function lazySub(file: CommandFile, name: string): (...a: unknown[]) => Promise<void> {
  return async (...a: unknown[]) => {
    const cmd = a[a.length - 1] as Command;
    const all = cmd.optsWithGlobals() as RuntimeFlags & Record<string, unknown>;
    const run = COMMANDS[file]()[name] as CommandRun;
    process.exitCode = await run(makeContext(all), all, cmd.args);
  };
}

export function buildProgram(): Command {
  const program = new Command('loopkeeper')
    .description("Keep this machine's loopback aliases and /etc/hosts entries as your team declared them.")
    .version(version(), '-V, --version');
  addRuntimeOptions(
    program,
    'config file or directory (repeatable; default /etc/loopkeeper/loopkeeper.yaml + conf.d/*.yaml)',
    "daemon's unix socket",
  );
  program
    .option('-q, --quiet', 'print errors only')
    .option('--verbose', 'list every address, name and change instead of a summary')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // Before any subcommand exists: subcommands copy it, so `hosts add --help` lists --config & co.
  program.configureHelp({ showGlobalOptions: true });

  program
    .command('validate')
    .description('validate config files; print every problem as FILE:LINE:COL: message')
    .argument('[files...]', 'files to validate (default: the configured ones)')
    .option('--json', 'one JSON document on stdout: {valid, files, errors, warnings}')
    .action(lazy('validate'));
  program
    .command('schema')
    .description('print the JSON Schema of the config file')
    .action(lazy('schema'));
  program
    .command('plan')
    .description('show what apply would change, touching nothing')
    .option('--json', 'one JSON document on stdout')
    .option('--exit-code', 'exit 3 when changes are pending')
    .action(lazy('plan'));
  program
    .command('apply')
    .description('reconcile once without the daemon (elevates with a sudo prompt when needed)')
    .option('--json', 'one JSON document on stdout')
    .option('--dry-run', 'plan only; same as `plan`')
    .action(lazy('apply'));
  program
    .command('down')
    .description('remove everything loopkeeper added (owned aliases, the managed hosts block) and pause enforcement until `up`; the pause survives restarts (needs root)')
    .option('--json', 'one JSON document on stdout')
    .action(lazy('down'));
  program
    .command('up')
    .description('end a pause (`down`) and reconcile now, through the daemon when it runs (needs root)')
    .option('--json', 'one JSON document on stdout')
    .action(lazy('up'));
  program
    .command('status')
    .description('ask the daemon for its status (exit 4 and the local plan when it is not running)')
    .option('--json', 'one JSON document on stdout')
    .action(lazy('status'));
  program
    .command('reconcile')
    .description('ask the daemon to reconcile now and print the result')
    .option('--json', 'one JSON document on stdout')
    .action(lazy('reconcile'));
  program
    .command('doctor')
    .description('diagnostics: bindable aliases, resolution order, listeners on a port, …; exit 1 when problems are found')
    .option('--port <n>', 'report every listener on port N across loopback addresses (repeatable)', collectRepeated)
    .option('--check <id>', 'run only this check (repeatable; ids as in --json)', collectRepeated)
    .option('--json', 'one JSON document on stdout')
    .action(lazy('doctor'));
  program
    .command('install')
    .description('install and start the launchd / systemd service; creates /etc/loopkeeper (needs root)')
    .option('--root <dir>', 'write under DIR instead of / and load nothing (packaging, tests)')
    .action(lazy('install'));
  program
    .command('uninstall')
    .description('stop and remove the service; keeps the config and the state directory (needs root)')
    .option('--root <dir>', 'remove under DIR instead of / and unload nothing')
    .action(lazy('uninstall'));
  addEverydayCommands(program);
  return program;
}

/** SPEC "Everyday commands": edit and list the desired state; shell completion. */
function addEverydayCommands(program: Command): void {
  const editTarget = (c: Command): Command =>
    c
      .option('--file <path>', 'the config file to write (default: conf.d/local.yaml of the config directory)')
      .option('--profile <name>', 'write to the profile conf.d/NAME.yaml')
      .option('--json', 'one JSON document on stdout');
  const removeTarget = (c: Command): Command =>
    c
      .option('--file <path>', 'remove only from this config file (needed when several files declare it)')
      .option('--json', 'one JSON document on stdout');

  const hosts = program.command('hosts').description('edit or list the host names of the desired state (edits need root)');
  editTarget(
    hosts
      .command('add')
      .description('declare NAME with its addresses (replacing the addresses it has in that file), validate, write, reconcile')
      .argument('<name>', 'host name, e.g. api.myteam.test')
      .argument('<addr...>', 'one or more addresses, in the order the resolver returns them'),
  ).action(lazySub('hosts', 'add'));
  removeTarget(
    hosts
      .command('remove')
      .description('take NAME out of the file that declares it, validate, write, reconcile')
      .argument('<name...>', 'host name(s)'),
  ).action(lazySub('hosts', 'remove'));
  hosts
    .command('list')
    .description('every host name with the file:line that declares it and its live state (present, missing, shadowed)')
    .option('--all', 'also list the lines of the hosts file that are not loopkeeper\'s (marked not managed)')
    .option('--json', 'one JSON document on stdout')
    .action(lazySub('hosts', 'list'));

  const aliases = program.command('aliases').description('edit or list the loopback aliases of the desired state (edits need root)');
  editTarget(
    aliases
      .command('add')
      .description('declare aliases (an address, or a range FIRST-LAST or CIDR written as `range:`), validate, write, reconcile')
      .argument('<addr-or-range...>', 'e.g. 127.0.0.2, 127.0.1.10-127.0.1.20, 127.0.2.0/28, fd00::2'),
  ).action(lazySub('aliases', 'add'));
  removeTarget(
    aliases
      .command('remove')
      .description('take aliases out of the file that declares them, validate, write, reconcile')
      .argument('<addr-or-range...>', 'an address or a range exactly as declared (FIRST-LAST and CIDR forms match each other)'),
  ).action(lazySub('aliases', 'remove'));
  aliases
    .command('list')
    .description('every alias entry with the file:line that declares it and its live state (present, missing)')
    .option('--verbose', 'list every address of a range')
    .option('--json', 'one JSON document on stdout')
    .action(lazySub('aliases', 'list'));

  const profile = program.command('profile').description('turn a group of entries (one conf.d/NAME.yaml) on or off (needs root)');
  profile
    .command('list')
    .description('every profile of conf.d/, enabled or disabled, with its counts of aliases and names')
    .option('--json', 'one JSON document on stdout')
    .action(lazySub('profile', 'list'));
  profile
    .command('enable')
    .description('rename conf.d/NAME.yaml.disabled back to NAME.yaml, validate, reconcile')
    .argument('<name>', 'profile name')
    .option('--json', 'one JSON document on stdout')
    .action(lazySub('profile', 'enable'));
  profile
    .command('disable')
    .description('rename conf.d/NAME.yaml to NAME.yaml.disabled (the loader ignores it), validate, reconcile')
    .argument('<name>', 'profile name')
    .option('--json', 'one JSON document on stdout')
    .action(lazySub('profile', 'disable'));

  const backups = program.command('backups').description("the hosts file's earlier versions (the last 10), and putting one back (restore needs root)");
  backups
    .command('list')
    .description('every kept version: id, time, size, and the names its managed block had')
    .option('--json', 'one JSON document on stdout')
    .action(lazySub('backups', 'list'));
  backups
    .command('restore')
    .description('show the line diff from the current file to backup ID, then write it back (after --yes or a "y" on a terminal); the current file becomes a backup first')
    .argument('<id>', 'a backup id from `backups list` (a unique prefix is enough)')
    .option('--yes', 'restore without asking')
    .option('--expect <sha256>', 'restore only if the current file still has this SHA-256 (what the diff was shown against)')
    .action(lazySub('backups', 'restore'));

  program
    .command('completion')
    .description('print a shell completion script (bash: source <(loopkeeper completion bash))')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action(lazy('completion'));
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; every other parse error is a usage error.
      process.exitCode = e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return;
    }
    const message = messageOf(e);
    process.stderr.write(`loopkeeper: ${message}\n`);
    if (process.env.LOOPKEEPER_DEBUG) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
    process.exitCode = EXIT.FAILURE;
  }
}

if (require.main === module) {
  endQuietlyOnClosedOutput();
  void main(process.argv);
}
