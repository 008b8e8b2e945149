import { mkdtempSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, type DesiredState } from '../../../src/model';
import { createReconciler } from '../../../src/reconcile/reconciler';
import { resolveRuntime } from '../../../src/runtime';
import { fakePlatform } from '../../helpers/fake-platform';

const ORIGINAL = '127.0.0.1\tlocalhost\n::1 localhost\n';

function setup(hostsContent = ORIGINAL, initial?: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'lk-rec-'));
  const hostsFile = join(dir, 'hosts');
  writeFileSync(hostsFile, hostsContent);
  const runtime = resolveRuntime({ hostsFile, stateDir: join(dir, 'state'), socket: join(dir, 'sock') }, {}, 'linux');
  const platform = fakePlatform(initial);
  let clock = 1_000_000;
  const reconciler = createReconciler(runtime, { platform, now: () => clock });
  return { dir, hostsFile, runtime, platform, reconciler, tick: (ms: number) => (clock += ms) };
}

function desired(aliases: string[], hosts: Record<string, string[]>, settings: Partial<DesiredState['settings']> = {}): DesiredState {
  return {
    aliases,
    hosts: Object.entries(hosts).map(([name, addresses]) => ({ name, addresses })),
    settings: { ...DEFAULT_SETTINGS, ...settings },
  };
}

const WANT = desired(['127.0.0.2', '127.0.0.3'], { 'api.myteam.test': ['127.0.0.2'], 'web.myteam.test': ['127.0.0.3'] });

describe('reconciler', () => {
  it('converges, then a second reconcile changes nothing, requests nothing and writes nothing', async () => {
    const t = setup();
    const first = await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    expect(first.result).toBe('ok');
    expect(first.changes).toEqual(
      expect.arrayContaining([
        { kind: 'alias', action: 'add', address: '127.0.0.2' },
        { kind: 'alias', action: 'add', address: '127.0.0.3' },
      ]),
    );
    expect(first.hostsWritten).toBe(true);
    expect(readFileSync(t.hostsFile, 'utf8')).toContain('127.0.0.2\tapi.myteam.test');
    expect(first.aliases.every((a) => a.state === 'present' && a.owned)).toBe(true);
    expect(first.hosts.map((h) => h.state)).toEqual(['present', 'present']);

    const before = statSync(t.hostsFile);
    const requests = t.platform.requests.length;
    const second = await t.reconciler.reconcile(WANT, { trigger: 'schedule' });
    expect(second.changes).toEqual([]);
    expect(second.result).toBe('ok');
    expect(second.hostsWritten).toBe(false);
    expect(t.platform.requests.length).toBe(requests);
    const after = statSync(t.hostsFile);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect(second.aliasesInSync).toMatchObject({ status: 'True', reason: 'InSync' });
    expect(second.hostsInSync).toMatchObject({ status: 'True', reason: 'InSync' });
  });

  it('plans without touching anything (dry run)', async () => {
    const t = setup();
    const plan = await t.reconciler.reconcile(WANT, { trigger: 'cli', dryRun: true });
    expect(plan.dryRun).toBe(true);
    expect(plan.changes.length).toBe(4);
    expect(plan.aliasesInSync.reason).toBe('ChangesPending');
    expect(plan.hostsInSync.reason).toBe('ChangesPending');
    expect(plan.result).toBe('ok');
    expect(t.platform.requests).toEqual([]);
    expect(readFileSync(t.hostsFile, 'utf8')).toBe(ORIGINAL);
  });

  it('never removes an alias that was there before, even when listed and then unlisted', async () => {
    const t = setup(ORIGINAL, ['127.0.0.1', '::1', '127.0.0.9']);
    await t.reconciler.reconcile(desired(['127.0.0.9', '127.0.0.2'], {}), { trigger: 'cli' });
    const r = await t.reconciler.reconcile(desired([], {}), { trigger: 'cli' });
    expect(r.changes).toEqual([{ kind: 'alias', action: 'remove', address: '127.0.0.2' }]);
    expect(t.platform.addresses.has('127.0.0.9')).toBe(true);
    const down = await t.reconciler.down();
    expect(down.result).toBe('ok');
    expect(t.platform.addresses.has('127.0.0.9')).toBe(true);
  });

  it('with prune off keeps owned aliases and hosts that are no longer desired', async () => {
    const t = setup();
    await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    const r = await t.reconciler.reconcile(
      desired(['127.0.0.2'], { 'api.myteam.test': ['127.0.0.2'] }, { prune: false }),
      { trigger: 'cli' },
    );
    expect(r.changes).toEqual([]);
    expect(t.platform.addresses.has('127.0.0.3')).toBe(true);
    expect(readFileSync(t.hostsFile, 'utf8')).toContain('web.myteam.test');
  });

  it('down removes owned aliases and the block, giving back the original bytes', async () => {
    const t = setup('# no final newline\n127.0.0.1 localhost');
    await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    const r = await t.reconciler.down();
    expect(r.result).toBe('ok');
    expect(t.platform.addresses.has('127.0.0.2')).toBe(false);
    expect(readFileSync(t.hostsFile, 'utf8')).toBe('# no final newline\n127.0.0.1 localhost');
    expect(r.changes).toEqual(expect.arrayContaining([{ kind: 'alias', action: 'remove', address: '127.0.0.3' }]));
  });

  it('refuses a damaged block: nothing written, line numbers reported, degraded', async () => {
    const damaged = `${ORIGINAL}# BEGIN loopkeeper (managed, edits here are overwritten)\n127.0.0.2 x.test\n`;
    const t = setup(damaged);
    const r = await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    expect(r.result).toBe('degraded');
    expect(r.hostsInSync).toMatchObject({ status: 'False', reason: 'BlockDamaged' });
    expect(r.problems.join('\n')).toMatch(/line[s]? 3/);
    expect(readFileSync(t.hostsFile, 'utf8')).toBe(damaged);
    // aliases are still reconciled: a damaged hosts file does not block the other half
    expect(t.platform.addresses.has('127.0.0.2')).toBe(true);
  });

  it('reports a failed alias and the real state, and stays degraded until it works', async () => {
    const t = setup();
    t.platform.failing.add('127.0.0.3');
    const r = await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    expect(r.result).toBe('degraded');
    expect(r.aliasesInSync).toMatchObject({ status: 'False', reason: 'AliasesFailed' });
    const failed = r.aliases.find((a) => a.address === '127.0.0.3');
    expect(failed?.state).not.toBe('present');
    expect(r.aliases.find((a) => a.address === '127.0.0.2')?.state).toBe('present');
  });

  it('stops fighting another writer after more than 10 repairs in 5 minutes, until asked again', async () => {
    const t = setup();
    await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    let last = await t.reconciler.reconcile(WANT, { trigger: 'schedule' });
    for (let i = 0; i < 11; i++) {
      writeFileSync(t.hostsFile, ORIGINAL); // the other program wipes our block
      t.tick(1000);
      last = await t.reconciler.reconcile(WANT, { trigger: 'hosts' });
    }
    expect(last.hostsInSync).toMatchObject({ status: 'False', reason: 'Trampled' });
    expect(last.hostsInSync.message).toMatch(/removed again/);
    writeFileSync(t.hostsFile, ORIGINAL);
    const idle = await t.reconciler.reconcile(WANT, { trigger: 'schedule' });
    expect(idle.hostsWritten).toBe(false);
    expect(readFileSync(t.hostsFile, 'utf8')).toBe(ORIGINAL);
    expect(idle.hostsInSync.reason).toBe('Trampled');
    const asked = await t.reconciler.reconcile(WANT, { trigger: 'api' });
    expect(asked.hostsWritten).toBe(true);
    expect(asked.hostsInSync.status).toBe('True');
  });

  it('reports a hosts file it cannot write without throwing', async () => {
    const t = setup();
    const runtime = { ...t.runtime, hostsFile: join(t.dir, 'missing-dir', 'hosts') };
    const r = await createReconciler(runtime, { platform: t.platform }).reconcile(WANT, { trigger: 'cli' });
    expect(r.result).toBe('degraded');
    expect(r.hostsInSync.status).toBe('False');
    expect(r.problems.join('\n')).toContain('missing-dir');
  });

  it('keeps lines another program appends next to the block', async () => {
    const t = setup();
    await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    appendFileSync(t.hostsFile, '10.0.0.5 other.test\n');
    const r = await t.reconciler.reconcile(desired(['127.0.0.2'], { 'api.myteam.test': ['127.0.0.2'] }), { trigger: 'config' });
    expect(r.hostsWritten).toBe(true);
    expect(readFileSync(t.hostsFile, 'utf8')).toContain('10.0.0.5 other.test\n');
  });
});
