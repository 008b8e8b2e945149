// The daemon under a pause (STATE_DIR/paused): every trigger reconciles as a look only.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../../src/daemon/daemon';
import { DEFAULT_SETTINGS, type DesiredState } from '../../../src/model';
import type { Reconciler } from '../../../src/reconcile/reconciler';
import type { ReconcileReport, Trigger } from '../../../src/reconcile/types';
import { resolveRuntime } from '../../../src/runtime';
import { clearPause, writePause } from '../../../src/state/pause';
import { http } from '../../helpers/http-unix';

const desired: DesiredState = { aliases: ['127.0.0.2'], hosts: [], settings: { ...DEFAULT_SETTINGS, schedule: '0 0 1 1 *' } };

function report(trigger: Trigger, dryRun: boolean, state: 'present' | 'missing'): ReconcileReport {
  return {
    at: new Date().toISOString(),
    durationMs: 1,
    trigger,
    dryRun,
    result: 'ok',
    changes: state === 'missing' ? [{ kind: 'alias', action: 'add', address: '127.0.0.2' }] : [],
    aliases: [{ address: '127.0.0.2', state, owned: true, desired: true }],
    hosts: [],
    aliasesInSync: dryRun && state === 'missing' ? { status: 'False', reason: 'ChangesPending', message: '1 to add' } : { status: 'True', reason: 'InSync', message: '1 present' },
    hostsInSync: { status: 'True', reason: 'InSync', message: '0 names' },
    problems: [],
    spawned: 0,
    hostsWritten: false,
    hostsDiff: [],
  };
}

describe('Daemon while paused', () => {
  let dir: string;
  let daemon: Daemon;
  const calls: { trigger: Trigger; dryRun: boolean }[] = [];
  let onMachine: 'present' | 'missing' = 'missing';
  const infos: string[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lk-daemon-pause-'));
    calls.length = 0;
    infos.length = 0;
    onMachine = 'missing';
    const reconciler: Reconciler = {
      async reconcile(_d, opts) {
        calls.push({ trigger: opts.trigger, dryRun: opts.dryRun ?? false });
        const r = report(opts.trigger, opts.dryRun ?? false, onMachine);
        if (!opts.dryRun) onMachine = 'present';
        return r;
      },
      async down() {
        throw new Error('not used');
      },
    };
    daemon = new Daemon({
      runtime: resolveRuntime({ socket: join(dir, 'lk.sock'), stateDir: join(dir, 'state'), hostsFile: join(dir, 'hosts'), config: [join(dir, 'c.yaml')] }, {}, 'linux'),
      logger: { debug: () => undefined, info: (_o, m) => void infos.push(m), warn: () => undefined, error: () => undefined },
      loadConfig: async () => ({ files: [join(dir, 'c.yaml')], desired, diagnostics: [] }),
      configWatchPaths: () => [],
      reconciler,
      watch: false,
    });
    writePause(join(dir, 'state'), { at: '2026-12-02T03:00:00.000Z', by: 0, user: 'alice' });
  });

  afterEach(async () => {
    await daemon.stop('test');
    rmSync(dir, { recursive: true, force: true });
  });

  it('no trigger changes anything; status, health and conditions say Paused and name `loopkeeper up`', async () => {
    await daemon.start();
    for (const t of ['schedule', 'hosts', 'config', 'signal', 'api', 'cli'] as Trigger[]) {
      const r = await daemon.trigger(t);
      expect(r).toMatchObject({ result: 'degraded', changes: [], aliasesInSync: { status: 'False', reason: 'Paused' } });
    }
    expect(calls.every((c) => c.dryRun)).toBe(true);
    expect(calls.map((c) => c.trigger)).toEqual(['startup', 'schedule', 'hosts', 'config', 'signal', 'api', 'cli']);
    expect(infos.filter((m) => m.startsWith('paused:'))).toEqual(['paused: nothing is added or repaired until `loopkeeper up`']); // once, when it began
    const sock = join(dir, 'lk.sock');
    const s = (await http(sock, 'GET', '/v1/status')).json;
    const message = 'paused by `loopkeeper down` since 2026-12-02T03:00:00.000Z by uid 0 (alice): nothing is added or repaired until `loopkeeper up`';
    expect(s.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'False', reason: 'Paused', message }),
      expect.objectContaining({ type: 'AliasesInSync', status: 'False', reason: 'Paused', message }),
      expect.objectContaining({ type: 'HostsInSync', status: 'False', reason: 'Paused', message }),
    ]);
    expect(s.paused).toEqual({ at: '2026-12-02T03:00:00.000Z', by: 0, user: 'alice', problem: null });
    expect(s.aliases).toEqual([expect.objectContaining({ address: '127.0.0.2', state: 'missing' })]); // observed, not repaired
    expect(s.lastReconcile.problems[0]).toBe(message);
    expect((await http(sock, 'GET', '/v1/health')).status).toBe(503);
  });

  it('a broken record still pauses, and status says what is wrong with it', async () => {
    writeFileSync(join(dir, 'state', 'paused'), 'garbage');
    await daemon.start();
    expect(calls).toEqual([{ trigger: 'startup', dryRun: true }]);
    const s = daemon.status();
    expect(s.paused).toMatchObject({ at: null, by: null, problem: expect.stringMatching(/is not valid JSON; the pause holds anyway/) });
    expect(daemon.health().healthy).toBe(false);
  });

  it('once the record is gone the next reconcile enforces again; the restore is not counted as drift', async () => {
    await daemon.start();
    clearPause(join(dir, 'state'));
    const r = await daemon.trigger('api');
    expect(r.result).toBe('ok');
    expect(calls[calls.length - 1]).toEqual({ trigger: 'api', dryRun: false });
    expect(infos).toContain('pause ended: enforcing again');
    const s = daemon.status();
    expect(s.paused).toBeNull();
    expect(s.conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });
    expect(s.drift.repairs).toBe(0);
    expect(daemon.health().healthy).toBe(true);
  });
});
