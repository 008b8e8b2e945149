// What every command receives: resolved paths, output streams and terminal facts.
import type { Runtime } from '../runtime';

export interface CommandContext {
  runtime: Runtime;
  env: NodeJS.ProcessEnv;
  /** Writes to stdout (no newline added). */
  out(text: string): void;
  /** Writes to stderr (no newline added). */
  err(text: string): void;
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
