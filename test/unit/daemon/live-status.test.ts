// The daemon's live status through its socket, with the interface behind the
// os.networkInterfaces() seam: a deleted alias shows `missing` in the next answer, an unchanged
// machine is answered from the cached document, and the drift poll asks for a 'drift' reconcile.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../../src/daemon/daemon';
import { DEFAULT_SETTINGS, type DesiredState } from '../../../src/model';
import type { Reconciler } from '../../../src/reconcile/reconciler';
import type { ReconcileReport, Trigger } from '../../../src/reconcile/types';
import { resolveRuntime } from '../../../src/runtime';
import type { StatusDocument } from '../../../src/api/types';
import { http } from '../../helpers/http-unix';
import { until } from '../../helpers/wait';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const DESIRED: DesiredState = { aliases: ['127.0.0.2'], hosts: [], settings: { ...DEFAULT_SETTINGS, schedule: '0 0 1 1 *' } };
const info = (address: string): NetworkInterfaceInfo => ({ address, family: 'IPv4', netmask: '255.255.255.255', mac: '', internal: true, cidr: null });

function report(trigger: Trigger, present: boolean): ReconcileReport {
  return {
    at: new Date().toISOString(),
    durationMs: 0,
    trigger,
    dryRun: false,
    result: 'ok',
    changes: present ? [] : [{ kind: 'alias', action: 'add', address: '127.0.0.2' }],
    aliases: [{ address: '127.0.0.2', state: 'present', owned: true, desired: true }],
    hosts: [],
    aliasesInSync: { status: 'True', reason: 'InSync', message: '1 present' },
    hostsInSync: { status: 'True', reason: 'InSync', message: '0 names' },
    problems: [],
    spawned: present ? 0 : 1,
    hostsWritten: false,
    hostsDiff: [],
  };
}

describe('live status of the daemon', () => {
  let dir: string;
  let daemon: Daemon;
  let lo: Set<string>;
  const triggers: Trigger[] = [];

  function start(pollMs: number): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'lk-live-'));
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    lo = new Set(['127.0.0.1']);
    triggers.length = 0;
    const reconciler: Reconciler = {
      async reconcile(_d, opts) {
        triggers.push(opts.trigger);
        const was = lo.has('127.0.0.2');
        lo.add('127.0.0.2'); // what the real one does: put it back
        return report(opts.trigger, was);
      },
      async down() {
        throw new Error('not used');
      },
    };
    daemon = new Daemon({
      runtime: resolveRuntime({ socket: join(dir, 'lk.sock'), stateDir: dir, hostsFile: join(dir, 'hosts'), config: [join(dir, 'c.yaml')] }, {}, 'linux'),
      logger: silent,
      loadConfig: async () => ({ files: [join(dir, 'c.yaml')], desired: DESIRED, diagnostics: [] }),
      configWatchPaths: () => [],
      reconciler,
      watch: false,
      observe: { networkInterfaces: () => ({ lo: [...lo].map(info) }), pollMs },
    });
    return daemon.start();
  }

  afterEach(async () => {
    await daemon.stop('test');
    rmSync(dir, { recursive: true, force: true });
  });

  const status = async (): Promise<StatusDocument> => (await http(join(dir, 'lk.sock'), 'GET', '/v1/status')).json as StatusDocument;

  it('poll off: a deleted alias is missing in the next answer and present again once it is back; cached while unchanged', async () => {
    await start(0);
    const serialized = () => (daemon as unknown as { statusCache: { serializations: number } }).statusCache.serializations;
    const a = await status();
    const once = serialized();
    await status();
    await status();
    expect(serialized()).toBe(once); // looked at each time, serialised once: nothing changed
    expect(a.aliases[0]).toMatchObject({ address: '127.0.0.2', state: 'present' });
    expect(a.live).toMatchObject({ aliasesMissing: 0 });
    lo.delete('127.0.0.2');
    const b = await status();
    expect(b.aliases[0]).toMatchObject({ state: 'missing' });
    expect(b.summary.aliases.byState).toEqual({ missing: 1 });
    expect(b.conditions.map((c) => c.reason)).toEqual(['AliasesNotInSync', 'AliasesMissing', 'InSync']);
    expect(b.live).toMatchObject({ aliasesMissing: 1 });
    // Nothing repairs it without the poll (the schedule is yearly): still missing, and the
    // document for it was serialised once.
    const afterDelete = serialized();
    expect(afterDelete).toBe(once + 1);
    expect((await status()).aliases[0]!.state).toBe('missing');
    expect(serialized()).toBe(afterDelete);
    expect(triggers).toEqual(['startup']);
    lo.add('127.0.0.2');
    const c = await status();
    expect(c.aliases[0]!.state).toBe('present');
    expect(c.conditions[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'Converged' });
  });

  it('poll on: the deleted alias is put back by a drift reconcile, counted as a repair', async () => {
    await start(100);
    lo.delete('127.0.0.2');
    const s = await until('the drift repair', async () => {
      const x = await status();
      return x.drift.repairs === 1 && x.aliases[0]!.state === 'present' ? x : undefined;
    });
    expect(s.lastReconcile!.trigger).toBe('drift');
    expect(triggers).toEqual(['startup', 'drift']);
    expect(daemon.pollStats()!.triggers).toBe(1);
  });
});
