// An in-process launchd for unit tests of install/uninstall: it keeps the job's state and answers
// launchctl's argv with launchd's exit codes, including the asynchronous bootout (the job stays
// listed for `lingerPolls` more `print`s) and a bootstrap that is refused with 5 while launchd is
// still busy. Anything else it is asked fails the test loudly.
import type { CommandRunner, RunResult } from '../../../src/platform/types';
import type { ServiceHost } from '../../../src/service/install';

export interface LaunchdModel {
  loaded: boolean;
  running: boolean;
  pid: number;
  /** `print`s that still list a booted-out job. */
  lingerPolls: number;
  /** bootstraps refused with 5 after the job is gone (launchd still tearing down). */
  busyBootstraps: number;
  /** What bootout answers when the job is not loaded (launchd: 3). */
  bootoutNotLoaded: { code: number; stderr: string };
  /** Per call, in order: `print:loaded`, `bootout`, `bootstrap:5`, … */
  log: string[];
  /** Set by bootout; cleared when the job is finally gone. */
  removing: boolean;
  /** The pid the daemon on the socket reports (default: the job's). */
  answeringPid: number | null | undefined;
  /** Bootstrap answers this instead of starting the job (e.g. { code: 78 }). */
  bootstrapFails: { code: number; stderr: string } | null;
  /** A bootout that never completes (the job ignores SIGTERM and launchd hangs). */
  neverGone: boolean;
}

const LABEL = 'system/dev.loopkeeper.daemon';
const PLIST = '/Library/LaunchDaemons/dev.loopkeeper.daemon.plist';

function printText(m: LaunchdModel): string {
  return [
    `${LABEL} = {`,
    '\tactive count = 1',
    `\tpath = ${PLIST}`,
    `\tstate = ${m.running ? 'running' : 'not running'}`,
    '',
    '\tprogram = /opt/homebrew/bin/node',
    ...(m.running ? [`\tpid = ${m.pid}`] : []),
    `\tlast exit code = ${m.running ? '(never exited)' : '78: EX_CONFIG'}`,
    '}',
    '',
  ].join('\n');
}

export function fakeLaunchd(initial: Partial<LaunchdModel> = {}) {
  const m: LaunchdModel = {
    loaded: false,
    running: false,
    pid: 500,
    lingerPolls: 0,
    busyBootstraps: 0,
    bootoutNotLoaded: { code: 3, stderr: 'Boot-out failed: 3: No such process\n' },
    log: [],
    removing: false,
    answeringPid: undefined,
    bootstrapFails: null,
    neverGone: false,
    ...initial,
  };
  if (m.loaded && initial.running === undefined) m.running = true;
  let lingering = 0;
  const calls: string[] = [];

  function answer(argv: readonly string[]): Partial<RunResult> {
    const [tool, verb, ...rest] = argv;
    if (tool !== '/bin/launchctl') throw new Error(`the fake launchd does not know ${argv.join(' ')}`);
    if (verb === 'print' && rest.join(' ') === LABEL) {
      if (m.removing && !m.neverGone) {
        if (lingering > 0) lingering -= 1;
        else {
          m.removing = false;
          m.loaded = false;
        }
      }
      m.log.push(`print:${m.loaded ? 'loaded' : 'gone'}`);
      return m.loaded ? { code: 0, stdout: printText(m) } : { code: 113, stderr: `Could not find service "dev.loopkeeper.daemon" in domain for system\n` };
    }
    if (verb === 'bootout' && rest.join(' ') === LABEL) {
      m.log.push('bootout');
      if (!m.loaded || m.removing) return m.bootoutNotLoaded;
      m.removing = true;
      m.running = false;
      lingering = m.lingerPolls;
      return { code: 0 };
    }
    if (verb === 'enable' && rest.join(' ') === LABEL) {
      m.log.push('enable');
      return { code: 0 };
    }
    if (verb === 'bootstrap' && rest.join(' ') === `system ${PLIST}`) {
      if (m.loaded) {
        m.log.push(`bootstrap:5(${m.removing ? 'removing' : 'loaded'})`);
        return { code: 5, stderr: 'Bootstrap failed: 5: Input/output error\n' };
      }
      if (m.busyBootstraps > 0) {
        m.busyBootstraps -= 1;
        m.log.push('bootstrap:5(busy)');
        return { code: 5, stderr: 'Bootstrap failed: 5: Input/output error\n' };
      }
      if (m.bootstrapFails) {
        m.log.push(`bootstrap:${m.bootstrapFails.code}`);
        return m.bootstrapFails;
      }
      m.log.push('bootstrap:0');
      m.loaded = true;
      m.running = true;
      m.pid += 1;
      return { code: 0 };
    }
    if (verb === 'kickstart' && rest.join(' ') === LABEL) {
      m.log.push(`kickstart${!m.loaded || m.removing ? ':113' : ''}`);
      if (!m.loaded || m.removing) return { code: 113, stderr: `Could not find service "dev.loopkeeper.daemon" in domain for system\n` };
      if (!m.running) {
        m.running = true;
        m.pid += 1;
      }
      return { code: 0 };
    }
    throw new Error(`the fake launchd does not model \`${argv.join(' ')}\``);
  }

  const runner: CommandRunner & { calls: string[] } = {
    calls,
    async run(argv) {
      calls.push(argv.join(' '));
      return { argv, code: 0, signal: null, stdout: '', stderr: '', ...answer(argv) };
    },
  };
  return { model: m, runner };
}

/** A host whose clock moves only when install sleeps; the daemon answers with the job's pid. */
export function launchdHost(m: LaunchdModel, opts: { answers?: boolean; log?: string | null; exists?: (p: string) => boolean; realpaths?: Record<string, string> } = {}) {
  let clock = 0;
  const sleeps: number[] = [];
  const waits: string[] = [];
  const host: ServiceHost & { sleeps: number[]; waits: string[]; clock: () => number } = {
    sleeps,
    waits,
    clock: () => clock,
    exists: async (p) => opts.exists?.(p) ?? true,
    realpath: async (p) => opts.realpaths?.[p] ?? p,
    waitForDaemon: async (socket, withinMs, until) => {
      waits.push(`${socket} ${withinMs}${until ? ` ${until}` : ''}`);
      return opts.answers === false ? { ok: false, reason: `${socket} never appeared within 10 s` } : { ok: true };
    },
    tail: async () => (opts.log === undefined ? 'line 1\nline 2' : opts.log),
    daemonPid: async () => (m.answeringPid !== undefined ? m.answeringPid : m.running ? m.pid : null),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
  };
  return host;
}
