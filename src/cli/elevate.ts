// Getting root for `apply`/`down`. On a terminal with a GUI helper (macOS's authorization dialog,
// pkexec/kdesudo on a Linux desktop) run the same command elevated through @vscode/sudo-prompt;
// otherwise exit 1 with the exact `sudo …` command to run (no terminal, no GUI helper, or the
// prompt was refused). sudo drops LOOPKEEPER_* variables, so they become explicit flags.
import { EXIT } from '../exit-codes';
import type { CommandContext } from './context';

/** The argv that re-runs this command as root with the same paths. */
export function elevatedArgv(ctx: Pick<CommandContext, 'argv' | 'env' | 'runtime'>): string[] {
  const [node, script, ...rest] = ctx.argv;
  const extra: string[] = [];
  const has = (flag: string): boolean => rest.some((a) => a === flag || a.startsWith(`${flag}=`));
  const env = ctx.env;
  if (!has('--config') && env.LOOPKEEPER_CONFIG) for (const p of ctx.runtime.configPaths ?? []) extra.push('--config', p);
  if (!has('--hosts-file') && env.LOOPKEEPER_HOSTS_FILE) extra.push('--hosts-file', ctx.runtime.hostsFile);
  if (!has('--socket') && env.LOOPKEEPER_SOCKET) extra.push('--socket', ctx.runtime.socket);
  if (!has('--state-dir') && env.LOOPKEEPER_STATE_DIR) extra.push('--state-dir', ctx.runtime.stateDir);
  if (!has('--interface') && env.LOOPKEEPER_INTERFACE) extra.push('--interface', ctx.runtime.interfaceName);
  return [node ?? process.execPath, script ?? 'loopkeeper', ...extra, ...rest];
}

/** POSIX shell quoting, for printing a command a person can paste (and for sudo-prompt, below). */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function sudoCommand(ctx: Pick<CommandContext, 'argv' | 'env' | 'runtime'>): string {
  return ['sudo', ...elevatedArgv(ctx)].map(shellQuote).join(' ');
}

export type PromptExec = (
  cmd: string,
  options: { name: string },
  cb: (error?: Error, stdout?: string | Buffer, stderr?: string | Buffer) => void,
) => void;

export async function elevateOrExplain(ctx: CommandContext, exec?: PromptExec): Promise<number> {
  const what = `changing ${ctx.runtime.interfaceName} and ${ctx.runtime.hostsFile} needs root`;
  const explain = (why: string): number => {
    ctx.err(`loopkeeper: ${what}${why}. Run:\n  ${sudoCommand(ctx)}\n`);
    return EXIT.FAILURE;
  };
  if (!ctx.interactive || ctx.env.CI === 'true') return explain('');
  // sudo-prompt takes one command string and runs it through a shell; every argument is quoted
  // with shellQuote, so nothing in a path or flag is ever interpreted.
  const run = exec ?? (require('@vscode/sudo-prompt') as { exec: PromptExec }).exec;
  const command = elevatedArgv(ctx).map(shellQuote).join(' ');
  return new Promise((resolve) => {
    run(command, { name: 'loopkeeper' }, (error, stdout, stderr) => {
      if (stdout) ctx.out(String(stdout));
      if (stderr) ctx.err(String(stderr));
      if (!error) return resolve(EXIT.OK);
      const m = error.message;
      if (/pkexec|kdesudo|User did not grant|Request dismissed|not permitted/i.test(m)) {
        return resolve(explain(` and no graphical sudo prompt could be used (${m.split('\n')[0]})`));
      }
      // The elevated command itself ran and failed: its output is above.
      resolve(EXIT.FAILURE);
    });
  });
}
