// systemd: the unit in /etc/systemd/system, `enable --now`, readiness through the unit's
// ExecStartPost (dist/service/ready.js), the journal for the last log lines.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceManager } from './manager';
import { lexists, readTemplate, under, type Session } from './session';
import { SYSTEMD_UNIT_NAME, readyPathFor, renderSystemdUnit, systemdTemplatePath, packageRoot } from './templates';

export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';
export const SYSTEMD_UNIT_PATH = `${SYSTEMD_UNIT_DIR}/${SYSTEMD_UNIT_NAME}`;
/** systemd's own test for "booted with systemd" (sd_booted(3)). */
export const SYSTEMD_RUNNING_DIR = '/run/systemd/system';
/** `systemctl start` waits for the readiness step (TimeoutStartSec=5min in the unit). */
const START_TIMEOUT_MS = 6 * 60 * 1000;
const LOG_LINES = 20;

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
    await systemdManager.collectLog(session);
    throw e;
  }
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

export const systemdManager: ServiceManager = {
  name: 'systemd',
  servicePath: SYSTEMD_UNIT_PATH,
  statusCommand: `systemctl status ${SYSTEMD_UNIT_NAME}`,

  async notRunning(host) {
    if (await host.exists(SYSTEMD_RUNNING_DIR)) return null;
    return (
      `systemd is not running on this machine (${SYSTEMD_RUNNING_DIR} does not exist: a container, WSL without systemd, ` +
      'or another init system), so there is no service manager to install loopkeeper into'
    );
  },

  extraFiles: (paths) => [['the readiness script', readyPathFor(paths)]],

  tempDirProblem: (temp) => `the service could not see it: the unit runs with PrivateTmp=true, which gives it its own empty ${temp}`,

  async write(session) {
    const pkg = session.opts.packageDir ?? packageRoot();
    const unit = renderSystemdUnit(await readTemplate(systemdTemplatePath(pkg)), session.opts.paths);
    return session.put(SYSTEMD_UNIT_PATH, unit);
  },

  async activate(session, written) {
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
    await session.waitUntilAnswering(() => systemdManager.collectLog(session));
  },

  async uninstall(session) {
    const { opts, host } = session;
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
  },

  async collectLog(session) {
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
  },
};
