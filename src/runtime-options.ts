// The path flags both binaries take (SPEC "Binaries"), declared once. resolveRuntime() turns
// what commander parsed into a Runtime.
import type { Command } from 'commander';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addRuntimeOptions(cmd: Command, configHelp: string, socketHelp: string): Command {
  return cmd
    .option('--config <path>', configHelp, collect)
    .option('--hosts-file <path>', 'hosts file to manage (default /etc/hosts)')
    .option('--socket <path>', socketHelp)
    .option('--state-dir <dir>', 'where the ownership ledger and backups live')
    .option('--interface <name>', 'loopback interface (default lo0 on macOS, lo on Linux)');
}

/** For repeatable options of subcommands (`doctor --port`). */
export { collect as collectRepeated };
