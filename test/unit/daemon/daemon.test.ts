import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedConfig } from '../../../src/config';
import { Daemon } from '../../../src/daemon/daemon';
import { DEFAULT_SETTINGS, type DesiredState } from '../../../src/model';
import type { Reconciler } from '../../../src/reconcile/reconciler';
import type { ReconcileReport, Trigger } from '../../../src/reconcile/types';
import { resolveRuntime } from '../../../src/runtime';
import { http } from '../../helpers/http-unix';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function desired(aliases: string[]): DesiredState {
  return { aliases, hosts: [{ name: 'api.test', addresses: aliases.slice(0, 1) }], settings: { ...DEFAULT_SETTINGS, schedule: '0 0 1 1 *' } };
}

function report(trigger: Trigger, changes: number, result: ReconcileReport['result'] = 'ok'): ReconcileReport {
  return {
    at: new Date().toISOString(),
    durationMs: 1,
    trigger,
    dryRun: false,
    result,
    changes: Array.from({ length: changes }, (_, i) => ({ kind: 'alias' as const, action: 'add' as const, address: `127.0.0.${i + 2}` })),
    aliases: [{ address: '127.0.0.2', state: 'present', owned: true, desired: true }],
    hosts: [{ name: 'api.test', addresses: ['127.0.0.2'], state: 'present', detail: 'in the managed block' }],
    aliasesInSync: result === 'ok' ? { status: 'True', reason: 'InSync', message: '1 present' } : { status: 'False', reason: 'AliasesFailed', message: 'add failed' },
    hostsInSync: { status: 'True', reason: 'InSync', message: '1 name' },
    problems: result === 'ok' ? [] : ['add failed'],
    spawned: changes > 0 ? 1 : 0,
    hostsWritten: false,
    hostsDiff: [],
  };
}

describe('Daemon', () => {
  let dir: string;
  let daemon: Daemon;
  let config: LoadedConfig;
  let next: { changes: number; result: ReconcileReport['result'] };
  const seen: DesiredState[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lk-daemon-'));
    config = { files: ['/x/loopkeeper.yaml'], desired: desired(['127.0.0.2']), diagnostics: [] };
    next = { changes: 1, result: 'ok' };
    seen.length = 0;
    const reconciler: Reconciler = {
      async reconcile(d, opts) {
        seen.push(d);
        return report(opts.trigger, next.changes, next.result);
      },
      async down() {
        throw new Error('not used');
      },
    };
    daemon = new Daemon({
      runtime: resolveRuntime({ socket: join(dir, 'lk.sock'), stateDir: dir, hostsFile: join(dir, 'hosts'), config: [join(dir, 'c.yaml')] }, {}, 'linux'),
      logger: silent,
      loadConfig: async () => config,
      configWatchPaths: () => [],
      reconciler,
      watch: false,
    });
  });

  afterEach(async () => {
    await daemon.stop('test');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconciles at start and reports Ready with conditions over the socket', async () => {
    await daemon.start();
    const sock = join(dir, 'lk.sock');
    const s = (await http(sock, 'GET', '/v1/status')).json;
    expect(s.daemon.pid).toBe(process.pid);
    expect(s.config).toMatchObject({ valid: true, files: ['/x/loopkeeper.yaml'] });
    expect(s.lastReconcile).toMatchObject({ trigger: 'startup', result: 'ok' });
    expect(s.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`)).toEqual([
      'Ready=True',
      'AliasesInSync=True',
      'HostsInSync=True',
    ]);
    expect(s.aliases[0]).toMatchObject({ address: '127.0.0.2', state: 'present', owned: true });
    expect(s.changes).toEqual([]);
    expect((await http(sock, 'GET', '/v1/health')).status).toBe(200);
  });

  it('keeps enforcing the last valid config when the config turns invalid, and says why', async () => {
    await daemon.start();
    config = {
      files: ['/x/loopkeeper.yaml'],
      desired: null,
      diagnostics: [{ file: '/x/loopkeeper.yaml', line: 3, col: 5, severity: 'error', message: 'alias 10.0.0.1 is not a loopback address' }],
    };
    const r = await daemon.trigger('config');
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
    expect(r.config.valid).toBe(false);
    expect(r.config.error).toMatch(/loopkeeper.yaml:3:5: alias 10.0.0.1.*still enforcing the last valid config/);
    const s = daemon.status() as { conditions: { type: string; status: string; reason: string }[] };
    expect(s.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'ConfigInvalid' });
  });

  it('enforces nothing and reports ConfigInvalid when no valid config was ever loaded', async () => {
    config = { files: [], desired: null, diagnostics: [{ file: '/x/c.yaml', line: 1, col: 1, severity: 'error', message: 'empty' }] };
    await daemon.start();
    expect(seen).toHaveLength(0);
    const h = daemon.health();
    expect(h.healthy).toBe(false);
    const s = daemon.status() as { lastReconcile: { result: string; problems: string[] } };
    expect(s.lastReconcile.result).toBe('error');
    expect(s.lastReconcile.problems[0]).toMatch(/no valid config/);
  });

  it('counts drift repairs: changes needed while the desired state did not change', async () => {
    await daemon.start(); // first apply: not a repair
    next = { changes: 0, result: 'ok' };
    await daemon.trigger('schedule');
    next = { changes: 2, result: 'ok' };
    await daemon.trigger('hosts');
    const s = daemon.status() as { drift: { repairs: number; lastAt: string | null } };
    expect(s.drift.repairs).toBe(1);
    expect(s.drift.lastAt).not.toBeNull();
    config = { ...config, desired: desired(['127.0.0.2', '127.0.0.3']) };
    await daemon.trigger('config'); // a config change is not drift
    expect((daemon.status() as { drift: { repairs: number } }).drift.repairs).toBe(1);
    expect(daemon.renderMetrics()).toContain('loopkeeper_drift_repairs_total 1');
  });

  it('reports not-converged reconciles as unhealthy, with the failing part as Ready reason', async () => {
    next = { changes: 0, result: 'degraded' };
    await daemon.start();
    expect(daemon.health().healthy).toBe(false);
    const s = daemon.status() as { conditions: { reason: string }[] };
    expect(s.conditions[0]!.reason).toBe('AliasesNotInSync');
    expect(daemon.renderMetrics()).toContain('loopkeeper_reconcile_errors_total 1');
  });

  it('serves a POST /v1/reconcile with the result of a run that started after it', async () => {
    await daemon.start();
    const sock = join(dir, 'lk.sock');
    const results = await Promise.all(Array.from({ length: 10 }, () => http(sock, 'POST', '/v1/reconcile')));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results[0]!.json.trigger).toBe('api');
    expect(results[0]!.json.conditions).toHaveLength(3);
    expect(daemon.loop.maxActive).toBe(1);
  });

  it('an edit saved while the config loader runs is loaded by the next trigger of any kind', async () => {
    const { writeFileSync, utimesSync } = require('node:fs') as typeof import('node:fs');
    const file = join(dir, 'edited.yaml');
    writeFileSync(file, 'version: 1\n');
    let loads = 0;
    let editDuringLoad = false;
    const d = new Daemon({
      runtime: resolveRuntime({ socket: join(dir, 'lk2.sock'), stateDir: dir, hostsFile: join(dir, 'hosts'), config: [file] }, {}, 'linux'),
      logger: silent,
      loadConfig: async () => {
        loads++;
        if (editDuringLoad) {
          editDuringLoad = false;
          // The save lands after the loader read the file (a later mtime than the one it saw).
          utimesSync(file, new Date(), new Date(Date.now() + 60_000));
        }
        return { files: [file], desired: desired(['127.0.0.2']), diagnostics: [] };
      },
      configWatchPaths: () => [file],
      reconciler: { reconcile: async (_d, o) => report(o.trigger, 0), down: async () => report('cli', 0) },
      watch: false,
    });
    try {
      await d.start();
      expect(loads).toBe(1);
      await d.trigger('api');
      expect(loads).toBe(1); // nothing moved: an API reconcile does not re-read the config
      editDuringLoad = true;
      await d.trigger('signal'); // a deliberate reload, during which the file is saved again
      expect(loads).toBe(2);
      await d.trigger('api');
      expect(loads).toBe(3); // the edit made during load 2 is not taken as already seen
      await d.trigger('api');
      expect(loads).toBe(3);
    } finally {
      await d.stop('test');
    }
  });

  it("the daemon's own hosts write beside the config loads no config; a user's hosts edit is still reconciled; a config-relevant change there still reloads", async () => {
    const { chmodSync, mkdirSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
    const { configWatchPaths } = require('../../../src/config') as typeof import('../../../src/config');
    const { writeFileAtomic } = require('../../../src/fs/atomic') as typeof import('../../../src/fs/atomic');
    // Config and hosts file in one directory, as with /etc or the benchmark's temp dir.
    const home = join(dir, 'etc');
    mkdirSync(home, { mode: 0o755 });
    const file = join(home, 'loopkeeper.yaml');
    const hosts = join(home, 'hosts');
    writeFileSync(file, 'version: 1\n');
    writeFileSync(hosts, '127.0.0.1 localhost\n');
    const runtime = resolveRuntime({ socket: join(dir, 'lk3.sock'), stateDir: join(dir, 'state'), hostsFile: hosts, config: [file] }, {}, 'linux');
    let loads = 0;
    const triggers: Trigger[] = [];
    const d = new Daemon({
      runtime,
      logger: silent,
      loadConfig: async () => {
        loads++;
        return { files: [file], desired: desired(['127.0.0.2']), diagnostics: [] };
      },
      configWatchPaths: () => configWatchPaths(runtime),
      reconciler: {
        reconcile: async (_d, o) => {
          triggers.push(o.trigger);
          return report(o.trigger, 0);
        },
        down: async () => report('cli', 0),
      },
      watch: false,
    });
    try {
      await d.start();
      expect(configWatchPaths(runtime)).toEqual([file, home]); // the directory is part of the fingerprint
      expect(loads).toBe(1);
      // What the hosts writer does: a dot-named temp file beside it, renamed over it (the directory's mtime moves).
      const { utimesSync, statSync } = require('node:fs') as typeof import('node:fs');
      const before = statSync(home).mtimeMs;
      writeFileAtomic(hosts, '127.0.0.1 localhost\n# BEGIN loopkeeper\n127.0.0.2 api.test\n# END loopkeeper\n');
      utimesSync(home, new Date(), new Date(before + 5000)); // whatever the clock's resolution
      await d.trigger('hosts');
      expect(loads).toBe(1); // no config load (in the service: no config child process)
      // A user's edit of the hosts file: a hosts trigger, reconciled (repaired) as ever, still without a config load.
      writeFileSync(hosts, '127.0.0.1 localhost\n');
      await d.trigger('hosts');
      expect(triggers.filter((t) => t === 'hosts')).toHaveLength(2);
      expect(loads).toBe(1);
      // Config-relevant changes in that directory still reload on any trigger: a conf.d appearing, a new file, a chmod.
      mkdirSync(join(home, 'conf.d'));
      await d.trigger('hosts');
      expect(loads).toBe(2);
      writeFileSync(join(home, 'other.yaml'), 'version: 1\n');
      await d.trigger('api');
      expect(loads).toBe(3);
      chmodSync(home, 0o775);
      await d.trigger('schedule');
      expect(loads).toBe(4);
      await d.trigger('schedule');
      expect(loads).toBe(4);
    } finally {
      await d.stop('test');
    }
  });
});
