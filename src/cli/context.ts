// What every command receives: resolved paths, output streams and terminal facts.
import type { Runtime } from '../runtime';

export interface CommandContext {
  runtime: Runtime;
  env: NodeJS.ProcessEnv;
  /** Writes to stdout (no newline added). */
  out(text: string): void;
  /** Writes to stderr (no newline added): errors, printed even with --quiet. */
  err(text: string): void;
  /** Writes a warning or note to stderr; nothing with --quiet. (Optional so that test contexts need not set it: `err` then.) */
  warn?(text: string): void;
  /** -q/--quiet: errors only (`out` prints nothing unless --json asked for a document). */
  quiet?: boolean;
  /** --verbose: every address, name and change instead of a summary. */
  verbose?: boolean;
  /** stdout is a terminal and NO_COLOR is unset. */
  color: boolean;
  /** stdin and stdout are terminals (a person is there to answer a prompt). */
  interactive: boolean;
  /** The argv the CLI was started with (for printing an exact `sudo …` command). */
  argv: readonly string[];
}

/** A command module: `run` returns the process exit code. */
export type CommandRun<O = Record<string, unknown>> = (
  ctx: CommandContext,
  options: O,
  args: string[],
) => Promise<number>;

/** Prints a warning (stderr), unless --quiet. */
export function warn(ctx: CommandContext, text: string): void {
  (ctx.warn ?? ctx.err)(text);
}
