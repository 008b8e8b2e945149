// Installs and removes the launchd / systemd service. Files are written under `root` ('/' for a
// real install, a staging directory for packaging and tests); the service manager is driven only
// when `activate` is set, always through the CommandRunner (argv, never a shell).
import { constants } from 'node:fs';
import { access, chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CommandRunner, RunResult } from '../platform/types';
import {
  LAUNCHD_LABEL,
  SYSTEMD_UNIT_NAME,
  launchdTemplatePath,
  packageRoot,
  renderLaunchdPlist,
  renderSystemdUnit,
  systemdTemplatePath,
  type ServicePaths,
} from './templates';

export type ServicePlatform = 'linux' | 'darwin';

export interface ServiceOptions {
  platform: ServicePlatform;
  /** Where `/` is: '/' for a real install, a staging directory with --root. */
  root: string;
  /** Drive systemctl / launchctl (false with --root: nothing is loaded). */
  activate: boolean;
  paths: ServicePaths;
  runner: CommandRunner;
  /** Where systemd/, launchd/ and config/ are (the package root). */
  packageDir?: string;
}

/** One thing install/uninstall did or found, in the order it happened. */
export type ServiceStep =
  | { kind: 'wrote' | 'updated' | 'unchanged' | 'created' | 'exists' | 'removed' | 'absent' | 'kept'; path: string; note?: string }
  | { kind: 'ran'; argv: string[] };

export interface ServiceOutcome {
  ok: boolean;
  steps: ServiceStep[];
  /** Why it stopped, in words a user can act on. */
  error?: string;
}

export const CONFIG_DIR = '/etc/loopkeeper';
export const CONFIG_FILE = `${CONFIG_DIR}/loopkeeper.yaml`;
export const SYSTEMD_UNIT_PATH = `/etc/systemd/system/${SYSTEMD_UNIT_NAME}`;
export const LAUNCHD_PLIST_PATH = `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`;
const LAUNCHD_TARGET = `system/${LAUNCHD_LABEL}`;

/** Written when the package's example config is not there: valid, and asks for nothing. */
export const MINIMAL_CONFIG = `# loopkeeper desired state. Declare aliases and hosts, e.g.:
#   aliases:
#     - 127.0.0.2
#   hosts:
#     api.myteam.test: 127.0.0.2
# The daemon applies this file (and conf.d/*.yaml) when it changes.
version: 1
`;

/**
 * The example config with everything but `version:` commented out. The daemon starts right after
 * install and applies the file: the example's demo aliases and host names must not land on a
 * machine that did not ask for them. Comments and blank lines stay as they are.
 */
export function inertExample(example: string): string {
  const eol = example.includes('\r\n') ? '\r\n' : '\n';
  const lines = example.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const body = lines.map((line) => (line.trim() === '' || /^\s*#/.test(line) || /^version\s*:/.test(line) ? line : `# ${line}`));
  const header = [
    '# Installed by `loopkeeper install`: the example below is commented out, so nothing is added',
    '# until you uncomment what you need. The daemon applies this file (and conf.d/*.yaml) on save.',
  ];
  if (!body.some((l) => /^version\s*:/.test(l))) body.push('version: 1');
  return [...header, ...body].join(eol) + eol;
}

export function servicePath(platform: ServicePlatform): string {
  return platform === 'darwin' ? LAUNCHD_PLIST_PATH : SYSTEMD_UNIT_PATH;
}

/** A path of the target system, placed under root. */
function under(root: string, p: string): string {
  return root === '/' ? p : join(root, p);
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function readOrNull(p: string): Promise<string | null> {
  try {
    return await readFile(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Temp file beside the target, then rename: a crash never leaves half a unit file. */
async function writeAtomic(p: string, content: string, mode: number): Promise<void> {
  const tmp = `${p}.loopkeeper-${process.pid}.tmp`;
  await writeFile(tmp, content, { mode });
  try {
    await chmod(tmp, mode); // the umask may have narrowed it
    await rename(tmp, p);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

class StepError extends Error {}

function describeFailure(r: RunResult): string {
  const how = r.code === null ? `was killed by ${r.signal ?? 'a signal'}` : `exited with ${r.code}`;
  const output = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(0, 5).join('\n');
  return `\`${r.argv.join(' ')}\` ${how}${output ? `: ${output}` : ''}`;
}

class Session {
  readonly steps: ServiceStep[] = [];
  constructor(private readonly opts: ServiceOptions) {}

  async run(argv: string[], tolerate?: (r: RunResult) => boolean): Promise<RunResult> {
    const r = await this.opts.runner.run(argv);
    this.steps.push({ kind: 'ran', argv });
    if (r.code !== 0 && !(tolerate?.(r) ?? false)) throw new StepError(describeFailure(r));
    return r;
  }

  /** Writes `content` unless the file already holds exactly it. Returns whether it changed. */
  async put(target: string, content: string): Promise<{ changed: boolean; existed: boolean }> {
    const p = under(this.opts.root, target);
    const before = await readOrNull(p);
    if (before === content) {
      this.steps.push({ kind: 'unchanged', path: p });
      return { changed: false, existed: true };
    }
    await mkdir(dirname(p), { recursive: true, mode: 0o755 });
    await writeAtomic(p, content, 0o644);
    this.steps.push({ kind: before === null ? 'wrote' : 'updated', path: p });
    return { changed: true, existed: before !== null };
  }

  async ensureDir(target: string): Promise<void> {
    const p = under(this.opts.root, target);
    const had = await exists(p);
    await mkdir(p, { recursive: true, mode: 0o755 });
    this.steps.push({ kind: had ? 'exists' : 'created', path: p });
  }

  /** Creates the config file only when there is none: install never touches a user's config. */
  async ensureConfig(): Promise<void> {
    const p = under(this.opts.root, CONFIG_FILE);
    if (await exists(p)) {
      this.steps.push({ kind: 'exists', path: p, note: 'kept as it is' });
      return;
    }
    const example = join(this.opts.packageDir ?? packageRoot(), 'config', 'loopkeeper.example.yaml');
    const exampleText = await readOrNull(example);
    // 'wx': never clobber a file that appeared since the check.
    await writeFile(p, exampleText === null ? MINIMAL_CONFIG : inertExample(exampleText), { mode: 0o644, flag: 'wx' });
    await chmod(p, 0o644);
    this.steps.push({
      kind: 'wrote',
      path: p,
      note: exampleText === null ? 'a minimal config' : `the example from ${example}, commented out`,
    });
  }

  async remove(target: string): Promise<boolean> {
    const p = under(this.opts.root, target);
    if (!(await exists(p))) {
      this.steps.push({ kind: 'absent', path: p });
      return false;
    }
    await rm(p, { force: true });
    this.steps.push({ kind: 'removed', path: p });
    return true;
  }
}

async function template(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new StepError(`cannot read the service template ${path}: ${(e as Error).message}`);
  }
}

async function guard(session: Session, body: () => Promise<void>): Promise<ServiceOutcome> {
  try {
    await body();
    return { ok: true, steps: session.steps };
  } catch (e) {
    const message = e instanceof StepError ? e.message : `${(e as Error).message ?? String(e)}`;
    return { ok: false, steps: session.steps, error: message };
  }
}

/** Writes the service definition and the config directory; loads the service when `activate`. */
export async function installService(opts: ServiceOptions): Promise<ServiceOutcome> {
  const session = new Session(opts);
  const pkg = opts.packageDir ?? packageRoot();
  return guard(session, async () => {
    if (opts.activate && !(await exists(opts.paths.daemon))) {
      throw new StepError(`the daemon ${opts.paths.daemon} does not exist: build first (\`npm run build\`)`);
    }
    if (opts.platform === 'linux') {
      const unit = renderSystemdUnit(await template(systemdTemplatePath(pkg)), opts.paths);
      const written = await session.put(SYSTEMD_UNIT_PATH, unit);
      await ensureConfigDir(session);
      if (!opts.activate) return;
      // Always: a reload is cheap, and a previous run may have written the unit and then failed.
      await session.run(['systemctl', 'daemon-reload']);
      await session.run(['systemctl', 'enable', '--now', SYSTEMD_UNIT_NAME]);
      // `enable --now` leaves a running daemon on the old ExecStart.
      if (written.changed && written.existed) await session.run(['systemctl', 'restart', SYSTEMD_UNIT_NAME]);
      return;
    }
    const plist = renderLaunchdPlist(await template(launchdTemplatePath(pkg)), opts.paths);
    const written = await session.put(LAUNCHD_PLIST_PATH, plist);
    await ensureConfigDir(session);
    if (!opts.activate) return;
    const loaded = await launchdLoaded(session);
    if (loaded && !written.changed) return;
    if (loaded) await session.run(['launchctl', 'bootout', LAUNCHD_TARGET]);
    // A previous `launchctl disable` would make bootstrap refuse the job.
    await session.run(['launchctl', 'enable', LAUNCHD_TARGET]);
    await session.run(['launchctl', 'bootstrap', 'system', LAUNCHD_PLIST_PATH]);
  });
}

async function ensureConfigDir(session: Session): Promise<void> {
  await session.ensureDir(CONFIG_DIR);
  await session.ensureDir(`${CONFIG_DIR}/conf.d`);
  await session.ensureConfig();
}

/** `launchctl print` exits 0 for a loaded job and non-zero (113) for an unknown one. */
async function launchdLoaded(session: Session): Promise<boolean> {
  const r = await session.run(['launchctl', 'print', LAUNCHD_TARGET], () => true);
  return r.code === 0;
}

/** Stops and removes the service; the config and the state directory stay. */
export async function uninstallService(opts: ServiceOptions & { stateDir: string }): Promise<ServiceOutcome> {
  const session = new Session(opts);
  return guard(session, async () => {
    if (opts.platform === 'linux') {
      const present = await exists(under(opts.root, SYSTEMD_UNIT_PATH));
      if (opts.activate && present) await session.run(['systemctl', 'disable', '--now', SYSTEMD_UNIT_NAME]);
      const removed = await session.remove(SYSTEMD_UNIT_PATH);
      if (opts.activate && removed) await session.run(['systemctl', 'daemon-reload']);
    } else {
      if (opts.activate && (await launchdLoaded(session))) await session.run(['launchctl', 'bootout', LAUNCHD_TARGET]);
      await session.remove(LAUNCHD_PLIST_PATH);
    }
    session.steps.push({ kind: 'kept', path: under(opts.root, CONFIG_DIR), note: 'your config' });
    session.steps.push({ kind: 'kept', path: under(opts.root, opts.stateDir), note: 'the ownership ledger and hosts backups' });
  });
}
