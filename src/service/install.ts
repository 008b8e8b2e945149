// Installs and removes the launchd / systemd service. Files are written under `root` ('/' for a
// real install, a staging directory for packaging and tests); the service manager is driven only
// when `activate` is set, always through the CommandRunner (argv, never a shell). What differs per
// OS is the platform profile's service manager (systemd.ts, launchd.ts); this module does the
// rest: the pre-flight, the config directory, and the order of things.
//
// SPEC "Services": before writing anything, install checks that a service manager runs and that
// the unit will be able to see node and the daemon; after starting the service it waits (10 s)
// until the daemon answers on its socket, else it shows the service's last log lines and fails.
// uninstall removes every file install wrote (the unit, the links `systemctl enable` made, the
// config it wrote if nobody changed it, the directories it created if empty) even when the
// service manager is absent or refuses, and says what it could not do.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireProfile } from '../platform/profiles';
import type { ServiceManager, ServiceOptions, ServiceOutcome, ServicePlatform } from './manager';
import { Refusal, Session, StepError, exists, lexists, readOrNull, under } from './session';
import { packageRoot } from './templates';
import { serviceCodeError } from './trust-check';

export type { ServiceHost, ServiceOptions, ServiceOutcome, ServicePlatform, ServiceStep } from './manager';
export { realHost } from './session';

export const CONFIG_DIR = '/etc/loopkeeper';
export const CONFIG_FILE = `${CONFIG_DIR}/loopkeeper.yaml`;
export const CONF_D = `${CONFIG_DIR}/conf.d`;
export { SYSTEMD_UNIT_DIR, SYSTEMD_UNIT_PATH, SYSTEMD_RUNNING_DIR } from './systemd';
export { LAUNCHD_PLIST_PATH, LAUNCHD_LOG } from './launchd';
export { LAUNCHCTL } from './launchctl';

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

/** The service manager of a platform (its profile's). */
export function serviceManagerFor(platform: ServicePlatform): ServiceManager {
  return requireProfile(platform).serviceManager();
}

export function servicePath(platform: ServicePlatform): string {
  return serviceManagerFor(platform).servicePath;
}

/** The config install writes when there is none: the package's example made inert, or a minimal one. */
async function installedConfig(packageDir: string | undefined): Promise<{ text: string; from: string | null }> {
  const example = join(packageDir ?? packageRoot(), 'config', 'loopkeeper.example.yaml');
  const exampleText = await readOrNull(example);
  return exampleText === null ? { text: MINIMAL_CONFIG, from: null } : { text: inertExample(exampleText), from: example };
}

/** Creates the config file only when there is none: install never touches a user's config. */
async function ensureConfig(session: Session): Promise<void> {
  const p = under(session.opts.root, CONFIG_FILE);
  if (await exists(p)) {
    session.steps.push({ kind: 'exists', path: p, note: 'kept as it is' });
    return;
  }
  const { text, from } = await installedConfig(session.opts.packageDir);
  // 'wx': never clobber a file that appeared since the check.
  await writeFile(p, text, { mode: 0o644, flag: 'wx' });
  await chmod(p, 0o644);
  session.changed = true;
  session.steps.push({ kind: 'wrote', path: p, note: from === null ? 'a minimal config' : `the example from ${from}, commented out` });
}

async function ensureConfigDir(session: Session): Promise<void> {
  await session.ensureDir(CONFIG_DIR);
  await session.ensureDir(CONF_D);
  await ensureConfig(session);
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

/** Directories whose contents the service cannot rely on (systemd's PrivateTmp hides them; macOS empties them at boot). */
const TEMP_DIRS = ['/tmp', '/var/tmp', '/private/tmp', '/private/var/tmp'];

function inTempDir(p: string): string | null {
  return TEMP_DIRS.find((d) => p === d || p.startsWith(`${d}/`)) ?? null;
}

/**
 * The checks install makes before it writes anything (only for a real install: `--root` loads
 * nothing). Throws a Refusal that says what is wrong; the command adds how to run the daemon in
 * the foreground instead.
 */
async function preflight(session: Session, manager: ServiceManager): Promise<void> {
  const { opts, host } = session;
  if (!opts.activate) return;
  const why = await manager.notRunning(host);
  if (why !== null) throw new Refusal(why);
  const files: Array<[string, string]> = [
    ['node', opts.paths.node],
    ['the daemon', opts.paths.daemon],
    ...manager.extraFiles(opts.paths),
  ];
  for (const [what, p] of files) {
    if (!(await host.exists(p))) {
      throw new Refusal(`${what} ${p} does not exist${what === 'node' ? '' : ': build first (`npm run build`)'}`);
    }
    const real = await host.realpath(p);
    const temp = inTempDir(p) ?? inTempDir(real);
    if (temp !== null) {
      const seen = real === p ? p : `${p} (really ${real})`;
      throw new Refusal(
        `${what} ${seen} is under ${temp}: ${manager.tempDirProblem(temp)}. Install loopkeeper somewhere permanent (\`npm install -g\`, or a ` +
          'checkout under /opt or /usr/local) and run install from there',
      );
    }
  }
}

/** Writes the service definition and the config directory; loads the service when `activate`. */
export async function installService(opts: ServiceOptions): Promise<ServiceOutcome> {
  const session = new Session(opts);
  const manager = serviceManagerFor(opts.platform);
  const pkg = opts.packageDir ?? packageRoot();
  return guard(session, async () => {
    await preflight(session, manager);
    // Root will run this at every boot: refuse code another user could change (src/service/trust-check.ts).
    const untrusted = opts.activate ? serviceCodeError({ ...opts.paths, packageDir: pkg }) : null;
    if (untrusted !== null) throw new StepError(untrusted);
    const written = await manager.write(session);
    await ensureConfigDir(session);
    if (opts.activate) await manager.activate(session, written);
  });
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
  const manager = serviceManagerFor(opts.platform);
  return guard(session, async () => {
    await manager.uninstall(session);
    await removeConfig(session);
    const state = under(opts.root, opts.stateDir);
    if (await lexists(state)) session.steps.push({ kind: 'kept', path: state, note: 'the ownership ledger and hosts backups; the `down` command uses them' });
  }).then((outcome) => (!outcome.changed && outcome.ok ? { ...outcome, nothingToRemove: true } : outcome));
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
