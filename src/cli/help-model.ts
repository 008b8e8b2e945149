// The command tree as plain data, read through commander's own Help class — the same calls that
// print `--help` (visible commands, options, global options, arguments, usage, descriptions) — so
// the shell completions and the man page can never describe a different CLI than --help does.
import type { Command, Help, Option } from 'commander';

export interface OptionModel {
  /** As --help shows it, e.g. `--config <path>` or `-V, --version`. */
  term: string;
  long: string | null;
  short: string | null;
  /** The value placeholder (`path` for `--config <path>`), or null for a flag. */
  value: string | null;
  /** As --help shows it (with default and choices). */
  description: string;
  choices: string[];
}

export interface ArgumentModel {
  name: string;
  required: boolean;
  variadic: boolean;
  description: string;
  choices: string[];
}

export interface CommandModel {
  /** Names from the program down, e.g. ['loopkeeper', 'hosts', 'add']. */
  path: string[];
  name: string;
  /** The one-line summary (subcommand description). */
  summary: string;
  description: string;
  /** As --help shows it after the command path, e.g. `[options] <name> <addr...>`. */
  usage: string;
  options: OptionModel[];
  /** Options of the commands above that this one accepts too (shown by --help as well). */
  globalOptions: OptionModel[];
  arguments: ArgumentModel[];
  commands: CommandModel[];
}

function optionModel(help: Help, o: Option): OptionModel {
  const m = /[<[]([^>\]]+)[>\]]/.exec(o.flags);
  return {
    term: help.optionTerm(o),
    long: o.long ?? null,
    short: o.short ?? null,
    value: m ? m[1]! : null,
    description: help.optionDescription(o),
    choices: o.argChoices ?? [],
  };
}

export function commandModel(cmd: Command, parents: string[] = []): CommandModel {
  const help = cmd.createHelp();
  const path = [...parents, cmd.name()];
  return {
    path,
    name: cmd.name(),
    summary: help.subcommandDescription(cmd),
    description: help.commandDescription(cmd),
    usage: help.commandUsage(cmd).slice(path.join(' ').length).trim() || cmd.usage(),
    options: help.visibleOptions(cmd).map((o) => optionModel(help, o)),
    globalOptions: parents.length === 0 ? [] : globalOptionsOf(cmd).map((o) => optionModel(help, o)),
    arguments: help.visibleArguments(cmd).map((a) => ({
      name: a.name(),
      required: a.required,
      variadic: a.variadic,
      description: help.argumentDescription(a),
      choices: a.argChoices ?? [],
    })),
    // The implicit `help [command]` subcommand is part of --help's list too.
    commands: help.visibleCommands(cmd).map((c) => commandModel(c, path)),
  };
}

/** What --help lists under "Global Options" (independent of the showGlobalOptions setting). */
function globalOptionsOf(cmd: Command): Option[] {
  const out: Option[] = [];
  for (let p = cmd.parent; p; p = p.parent) {
    const help = p.createHelp();
    for (const o of help.visibleOptions(p)) if (!o.long || (o.long !== '--help' && o.long !== '--version')) out.push(o);
  }
  return out;
}

/** Every command of the tree, depth first, the program first. */
export function allCommands(root: CommandModel): CommandModel[] {
  return [root, ...root.commands.flatMap(allCommands)];
}
