#!/usr/bin/env node
// The `loopkeeper` CLI. Commands are loaded lazily (require on use) so that `loopkeeper status`
// does not pay for the config parser, zod or the hosts engine.
import { Command, CommanderError } from 'commander';
import { EXIT } from '../exit-codes';
import { resolveRuntime, type RuntimeFlags } from '../runtime';
import { addRuntimeOptions, collectRepeated } from '../runtime-options';
import { version } from '../version';
import type { CommandContext, CommandRun } from './context';
import { messageOf } from '../errors';

function makeContext(flags: RuntimeFlags): CommandContext {
  const env = process.env;
  return {
    runtime: resolveRuntime(flags, env),
    env,
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    color: Boolean(process.stdout.isTTY) && env.NO_COLOR === undefined,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    argv: process.argv,
  };
}

/** Registers a command whose implementation lives in ./commands/<file>.ts and is loaded on use. */
function lazy(file: string): (...a: unknown[]) => Promise<void> {
  return async (...a: unknown[]) => {
    const cmd = a[a.length - 1] as Command;
    const all = cmd.optsWithGlobals() as RuntimeFlags & Record<string, unknown>;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`./commands/${file}`) as { run: CommandRun };
    const code = await mod.run(makeContext(all), all, cmd.args);
    process.exitCode = code;
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
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('validate')
    .description('validate config files; print every problem as FILE:LINE:COL: message')
    .argument('[files...]', 'files to validate (default: the configured ones)')
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
    .description('remove everything loopkeeper added: owned aliases and the managed hosts block')
    .option('--json', 'one JSON document on stdout')
    .action(lazy('down'));
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
  return program;
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

if (require.main === module) void main(process.argv);
