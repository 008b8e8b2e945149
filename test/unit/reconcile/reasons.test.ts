// Every condition reason comes from where the fact is known — the interface look, the ledger, the
// hosts writer's errno and outcome — never from the words of a message. One test per reason: the
// fact is produced, and the message text is made to say something misleading where it could be.
import { mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, type DesiredState } from '../../../src/model';
import { createReconciler } from '../../../src/reconcile/reconciler';
import { interfaceProblem, planAliases } from '../../../src/reconcile/aliases';
import { resolveRuntime } from '../../../src/runtime';
import { applyHosts, notWrittenReason } from '../../../src/hosts/writer';
import { HostsWriteError } from '../../../src/hosts';
import type { InterfaceState } from '../../../src/platform/types';
import { fakePlatform } from '../../helpers/fake-platform';
import { faultyFs, type Fault } from '../../helpers/faulty-fs';
import { TEMP_PREFIX } from '../../../src/fs/atomic';
import { BEGIN_MARKER } from '../../../src/hosts/markers';

const WANT: DesiredState = {
  aliases: ['127.0.0.2'],
  hosts: [{ name: 'api.myteam.test', addresses: ['127.0.0.2'] }],
  settings: DEFAULT_SETTINGS,
};

function setup(opts: { faults?: Fault[]; name?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lk-reasons-'));
  const hostsFile = join(dir, 'hosts');
  writeFileSync(hostsFile, '127.0.0.1 localhost\n');
  const runtime = resolveRuntime({ hostsFile, stateDir: join(dir, 'state'), socket: join(dir, 'sock') }, {}, 'linux');
  const platform = fakePlatform(undefined, opts.name);
  const reconciler = createReconciler(runtime, { platform, fs: opts.faults ? faultyFs(opts.faults) : undefined });
  return { dir, hostsFile, platform, reconciler, state: join(dir, 'state') };
}

describe('alias reasons', () => {
  const look = (over: Partial<InterfaceState>): InterfaceState => ({ name: 'lo', exists: true, up: true, addresses: ['127.0.0.1'], ...over });

  it('InterfaceMissing and InterfaceDown come from the look itself (exists / up), with their words', () => {
    expect(interfaceProblem(look({ exists: false }))).toMatchObject({ reason: 'InterfaceMissing', message: expect.stringContaining('does not exist') });
    expect(interfaceProblem(look({ up: false }))).toMatchObject({ reason: 'InterfaceDown' });
    expect(interfaceProblem(look({ up: false }), 'darwin')!.message).toContain('sudo ifconfig lo up');
    expect(interfaceProblem(look({}))).toBeNull();
    // An interface whose NAME contains "down" or "not found" is neither down nor missing.
    const odd = look({ name: 'down-not-found0' });
    expect(interfaceProblem(odd)).toBeNull();
    expect(planAliases(odd, ['127.0.0.2'], { version: 1, owned: [] } as never, { mode: 'reconcile', prune: true }).blocked).toBeNull();
  });

  it('InterfaceDown through the reconciler, even when the interface name says "missing"', async () => {
    const t = setup({ name: 'missing0' });
    t.platform.up = false;
    const r = await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    expect(r.aliasesInSync).toMatchObject({ status: 'False', reason: 'InterfaceDown' });
  });

  it('InterfaceMissing through the reconciler, even when the interface name says "down"', async () => {
    const t = setup({ name: 'down0' });
    t.platform.aliases.observe = async () => ({ name: 'down0', exists: false, up: null, addresses: [] });
    const r = await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    expect(r.aliasesInSync).toMatchObject({ status: 'False', reason: 'InterfaceMissing' });
  });

  it('AliasesFailed: a change the tool refused, whatever the tool said ("interface down" included)', async () => {
    const t = setup();
    t.platform.aliases.change = async (req) => ({
      results: req.add.map((address) => ({ address, action: 'add' as const, ok: false, error: 'RTNETLINK: interface is down, device not found' })),
      after: { name: 'lo', exists: true, up: true, addresses: ['127.0.0.1'] },
    });
    const r = await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    expect(r.aliasesInSync).toMatchObject({ status: 'False', reason: 'AliasesFailed' });
  });

  it('AliasesError: the alias part threw', async () => {
    const t = setup();
    t.platform.aliases.observe = async () => {
      throw new Error('ip: not found; the interface is down');
    };
    const r = await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    expect(r.aliasesInSync).toMatchObject({ status: 'False', reason: 'AliasesError' });
  });

  it('ChangesPending on a plan, InSync after the apply', async () => {
    const t = setup();
    expect((await t.reconciler.reconcile(WANT, { trigger: 'cli', dryRun: true })).aliasesInSync.reason).toBe('ChangesPending');
    expect((await t.reconciler.reconcile(WANT, { trigger: 'cli' })).aliasesInSync.reason).toBe('InSync');
  });

  it('LedgerNotWritten: the ledger write failed (from the ledger, not the words)', async () => {
    const t = setup();
    const r = await createReconciler(resolveRuntime({ hostsFile: t.hostsFile, stateDir: t.state, socket: join(t.dir, 's') }, {}, 'linux'), {
      platform: t.platform,
      fs: faultyFs([{ op: 'open', path: join(t.state, TEMP_PREFIX), code: 'ENOSPC' }]),
    }).reconcile({ ...WANT, hosts: [] }, { trigger: 'cli' });
    expect(r.aliasesInSync.reason).toBe('LedgerNotWritten');
  });
});

describe('hosts reasons: the writer says which failure kind', () => {
  it.each([
    ['EACCES', 'HostsPermissionDenied'],
    ['EPERM', 'HostsPermissionDenied'],
    ['EROFS', 'HostsReadOnly'],
    ['ENOSPC', 'HostsNoSpace'],
    ['EDQUOT', 'HostsNoSpace'],
    ['EIO', 'HostsNotWritten'],
    ['', 'HostsNotWritten'],
  ])('errno %s -> %s', (code, reason) => {
    expect(notWrittenReason(code)).toBe(reason);
  });

  it('HostsReadOnly through the reconciler', async () => {
    const t = setup({ faults: [{ op: 'rename', code: 'EROFS' }] });
    const r = await t.reconciler.reconcile({ ...WANT, aliases: [], settings: { ...DEFAULT_SETTINGS, aliasesFromHosts: false } }, { trigger: 'cli' });
    expect(r.hostsInSync).toMatchObject({ status: 'False', reason: 'HostsReadOnly' });
  });

  it('HostsContention: another program keeps changing the file (a typed error, no longer a plain Error)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-reasons-'));
    const file = join(dir, 'hosts');
    writeFileSync(file, '127.0.0.1 localhost\n');
    let n = 0;
    const e = await applyHosts(file, WANT.hosts, { stateDir: join(dir, 'state') }, { beforeCommit: () => appendFileSync(file, `\n10.0.0.${++n} x${n}.test`) }).catch((x) => x);
    expect(e).toBeInstanceOf(HostsWriteError);
    expect((e as HostsWriteError).reason).toBe('HostsContention');
    expect((e as Error).message).toMatch(/keeps changing under us/);
  });

  it('BlockDamaged from the plan', async () => {
    const t = setup();
    writeFileSync(t.hostsFile, `127.0.0.1 localhost\n${BEGIN_MARKER}\n127.0.0.9 x.test\n`);
    const r = await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    expect(r.hostsInSync).toMatchObject({ status: 'False', reason: 'BlockDamaged' });
  });
  // HostsDirUnsafe and StateDirUnusable: test/unit/hosts/writer-trust.test.ts, test/unit/fs/faults.test.ts.
});
