// Installs and removes the launchd / systemd service. Files are written under `root` ('/' for a
// real install, a staging directory for packaging and tests); the service manager is driven only
// when `activate` is set, always through the CommandRunner (argv, never a shell).
//
// SPEC "Services": before writing anything, install checks that a service manager runs and that
// the unit will be able to see node and the daemon; after starting the service it waits (10 s)
// until the daemon answers on its socket, else it shows the service's last log lines and fails.
// uninstall removes every file install wrote (the unit, the links `systemctl enable` made, the
// config it wrote if nobody changed it, the directories it created if empty) even when the
// service manager is absent or refuses, and says what it could not do.
import { constants } from 'node:fs';
import { access, chmod, lstat, mkdir, readFile, readdir, realpath, rm, rmdir, writeFile } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic';
import { dirname, join } from 'node:path';
import type { CommandRunner, RunResult } from '../platform/types';
import { defaultSocket } from '../runtime';
import { waitForAnswer } from './ready';
import { serviceCodeError } from './trust-check';
import {
  LAUNCHD_LABEL,
  SYSTEMD_UNIT_NAME,
  launchdTemplatePath,
  packageRoot,
  readyPathFor,
  renderLaunchdPlist,
  renderSystemdUnit,
  systemdTemplatePath,
  type ServicePaths,
} from './templates';

export type ServicePlatform = 'linux' | 'darwin';

/** What install/uninstall need from the running system, beyond files under `root` (tests fake it). */
export interface ServiceHost {
  /** Whether a path of the running system exists. */
  exists(path: string): Promise<boolean>;
  /** The path with every symlink resolved (the path itself when it cannot be resolved). */
  realpath(path: string): Promise<string>;
  /** Asks the daemon's socket until it answers (any HTTP status), for at most `withinMs`. */
  waitForDaemon(socket: string, withinMs: number): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** The last `lines` lines of a file, or null when it cannot be read. */
  tail(path: string, lines: number): Promise<string | null>;
}

export const realHost: ServiceHost = {
  exists,
  realpath: (p) => realpath(p).catch(() => p),
  async waitForDaemon(socket, withinMs) {
    const r = await waitForAnswer({ socket, method: 'GET', path: '/v1/health', withinMs });
    return r.ok ? { ok: true } : { ok: false, reason: r.reason };
  },
  async tail(path, lines) {
    const text = await readOrNull(path).catch(() => null);
    if (text === null) return null;
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines).join('\n');
  },
};

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
  host?: ServiceHost;
  /** The installed daemon's socket (default: the platform's, which the unit's daemon uses). */
  socket?: string;
  /** How long install waits for the started daemon to answer (SPEC: up to 10 s). */
  answerWithinMs?: number;
}

/** One thing install/uninstall did or found, in the order it happened. */
export type ServiceStep =
  | { kind: 'wrote' | 'updated' | 'unchanged' | 'created' | 'exists' | 'removed' | 'absent' | 'kept'; path: string; note?: string }
  | { kind: 'ran'; argv: string[]; note?: string };

export interface ServiceOutcome {
  ok: boolean;
  steps: ServiceStep[];
  /** Why it stopped, in words a user can act on. */
  error?: string;
  /** install refused before writing anything (no service manager, a path the unit cannot see). */
  refused?: boolean;
  /** The service's last log lines, when it did not come up. */
  log?: { source: string; text: string };
  /** Whether any file or the service's state was changed. */
  changed: boolean;
  /** uninstall: what failed (it went on with the rest); makes ok false. */
  problems: string[];
  /** uninstall: what it did not do and why, where nothing failed (no service manager to ask). */
  notes: string[];
  /** uninstall: nothing install writes was there. */
  nothingToRemove?: boolean;
}

export const CONFIG_DIR = '/etc/loopkeeper';
export const CONFIG_FILE = `${CONFIG_DIR}/loopkeeper.yaml`;
export const CONF_D = `${CONFIG_DIR}/conf.d`;
export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';
export const SYSTEMD_UNIT_PATH = `${SYSTEMD_UNIT_DIR}/${SYSTEMD_UNIT_NAME}`;
export const LAUNCHD_PLIST_PATH = `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`;
export const LAUNCHD_LOG = '/var/log/loopkeeper.log';
export const LAUNCHCTL = '/bin/launchctl';
/** systemd's own test for "booted with systemd" (sd_booted(3)). */
export const SYSTEMD_RUNNING_DIR = '/run/systemd/system';
/** `systemctl start` waits for the readiness step (TimeoutStartSec=5min in the unit). */
const START_TIMEOUT_MS = 6 * 60 * 1000;
const LOG_LINES = 20;
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

/**
 * The one atomic writer (src/fs/atomic.ts): an exclusive, randomly named temp file beside the
 * target, fsync, rename, fsync of the directory. A crash never leaves half a unit file, and a
 * name planted beside it (a symlink, a guessable temp name) cannot redirect the write.
 */
async function writeAtomic(p: string, content: string, mode: number): Promise<void> {
  writeFileAtomic(p, content, { mode, keepOwner: false });
}

class StepError extends Error {}

function describeFailure(r: RunResult): string {
  const how = r.code === null ? `was killed by ${r.signal ?? 'a signal'}` : `exited with ${r.code}`;
  const output = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(0, 5).join('\n');
  return `\`${r.argv.join(' ')}\` ${how}${output ? `: ${output}` : ''}`;
}

class Session {
  readonly steps: ServiceStep[] = [];
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  changed = false;
  log: { source: string; text: string } | undefined;
  constructor(readonly opts: ServiceOptions) {}

  get host(): ServiceHost {
    return this.opts.host ?? realHost;
  }

  async run(argv: string[], tolerate?: (r: RunResult) => boolean, timeoutMs?: number): Promise<RunResult> {
    const r = await this.opts.runner.run(argv, timeoutMs === undefined ? undefined : { timeoutMs });
    this.steps.push({ kind: 'ran', argv });
    if (r.code !== 0 && !(tolerate?.(r) ?? false)) throw new StepError(describeFailure(r));
    return r;
  }

  /** Runs argv; a failure is recorded as a problem (and returned false) instead of stopping. */
  async attempt(argv: string[], consequence: string): Promise<boolean> {
    let r: RunResult;
    try {
      r = await this.opts.runner.run(argv);
    } catch (e) {
      this.steps.push({ kind: 'ran', argv, note: 'could not run' });
      this.problems.push(`${(e as Error).message}; ${consequence}`);
      return false;
    }
    this.steps.push({ kind: 'ran', argv, ...(r.code === 0 ? {} : { note: 'failed' }) });
    if (r.code === 0) return true;
    this.problems.push(`${describeFailure(r)}; ${consequence}`);
    return false;
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
    this.changed = true;
    this.steps.push({ kind: before === null ? 'wrote' : 'updated', path: p });
    return { changed: true, existed: before !== null };
  }

  async ensureDir(target: string): Promise<void> {
    const p = under(this.opts.root, target);
    const had = await exists(p);
    await mkdir(p, { recursive: true, mode: 0o755 });
    if (!had) this.changed = true;
    this.steps.push({ kind: had ? 'exists' : 'created', path: p });
  }

  /** Creates the config file only when there is none: install never touches a user's config. */
  async ensureConfig(): Promise<void> {
    const p = under(this.opts.root, CONFIG_FILE);
    if (await exists(p)) {
      this.steps.push({ kind: 'exists', path: p, note: 'kept as it is' });
      return;
    }
    const { text, from } = await installedConfig(this.opts.packageDir);
    // 'wx': never clobber a file that appeared since the check.
    await writeFile(p, text, { mode: 0o644, flag: 'wx' });
    await chmod(p, 0o644);
    this.changed = true;
    this.steps.push({ kind: 'wrote', path: p, note: from === null ? 'a minimal config' : `the example from ${from}, commented out` });
  }

  async remove(target: string): Promise<boolean> {
    const p = under(this.opts.root, target);
    if (!(await lexists(p))) {
      this.steps.push({ kind: 'absent', path: p });
      return false;
    }
    await rm(p, { force: true });
    this.changed = true;
    this.steps.push({ kind: 'removed', path: p });
    return true;
  }

  /** Removes a directory install created, only when it is empty; says why it stays otherwise. */
  async removeDirIfEmpty(target: string, note: string): Promise<void> {
    const p = under(this.opts.root, target);
    let entries: string[];
    try {
      entries = await readdir(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return;
    }
    if (entries.length > 0) {
      this.steps.push({ kind: 'kept', path: p, note });
      return;
    }
    await rmdir(p);
    this.changed = true;
    this.steps.push({ kind: 'removed', path: p });
  }
}

/** Whether something is at p, a dangling symlink included. */
async function lexists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The config install writes when there is none: the package's example made inert, or a minimal one. */
async function installedConfig(packageDir: string | undefined): Promise<{ text: string; from: string | null }> {
  const example = join(packageDir ?? packageRoot(), 'config', 'loopkeeper.example.yaml');
  const exampleText = await readOrNull(example);
  return exampleText === null ? { text: MINIMAL_CONFIG, from: null } : { text: inertExample(exampleText), from: example };
}

async function template(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new StepError(`cannot read the service template ${path}: ${(e as Error).message}`);
  }
}

async function guard(session: Session, body: () => Promise<void>): Promise<ServiceOutcome> {
  const done = (extra: Partial<ServiceOutcome>): ServiceOutcome => ({
    ok: true,
    steps: session.steps,
    changed: session.changed,
    problems: session.problems,
    notes: session.notes,
    ...(session.log ? { log: session.log } : {}),
    ...extra,
  });
  try {
    await body();
    return done({ ok: session.problems.length === 0 });
  } catch (e) {
    if (e instanceof Refusal) return done({ ok: false, refused: true, error: e.message });
    const message = e instanceof StepError ? e.message : `${(e as Error).message ?? String(e)}`;
    return done({ ok: false, error: message });
  }
}

class Refusal extends Error {}

/** Directories whose contents the service cannot rely on: systemd's PrivateTmp hides them. */
const TEMP_DIRS = ['/tmp', '/var/tmp', '/private/tmp', '/private/var/tmp'];

function inTempDir(p: string): string | null {
  return TEMP_DIRS.find((d) => p === d || p.startsWith(`${d}/`)) ?? null;
}

/**
 * The checks install makes before it writes anything (only for a real install: `--root` loads
 * nothing). Throws a Refusal that says what is wrong; the command adds how to run the daemon in
 * the foreground instead.
 */
async function preflight(session: Session): Promise<void> {
  const { opts, host } = session;
  if (!opts.activate) return;
  if (opts.platform === 'linux') {
    if (!(await host.exists(SYSTEMD_RUNNING_DIR))) {
      throw new Refusal(
        `systemd is not running on this machine (${SYSTEMD_RUNNING_DIR} does not exist: a container, WSL without systemd, ` +
          'or another init system), so there is no service manager to install loopkeeper into',
      );
    }
  } else if (!(await host.exists(LAUNCHCTL))) {
    throw new Refusal(`launchd's ${LAUNCHCTL} is not there, so there is no service manager to install loopkeeper into`);
  }
  const files: Array<[string, string]> = [
    ['node', opts.paths.node],
    ['the daemon', opts.paths.daemon],
  ];
  if (opts.platform === 'linux') files.push(['the readiness script', readyPathFor(opts.paths)]);
  for (const [what, p] of files) {
    if (!(await host.exists(p))) {
      throw new Refusal(`${what} ${p} does not exist${what === 'node' ? '' : ': build first (`npm run build`)'}`);
    }
    const real = await host.realpath(p);
    const temp = inTempDir(p) ?? inTempDir(real);
    if (temp !== null) {
      const seen = real === p ? p : `${p} (really ${real})`;
      const why =
        opts.platform === 'linux'
          ? `the service could not see it: the unit runs with PrivateTmp=true, which gives it its own empty ${temp}`
          : `macOS empties ${temp} at boot, and the service would lose it`;
      throw new Refusal(
        `${what} ${seen} is under ${temp}: ${why}. Install loopkeeper somewhere permanent (\`npm install -g\`, or a ` +
          'checkout under /opt or /usr/local) and run install from there',
      );
    }
  }
}

/** Writes the service definition and the config directory; loads the service when `activate`. */
export async function installService(opts: ServiceOptions): Promise<ServiceOutcome> {
  const session = new Session(opts);
  const pkg = opts.packageDir ?? packageRoot();
  return guard(session, async () => {
    await preflight(session);
    // Root will run this at every boot: refuse code another user could change (src/service/trust-check.ts).
    const untrusted = opts.activate ? serviceCodeError({ ...opts.paths, packageDir: pkg }) : null;
    if (untrusted !== null) throw new StepError(untrusted);
    if (opts.platform === 'linux') {
      const unit = renderSystemdUnit(await template(systemdTemplatePath(pkg)), opts.paths);
      const written = await session.put(SYSTEMD_UNIT_PATH, unit);
      await ensureConfigDir(session);
      if (!opts.activate) return;
      const before = await systemdState(session);
      const inForce = !written.changed && before.NeedDaemonReload === 'no' && before.UnitFileState === 'enabled' && before.ActiveState === 'active';
      // Installed, enabled, running on this very unit file: nothing to do but check it answers.
      if (!inForce) {
        // Also when the file is unchanged: a previous run may have written it and then failed.
        await session.run(['systemctl', 'daemon-reload']);
        // `enable --now` returns once the unit is active, i.e. after its readiness step (the unit's
        // ExecStartPost waits for the first reconcile), or fails when the daemon does not come up.
        await startOrShowLog(session, ['systemctl', 'enable', '--now', SYSTEMD_UNIT_NAME]);
        // `enable --now` leaves a running daemon on the old ExecStart.
        if (written.changed && written.existed && before.ActiveState === 'active') {
          await startOrShowLog(session, ['systemctl', 'restart', SYSTEMD_UNIT_NAME]);
        }
        session.changed = true;
      }
      await waitUntilAnswering(session);
      return;
    }
    const plist = renderLaunchdPlist(await template(launchdTemplatePath(pkg)), opts.paths);
    const written = await session.put(LAUNCHD_PLIST_PATH, plist);
    await ensureConfigDir(session);
    if (!opts.activate) return;
    const loaded = await launchdLoaded(session);
    if (!loaded || written.changed) {
      if (loaded) await session.run(['launchctl', 'bootout', LAUNCHD_TARGET]);
      // A previous `launchctl disable` would make bootstrap refuse the job.
      await session.run(['launchctl', 'enable', LAUNCHD_TARGET]);
      await session.run(['launchctl', 'bootstrap', 'system', LAUNCHD_PLIST_PATH]);
      session.changed = true;
    }
    await waitUntilAnswering(session);
  });
}

/** What systemd knows of the unit (an unknown unit: LoadState=not-found, UnitFileState empty). */
async function systemdState(session: Session): Promise<Record<string, string>> {
  const r = await session.run(['systemctl', 'show', SYSTEMD_UNIT_NAME, '--property=NeedDaemonReload,UnitFileState,ActiveState'], () => true);
  const state: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) state[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return state;
}

/** Starts the unit; when that fails, keeps the service's last log lines for the user. */
async function startOrShowLog(session: Session, argv: string[]): Promise<void> {
  try {
    await session.run(argv, undefined, START_TIMEOUT_MS);
  } catch (e) {
    await collectLog(session);
    throw e;
  }
}

async function waitUntilAnswering(session: Session): Promise<void> {
  const { opts, host } = session;
  const socket = opts.socket ?? defaultSocket(opts.platform);
  const withinMs = opts.answerWithinMs ?? 10_000;
  const r = await host.waitForDaemon(socket, withinMs);
  if (r.ok) return;
  await collectLog(session);
  throw new StepError(`the service started, but loopkeeperd did not answer on ${socket} within ${Math.round(withinMs / 1000)} s: ${r.reason}`);
}

async function collectLog(session: Session): Promise<void> {
  if (session.opts.platform === 'darwin') {
    const text = await session.host.tail(LAUNCHD_LOG, LOG_LINES);
    session.log = { source: LAUNCHD_LOG, text: text ?? `(${LAUNCHD_LOG} could not be read)` };
    return;
  }
  const argv = ['journalctl', '-u', SYSTEMD_UNIT_NAME, '-n', String(LOG_LINES), '--no-pager'];
  try {
    // The daemon's last words may still be on their way to journald: have it store what it has.
    await session.opts.runner.run(['journalctl', '--sync']).catch(() => undefined);
    const r = await session.opts.runner.run(argv);
    const text = (r.stdout.trim() || r.stderr.trim()) || '(no log lines)';
    session.log = { source: argv.join(' '), text };
  } catch (e) {
    session.log = { source: argv.join(' '), text: `(could not run journalctl: ${(e as Error).message})` };
  }
}

async function ensureConfigDir(session: Session): Promise<void> {
  await session.ensureDir(CONFIG_DIR);
  await session.ensureDir(CONF_D);
  await session.ensureConfig();
}

/** `launchctl print` exits 0 for a loaded job and non-zero (113) for an unknown one. */
async function launchdLoaded(session: Session): Promise<boolean> {
  const r = await session.run(['launchctl', 'print', LAUNCHD_TARGET], () => true);
  return r.code === 0;
}

/**
 * The links `systemctl enable` made for the unit (…/multi-user.target.wants/loopkeeper.service
 * and any other *.wants/ *.requires/ entry of that name), relative to the target system's /.
 */
async function enableLinks(root: string): Promise<string[]> {
  const dir = under(root, SYSTEMD_UNIT_DIR);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const links: string[] = [];
  for (const e of entries.sort()) {
    if (!e.endsWith('.wants') && !e.endsWith('.requires')) continue;
    const link = join(SYSTEMD_UNIT_DIR, e, SYSTEMD_UNIT_NAME);
    if (await lexists(under(root, link))) links.push(link);
  }
  return links;
}

/** Whether the config file is still exactly what install writes (nobody has edited it). */
async function configUntouched(session: Session): Promise<boolean> {
  const text = await readOrNull(under(session.opts.root, CONFIG_FILE));
  if (text === null) return false;
  const written = await installedConfig(session.opts.packageDir);
  return text === written.text || text === MINIMAL_CONFIG;
}

/**
 * Stops and removes the service and every file install wrote. What a user changed or added (an
 * edited config, conf.d/ files) and the state directory (the ownership ledger `loopkeeper down`
 * needs, the hosts backups) stay. A service manager that is absent or refuses does not stop the
 * removal of files; what could not be done is reported in `problems` (and makes ok false).
 */
export async function uninstallService(opts: ServiceOptions & { stateDir: string }): Promise<ServiceOutcome> {
  const session = new Session(opts);
  return guard(session, async () => {
    const { host } = session;
    if (opts.platform === 'linux') {
      const unitThere = await lexists(under(opts.root, SYSTEMD_UNIT_PATH));
      const linksBefore = await enableLinks(opts.root);
      const systemd = opts.activate && (await host.exists(SYSTEMD_RUNNING_DIR));
      if (opts.activate && !systemd && (unitThere || linksBefore.length > 0)) {
        session.notes.push(
          `systemd is not running (${SYSTEMD_RUNNING_DIR} does not exist), so there was no service to stop or reload; ` +
            'the files are removed. A loopkeeperd you started by hand keeps running until you stop it.',
        );
      }
      if (systemd && (unitThere || linksBefore.length > 0)) {
        const stopped = await session.attempt(
          ['systemctl', 'disable', '--now', SYSTEMD_UNIT_NAME],
          'the daemon may still be running: `sudo systemctl stop loopkeeper` stops it (a reboot does too, now that the unit is gone)',
        );
        if (stopped) session.changed = true;
      }
      // What `systemctl enable` linked, removed by hand when systemctl did not (or could not).
      for (const link of await enableLinks(opts.root)) await session.remove(link);
      const removed = await session.remove(SYSTEMD_UNIT_PATH);
      if (systemd && (removed || linksBefore.length > 0)) {
        await session.attempt(['systemctl', 'daemon-reload'], 'systemd still knows the unit until `sudo systemctl daemon-reload`');
      }
    } else {
      const plistThere = await lexists(under(opts.root, LAUNCHD_PLIST_PATH));
      if (opts.activate) {
        if (!(await host.exists(LAUNCHCTL))) {
          if (plistThere) session.notes.push(`${LAUNCHCTL} is not there, so there was no launchd job to boot out; the files are removed.`);
        } else if (await launchdLoadedTolerant(session)) {
          const out = await session.attempt(
            ['launchctl', 'bootout', LAUNCHD_TARGET],
            `the daemon may still be running: \`sudo launchctl bootout ${LAUNCHD_TARGET}\` stops it`,
          );
          if (out) session.changed = true;
        }
      }
      await session.remove(LAUNCHD_PLIST_PATH);
    }
    await removeConfig(session);
    const state = under(opts.root, opts.stateDir);
    if (await lexists(state)) session.steps.push({ kind: 'kept', path: state, note: 'the ownership ledger and hosts backups; the `down` command uses them' });
  }).then((outcome) => (!outcome.changed && outcome.ok ? { ...outcome, nothingToRemove: true } : outcome));
}

async function launchdLoadedTolerant(session: Session): Promise<boolean> {
  try {
    return await launchdLoaded(session);
  } catch (e) {
    session.problems.push(`could not ask launchd about the job: ${(e as Error).message}`);
    return false;
  }
}

/** The config install wrote goes when nobody changed it; an edited one, and anything added, stay. */
async function removeConfig(session: Session): Promise<void> {
  const file = under(session.opts.root, CONFIG_FILE);
  if (await lexists(file)) {
    if (await configUntouched(session)) await session.remove(CONFIG_FILE);
    else session.steps.push({ kind: 'kept', path: file, note: 'your config: it differs from the one install wrote' });
  }
  await session.removeDirIfEmpty(CONF_D, 'not empty: your drop-ins');
  await session.removeDirIfEmpty(CONFIG_DIR, 'not empty');
}
