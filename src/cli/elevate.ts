// Getting root for `apply`/`down` without ever building a shell command from user text. A path,
// a LOOPKEEPER_* value or the working directory's name can hold `$(…)`: the earlier GUI prompt
// (@vscode/sudo-prompt) pasted them into a `bash -c` string that escaped only `"`, so such a
// name ran as root. Now:
// - Linux: pkexec, found at fixed absolute paths (never through PATH), with the argv itself —
//   pkexec execs it directly, no shell anywhere.
// - macOS: the authorization dialog (`osascript … with administrator privileges`) only takes a
//   shell command string, so that string is a constant: `/usr/bin/xargs -0 /usr/bin/env < FILE`,
//   where FILE is a random hex name in the root-owned sticky /private/tmp, created exclusively
//   with mode 0600, that holds the argv NUL-separated. xargs hands it to env as arguments and env
//   execs them; no user text is ever parsed by a shell.
// Otherwise (no terminal, CI, no helper, the prompt dismissed) exit 1 with the exact `sudo …` line
// to run. sudo and pkexec drop LOOPKEEPER_* variables and pkexec changes directory, so variables
// become explicit flags and relative paths absolute ones.
import { spawn as nodeSpawn, type SpawnOptions, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { unlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { EXIT } from '../exit-codes';
import type { CommandContext } from './context';
import { isExecutableFile } from '../fs/executable';

const PATH_FLAGS = ['--config', '--hosts-file', '--socket', '--state-dir'];

/** The argv that re-runs this command as root with the same paths, all absolute. */
export function elevatedArgv(ctx: Pick<CommandContext, 'argv' | 'env' | 'runtime'>, cwd: string = process.cwd()): string[] {
  const [node, script, ...given] = ctx.argv;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  const rest: string[] = [];
  for (let i = 0; i < given.length; i++) {
    const a = given[i]!;
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (PATH_FLAGS.includes(flag) && eq > 0) rest.push(`${flag}=${abs(a.slice(eq + 1))}`);
    else if (PATH_FLAGS.includes(a) && i + 1 < given.length) rest.push(a, abs(given[++i]!));
    else rest.push(a);
  }
  const extra: string[] = [];
  const has = (flag: string): boolean => rest.some((a) => a === flag || a.startsWith(`${flag}=`));
  const env = ctx.env;
  if (!has('--config') && env.LOOPKEEPER_CONFIG) for (const p of ctx.runtime.configPaths ?? []) extra.push('--config', abs(p));
  if (!has('--hosts-file') && env.LOOPKEEPER_HOSTS_FILE) extra.push('--hosts-file', abs(ctx.runtime.hostsFile));
  if (!has('--socket') && env.LOOPKEEPER_SOCKET) extra.push('--socket', abs(ctx.runtime.socket));
  if (!has('--state-dir') && env.LOOPKEEPER_STATE_DIR) extra.push('--state-dir', abs(ctx.runtime.stateDir));
  if (!has('--interface') && env.LOOPKEEPER_INTERFACE) extra.push('--interface', ctx.runtime.interfaceName);
  return [node ?? process.execPath, abs(script ?? 'loopkeeper'), ...extra, ...rest];
}

/** POSIX shell quoting, for printing a command a person can paste. Never used to run anything. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function sudoCommand(ctx: Pick<CommandContext, 'argv' | 'env' | 'runtime'>, cwd?: string): string {
  return ['sudo', ...elevatedArgv(ctx, cwd)].map(shellQuote).join(' ');
}

/** Where pkexec is looked for, in order. Fixed paths: a PATH entry is the user's to change. */
export const PKEXEC_PATHS = ['/usr/bin/pkexec', '/bin/pkexec', '/usr/local/bin/pkexec'];
export const OSASCRIPT_PATH = '/usr/bin/osascript';
/** macOS's /tmp: root-owned and sticky, so nobody else can replace the argument file. */
export const ARG_FILE_DIR = '/private/tmp';

export interface ElevationSeams {
  platform?: NodeJS.Platform;
  pkexecPaths?: readonly string[];
  osascriptPath?: string;
  argFileDir?: string;
  cwd?: string;
  spawn?: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;
}

/** pkexec's own exit codes (pkexec(1)): authorization refused or failed / the dialog dismissed. */
const PKEXEC_NOT_AUTHORIZED = 127;
const PKEXEC_DISMISSED = 126;

export async function elevateOrExplain(ctx: CommandContext, seams: ElevationSeams = {}): Promise<number> {
  const what = `changing ${ctx.runtime.interfaceName} and ${ctx.runtime.hostsFile} needs root`;
  const explain = (why: string): number => {
    ctx.err(`loopkeeper: ${what}${why}. Run:\n  ${sudoCommand(ctx, seams.cwd)}\n`);
    return EXIT.FAILURE;
  };
  if (!ctx.interactive || ctx.env.CI === 'true') return explain('');
  const platform = seams.platform ?? process.platform;
  const argv = elevatedArgv(ctx, seams.cwd);
  const spawn = seams.spawn ?? nodeSpawn;

  if (platform === 'darwin') {
    const osascript = seams.osascriptPath ?? OSASCRIPT_PATH;
    if (!isExecutableFile(osascript)) return explain(` and ${osascript} is missing`);
    const dir = seams.argFileDir ?? ARG_FILE_DIR;
    // env would take a first argument with `=` for a variable assignment, not the program.
    if (argv[0]!.includes('=')) return explain(` and the node path ${argv[0]} contains "="`);
    const file = join(dir, `loopkeeper-elevate-${randomBytes(16).toString('hex')}`);
    // The only variable part of the script: a fixed directory and hex digits.
    if (!/^[A-Za-z0-9/._-]+$/.test(file)) return explain(` and the argument file directory ${dir} has an unexpected name`);
    try {
      writeFileSync(file, argv.map((a) => `${a}\0`).join(''), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      return explain(` and the argument file could not be created (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    try {
      const script = `do shell script "/usr/bin/xargs -0 /usr/bin/env < ${file}" with administrator privileges without altering line endings`;
      const r = await run(spawn, osascript, ['-e', script], ctx, false);
      if (r.code === 0) return EXIT.OK;
      if (/User canceled|\(-128\)/.test(r.stderr)) return explain(' and the authorization dialog was dismissed');
      if (r.stderr) ctx.err(r.stderr);
      return EXIT.FAILURE;
    } finally {
      try {
        unlinkSync(file);
      } catch {
        /* gone already */
      }
    }
  }

  const pkexec = (seams.pkexecPaths ?? PKEXEC_PATHS).find(isExecutableFile);
  if (pkexec === undefined) return explain(' and no graphical sudo prompt (pkexec) is installed');
  const r = await run(spawn, pkexec, argv, ctx, true);
  if (r.code === PKEXEC_DISMISSED) return explain(' and the authorization prompt was dismissed');
  if (r.code === PKEXEC_NOT_AUTHORIZED) return explain(' and pkexec could not get an authorization (no polkit agent, or not allowed)');
  // The elevated command ran: its output is above, its exit code is ours.
  return r.code === null ? EXIT.FAILURE : r.code;
}


/** Runs argv (no shell) with the terminal as stdin; stdout and stderr are relayed as they come. */
function run(
  spawn: NonNullable<ElevationSeams['spawn']>,
  command: string,
  args: readonly string[],
  ctx: CommandContext,
  relayStderr: boolean,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolvePromise) => {
    let stderr = '';
    let child: ChildProcess;
    try {
      child = spawn(command, args, { shell: false, stdio: ['inherit', 'pipe', 'pipe'] });
    } catch (e) {
      resolvePromise({ code: null, stderr: `${command}: ${(e as Error).message}\n` });
      return;
    }
    child.stdout?.on('data', (c: Buffer) => ctx.out(c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => {
      const t = c.toString('utf8');
      if (relayStderr) ctx.err(t);
      else stderr += t;
    });
    child.once('error', (e) => resolvePromise({ code: null, stderr: `${command}: ${e.message}\n` }));
    child.once('close', (code) => resolvePromise({ code, stderr }));
  });
}
