#!/usr/bin/env node
// loopkeeperd: the privileged daemon launchd/systemd run in the foreground from boot.
// Logs are JSON lines on stdout (launchd and journald keep them).
import { Command, CommanderError } from 'commander';
import { configWatchPaths, expectedConfigPaths } from '../config/files';
import { ConfigLoaderProcess } from './config-process';
import { resolveRuntime, type RuntimeFlags } from '../runtime';
import { addRuntimeOptions } from '../runtime-options';
import { version } from '../version';
import { Daemon } from './daemon';
import { appendingWriter, createLogger, isLevel, LEVELS } from './log';
import { SocketInUse } from '../api/socket-path';
import { messageOf } from '../errors';
import { checkTextfilePath, MetricsTextfile } from './metrics-textfile';
import { notRootMessage, pathsProblem, realPrivilegeFacts } from './privilege';

const LEVEL_NAMES = Object.keys(LEVELS);


export async function main(argv: string[]): Promise<void> {
  const program = new Command('loopkeeperd')
    .description('The loopkeeper daemon: keeps loopback aliases and the managed /etc/hosts block as configured.')
    .version(version(), '-V, --version');
  addRuntimeOptions(program, 'config file or directory (repeatable)', 'unix socket of the API');
  program
    .option('--reconcile-rate <n>', 'POST /v1/reconcile requests allowed per second and in a burst', '10')
    .option(
      '--drift-poll <ms>',
      'look at the interface every MS milliseconds (os.networkInterfaces(), no process) and repair a deleted alias at once; ' +
        '0 turns the poll off (the schedule still repairs); grows by itself for very large alias sets (env LOOPKEEPER_DRIFT_POLL_MS)',
      process.env.LOOPKEEPER_DRIFT_POLL_MS || '1000',
    )
    .option('--log-level <level>', `one of ${LEVEL_NAMES.join(', ')}`, process.env.LOOPKEEPER_LOG_LEVEL ?? 'info')
    .option(
      '--metrics-textfile <path>',
      'also write the /metrics text to PATH (atomically) at start-up and after every reconcile, for node_exporter\'s ' +
        'textfile collector (e.g. /var/lib/prometheus/node-exporter/loopkeeper.prom; env LOOPKEEPER_METRICS_TEXTFILE)',
    )
    .option('--log-file <path>', 'append the log lines to PATH instead of stdout, reopened for every line (log rotation needs no signal)')
    .exitOverride();
  try {
    program.parse(argv);
  } catch (e) {
    process.exitCode = e instanceof CommanderError && e.exitCode === 0 ? 0 : 2;
    return;
  }
  const opts = program.opts<RuntimeFlags & { logLevel: string; reconcileRate: string; metricsTextfile?: string; logFile?: string; driftPoll: string }>();
  const driftPoll = Number(opts.driftPoll);
  if (!Number.isInteger(driftPoll) || (driftPoll !== 0 && (driftPoll < 100 || driftPoll > 3_600_000))) {
    process.stderr.write(`loopkeeperd: --drift-poll must be 0 (off) or a whole number of milliseconds from 100 to 3600000, not "${opts.driftPoll}"\n`);
    process.exitCode = 2;
    return;
  }
  const reconcileRate = Number(opts.reconcileRate);
  if (!Number.isFinite(reconcileRate) || reconcileRate < 1) {
    process.stderr.write(`loopkeeperd: --reconcile-rate must be a number >= 1, not "${opts.reconcileRate}"\n`);
    process.exitCode = 2;
    return;
  }
  if (!isLevel(opts.logLevel)) {
    process.stderr.write(`loopkeeperd: --log-level must be one of ${LEVEL_NAMES.join(', ')}, not "${opts.logLevel}"\n`);
    process.exitCode = 2;
    return;
  }
  // The variable serves systemd drop-ins (`Environment=`): overriding ExecStart= would repeat the
  // node and daemon paths that `loopkeeper install` writes, and go stale when they change.
  const textfileFlag = opts.metricsTextfile ?? (process.env.LOOPKEEPER_METRICS_TEXTFILE || undefined);
  const textfileCheck = textfileFlag === undefined ? null : checkTextfilePath(textfileFlag);
  if (textfileCheck !== null && !textfileCheck.ok) {
    process.stderr.write(`loopkeeperd: ${textfileCheck.error}\n`);
    process.exitCode = 2;
    return;
  }
  const runtime = resolveRuntime(opts, process.env);
  // Synchronous writes: every line is out before an exit, and the daemon logs little.
  const logger = createLogger(opts.logLevel, opts.logFile ? appendingWriter(opts.logFile) : undefined);
  if (textfileCheck?.warning) logger.warn({ path: textfileCheck.path }, textfileCheck.warning);
  const strictModes = process.getuid?.() === 0;
  const loader = new ConfigLoaderProcess();
  // [privilege] Not root: refuse to start unless it could do its whole job (src/daemon/privilege.ts).
  const facts = realPrivilegeFacts();
  if (facts.euid !== 0) {
    let why = pathsProblem(runtime, facts);
    if (why === null) {
      const loaded = await loader.load(runtime, { strictModes }).catch(() => null);
      const n = loaded?.desired?.aliases.length ?? 0;
      if (n > 0) why = `the config declares ${n} alias(es) (${loaded!.files.join(', ')})`;
    }
    if (why !== null) {
      const message = notRootMessage(facts.euid, why);
      logger.fatal({ uid: facts.euid }, message);
      process.stderr.write(`loopkeeperd: ${message}\n`);
      process.exitCode = 1;
      return;
    }
    logger.warn({ uid: facts.euid, hostsFile: runtime.hostsFile, stateDir: runtime.stateDir }, 'not root: running for a test or demo (writable hosts file and state dir, no alias desired)');
  }
  let textfile: MetricsTextfile | null = null;
  const daemon: Daemon = new Daemon({
    runtime,
    logger,
    loadConfig: () => loader.load(runtime, { strictModes }),
    stopConfigLoader: () => loader.stop(),
    prestartConfigLoader: () => loader.prestart(runtime, { strictModes }),
    // [late config] Plus the places a config may appear later (watched from their nearest existing parent).
    configWatchPaths: () => [...new Set([...configWatchPaths(runtime), ...expectedConfigPaths(runtime)])],
    reconcileRate,
    onMetrics: (event) => void textfile?.write(event),
    observe: { pollMs: driftPoll },
  });
  if (textfileCheck !== null) textfile = new MetricsTextfile(textfileCheck.path, () => daemon.renderMetrics(), logger);

  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection (kept running)'));
  const shutdown = (signal: string): void => {
    void daemon.stop(signal).then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    logger.info({ trigger: 'signal' }, 'SIGHUP: reloading the config and reconciling');
    void daemon.trigger('signal').catch(() => undefined);
  });

  try {
    await daemon.start();
  } catch (e) {
    const message = messageOf(e);
    logger.fatal({ err: e instanceof SocketInUse ? undefined : e }, message);
    process.stderr.write(`loopkeeperd: ${message}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv);
