// The daemon stops its own config-loader child on shutdown (the unit uses KillMode=mixed: systemd
// signals only the daemon), and a stop during a load neither hangs nor marks the config invalid.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigLoaderProcess } from '../../../src/daemon/config-process';
import { Daemon } from '../../../src/daemon/daemon';
import { DEFAULT_SETTINGS } from '../../../src/model';
import type { Reconciler } from '../../../src/reconcile/reconciler';
import { resolveRuntime } from '../../../src/runtime';
import { convergedReport } from '../../helpers/reports';

/** A loader that reports it started (a file), then never answers; on SIGTERM it logs and exits, or ignores it. */
function stuckChild(dir: string, onTerm: 'exit' | 'ignore'): string {
  const script = join(dir, `stuck-${onTerm}.js`);
  writeFileSync(
    script,
    `const fs = require('node:fs');
process.on('SIGTERM', () => { fs.appendFileSync(${JSON.stringify(join(dir, 'log'))}, 'SIGTERM\\n'); ${onTerm === 'exit' ? 'process.exit(0);' : ''} });
fs.appendFileSync(${JSON.stringify(join(dir, 'log'))}, 'started ' + process.pid + '\\n');
setInterval(() => {}, 1 << 30);
`,
  );
  return script;
}

/** Resolves once the child wrote its first line (it has its SIGTERM handler by then). */
async function started(dir: string): Promise<number> {
  for (;;) {
    const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '';
    const m = /started (\d+)/.exec(log);
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ConfigLoaderProcess.stop', () => {
  let dir: string;
  const runtime = resolveRuntime({ config: ['/nonexistent.yaml'] }, {}, 'linux');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lk-loader-stop-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sends SIGTERM to a running loader and resolves once it has exited; the load rejects', async () => {
    const loader = new ConfigLoaderProcess({ childScript: stuckChild(dir, 'exit') });
    const load = loader.load(runtime, { strictModes: false });
    const settled = load.catch((e: Error) => e);
    const pid = await started(dir);
    expect(loader.pids).toEqual([pid]);
    expect(await loader.stop(5000)).toEqual([pid]);
    expect(alive(pid)).toBe(false);
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe(`started ${pid}\nSIGTERM\n`);
    expect(await settled).toBeInstanceOf(Error);
    expect(loader.pids).toEqual([]);
  });

  it('escalates to SIGKILL for a loader that ignores SIGTERM', async () => {
    const loader = new ConfigLoaderProcess({ childScript: stuckChild(dir, 'ignore') });
    const settled = loader.load(runtime, { strictModes: false }).catch((e: Error) => e.message);
    const pid = await started(dir);
    // The child never exits on SIGTERM, so only the escalation can end it (no timing is asserted).
    expect(await loader.stop(50)).toEqual([pid]);
    expect(alive(pid)).toBe(false);
    expect(await settled).toMatch(/config loader failed \(SIGKILL\)/);
  });

  it('refuses to start a loader once stopped, and stopping with none running is immediate', async () => {
    const loader = new ConfigLoaderProcess({ childScript: stuckChild(dir, 'exit') });
    expect(await loader.stop()).toEqual([]);
    await expect(loader.load(runtime, { strictModes: false })).rejects.toThrow(/loopkeeperd is stopping/);
  });
});

describe('Daemon.stop with a config load in progress', () => {
  it('stops the loader itself, logs it, finishes the reconcile and keeps the last config status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-daemon-stop-'));
    try {
      const loader = new ConfigLoaderProcess({ childScript: stuckChild(dir, 'exit') });
      const logged: Array<{ obj: object; msg: string }> = [];
      const log = (obj: object, msg: string) => void logged.push({ obj, msg });
      let loads = 0;
      const desired = { aliases: ['127.0.0.2'], hosts: [], settings: { ...DEFAULT_SETTINGS, schedule: '0 0 1 1 *' } };
      const reconciler: Reconciler = {
        async reconcile(_d, opts) {
          return convergedReport(opts.trigger);
        },
        async down() {
          throw new Error('not used');
        },
      };
      const runtime = resolveRuntime({ socket: join(dir, 'lk.sock'), stateDir: dir, hostsFile: join(dir, 'hosts'), config: [join(dir, 'c.yaml')] }, {}, 'linux');
      const daemon = new Daemon({
        runtime,
        logger: { debug: log, info: log, warn: log, error: log },
        // The first load answers at once; the second (a SIGHUP) goes to the stuck child.
        loadConfig: () => (loads++ === 0 ? Promise.resolve({ files: [join(dir, 'c.yaml')], desired, diagnostics: [] }) : loader.load(runtime, { strictModes: false })),
        stopConfigLoader: () => loader.stop(5000),
        configWatchPaths: () => [],
        reconciler,
        watch: false,
      });
      await daemon.start();
      const reload = daemon.trigger('signal').catch(() => undefined);
      const pid = await started(dir);
      await daemon.stop('SIGTERM');
      await reload;
      expect(alive(pid)).toBe(false);
      expect(logged).toContainEqual({ obj: { pids: [pid] }, msg: 'stopped the config loader that was running' });
      expect(logged.filter((l) => l.msg === 'config invalid; nothing from it is applied')).toEqual([]);
      expect((daemon.status() as { config: { valid: boolean } }).config.valid).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
