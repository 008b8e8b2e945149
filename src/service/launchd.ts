// launchd: the LaunchDaemon plist in /Library/LaunchDaemons, its log rotation in
// /etc/newsyslog.d, and the job driven through launchctl (see launchctl.ts for the asynchronous
// bootout and the retried bootstrap). After starting, install checks that the daemon answering on
// the socket is the job launchd runs, not a loopkeeperd started by hand or the old job.
import { dirname } from 'node:path';
import { checkTrusted } from '../fs/trust';
import { chooseNodePath } from './node-path';
import { NEWSYSLOG_CONF, renderNewsyslogConf } from './newsyslog';
import { LAUNCHCTL, LAUNCHD_TARGET, NOT_FOUND, bootoutAndWait, bootstrapWithRetry, jobState, type JobState } from './launchctl';
import type { ServiceManager } from './manager';
import { StepError, lexists, readTemplate, under, type Session } from './session';
import { LAUNCHD_LABEL, launchdTemplatePath, packageRoot, renderLaunchdPlist } from './templates';

export const LAUNCHD_PLIST_PATH = `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`;
/** StandardOutPath/StandardErrorPath and the daemon's --log-file in the plist template. */
export const LAUNCHD_LOG = '/var/log/loopkeeper.log';
const LOG_LINES = 20;
/** How often the pid check is tried again while KeepAlive may be restarting the job. */
const PID_CHECKS = 3;

/** Why the directory holding a node link cannot be trusted by root, or null (a missing one is no problem here). */
function linkDirProblem(link: string): string | null {
  const problems = checkTrusted(dirname(link), { expect: 'dir' }).filter((p) => p.kind !== 'missing');
  return problems.length === 0 ? null : problems.map((p) => p.message).join('; ');
}

/** Whether `print` says the job has no process (only when it says so in words we know). */
function notRunning(state: JobState): boolean {
  return state.loaded && state.pid === null && state.state !== null && state.state !== 'running';
}

/**
 * The job launchd runs is the daemon that answers: its pid is the one /v1/status reports. A
 * different pid means another loopkeeperd holds the socket (started by hand, or the old job);
 * none means the job is not running. Where `print` names no pid, the answer on the socket is all
 * there is to go by.
 */
async function checkJobAnswers(session: Session): Promise<void> {
  const daemonPid = session.host.daemonPid;
  for (let attempt = 1; ; attempt++) {
    const state = await jobState(session);
    if (!state.loaded) {
      throw new StepError(`launchd does not list ${LAUNCHD_TARGET} after bootstrap; \`sudo launchctl print ${LAUNCHD_TARGET}\``);
    }
    const answering = daemonPid ? await daemonPid.call(session.host, session.socket) : null;
    if (state.pid !== null && (answering === null || answering === state.pid)) return;
    if (state.pid === null && !notRunning(state)) return; // print names no pid in words we know: trust the answer
    if (attempt >= PID_CHECKS) {
      const job = state.pid === null ? `is not running (state = ${state.state}${state.lastExit ? `, last exit code = ${state.lastExit}` : ''})` : `runs as pid ${state.pid}`;
      const other = answering !== null ? `, but the loopkeeperd answering on ${session.socket} is pid ${answering} (started by hand? stop it: \`sudo kill ${answering}\`)` : '';
      await launchdManager.collectLog(session);
      throw new StepError(`launchd's job ${LAUNCHD_TARGET} ${job}${other}; then run install again`);
    }
    await session.sleep(500);
  }
}

export const launchdManager: ServiceManager = {
  name: 'launchd',
  servicePath: LAUNCHD_PLIST_PATH,
  statusCommand: `sudo launchctl print ${LAUNCHD_TARGET}`,

  async notRunning(host) {
    return (await host.exists(LAUNCHCTL)) ? null : `launchd's ${LAUNCHCTL} is not there, so there is no service manager to install loopkeeper into`;
  },

  extraFiles: () => [],

  tempDirProblem: (temp) => `macOS empties ${temp} at boot, and the service would lose it`,

  async write(session) {
    const { opts } = session;
    const pkg = opts.packageDir ?? packageRoot();
    let choice = await chooseNodePath(opts.paths.node, { realpath: (p) => session.host.realpath(p), exists: (p) => session.host.exists(p) }, opts.env ?? process.env);
    if (choice.warning) session.notes.push(choice.warning);
    // Whoever can write the link's directory can point root's node anywhere: the link is used only
    // where the binary itself would pass install's trust check (src/service/trust-check.ts).
    const linkDir = choice.node !== opts.paths.node && opts.activate ? linkDirProblem(choice.node) : null;
    if (linkDir !== null) {
      session.notes.push(`not naming ${choice.node} in the plist: ${linkDir}; it names ${opts.paths.node}, which an upgrade of node may remove`);
      choice = { node: opts.paths.node };
    }
    const plist = renderLaunchdPlist(await readTemplate(launchdTemplatePath(pkg)), { ...opts.paths, node: choice.node });
    const written = await session.put(LAUNCHD_PLIST_PATH, plist, choice.note);
    await session.put(NEWSYSLOG_CONF, renderNewsyslogConf(LAUNCHD_LOG), 'rotates ' + LAUNCHD_LOG);
    return written;
  },

  async activate(session, written) {
    const before = await jobState(session);
    let loaded = before.loaded;
    if (loaded && written.changed) {
      // The running job keeps its old ProgramArguments until it is booted out and bootstrapped again.
      await bootoutAndWait(session);
      loaded = false;
    } else if (loaded && notRunning(before)) {
      // Loaded from this very plist but not running (it exited and KeepAlive waits out the
      // throttle): start it now. 113: launchd was already removing it (a bootout under way).
      const r = await session.run([LAUNCHCTL, 'kickstart', LAUNCHD_TARGET], (x) => x.code === NOT_FOUND);
      if (r.code === NOT_FOUND) {
        await bootoutAndWait(session);
        loaded = false;
      }
      session.changed = true;
    }
    if (!loaded) {
      // A previous `launchctl disable` would make bootstrap refuse the job.
      await session.run([LAUNCHCTL, 'enable', LAUNCHD_TARGET]);
      try {
        await bootstrapWithRetry(session, LAUNCHD_PLIST_PATH);
      } catch (e) {
        await launchdManager.collectLog(session);
        throw e;
      }
      session.changed = true;
    }
    // Until the first reconcile has finished, as systemd's readiness step makes `enable --now` wait:
    // when install says "runs now", the aliases are in place.
    await session.waitUntilAnswering(() => launchdManager.collectLog(session), 'reconciled');
    await checkJobAnswers(session);
  },

  async uninstall(session) {
    const { opts, host } = session;
    const plistThere = await lexists(under(opts.root, LAUNCHD_PLIST_PATH));
    if (opts.activate) {
      if (!(await host.exists(LAUNCHCTL))) {
        if (plistThere) session.notes.push(`${LAUNCHCTL} is not there, so there was no launchd job to boot out; the files are removed.`);
      } else {
        try {
          if ((await jobState(session)).loaded) {
            await bootoutAndWait(session);
            session.changed = true;
          }
        } catch (e) {
          session.problems.push(
            `${(e as Error).message}; the daemon may still be running: \`sudo launchctl bootout ${LAUNCHD_TARGET}\` stops it`,
          );
        }
      }
    }
    await session.remove(LAUNCHD_PLIST_PATH);
    await session.remove(NEWSYSLOG_CONF);
    const log = under(opts.root, LAUNCHD_LOG);
    if (await lexists(log)) session.steps.push({ kind: 'kept', path: log, note: "the daemon's log (and its rotated copies)" });
  },

  async collectLog(session) {
    const text = await session.host.tail(LAUNCHD_LOG, LOG_LINES);
    session.log = { source: LAUNCHD_LOG, text: text ?? `(${LAUNCHD_LOG} could not be read)` };
  },
};
