// The reconciler asks the platform profile whether the resolver reads the hosts file at all: on
// macOS a symlinked /etc/hosts is ignored by mDNSResponder, so HostsInSync is False with reason
// HostsFileIgnored (and the fix), never True — on Linux the same link is fine.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, type DesiredState } from '../../../src/model';
import { createReconciler } from '../../../src/reconcile/reconciler';
import { resolveRuntime } from '../../../src/runtime';
import { fakePlatform } from '../../helpers/fake-platform';

const WANT: DesiredState = { aliases: ['127.0.0.2'], hosts: [{ name: 'api.myteam.test', addresses: ['127.0.0.2'] }], settings: { ...DEFAULT_SETTINGS } };

function setup(platform: NodeJS.Platform, linked: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'lk-ignored-'));
  const real = join(dir, 'synced-hosts');
  writeFileSync(real, '127.0.0.1\tlocalhost\n');
  const hostsFile = join(dir, 'hosts');
  if (linked) symlinkSync('synced-hosts', hostsFile);
  else copyFileSync(real, hostsFile);
  const runtime = resolveRuntime({ hostsFile, stateDir: join(dir, 'state'), socket: join(dir, 'sock') }, {}, platform);
  const reconciler = createReconciler(runtime, { platform: fakePlatform(['127.0.0.1', '::1'], platform === 'darwin' ? 'lo0' : 'lo') });
  return { dir, real, hostsFile, reconciler };
}

describe('a hosts file the resolver ignores', () => {
  it('macOS, symlinked: the block is kept in the target, but HostsInSync is False/HostsFileIgnored with the fix', async () => {
    const t = setup('darwin', true);
    const r = await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    expect(readFileSync(t.real, 'utf8')).toContain('127.0.0.2\tapi.myteam.test');
    expect(r.hostsInSync).toMatchObject({ status: 'False', reason: 'HostsFileIgnored' });
    expect(r.hostsInSync.message).toContain(`sudo cp ${t.real} ${t.hostsFile}.loopkeeper-new`);
    expect(r.result).toBe('degraded');
    expect(r.problems).toContain(r.hostsInSync.message);
    // A plan says so too; a second run still does (the condition is about the file, not a change).
    expect((await t.reconciler.reconcile(WANT, { trigger: 'cli', dryRun: true })).hostsInSync.reason).toBe('HostsFileIgnored');
    expect((await t.reconciler.reconcile(WANT, { trigger: 'schedule' })).hostsInSync.reason).toBe('HostsFileIgnored');
  });

  it('macOS, once the link is replaced by the copy: in sync', async () => {
    const t = setup('darwin', true);
    await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    rmSync(t.hostsFile);
    copyFileSync(t.real, t.hostsFile);
    expect((await t.reconciler.reconcile(WANT, { trigger: 'cli' })).hostsInSync).toMatchObject({ status: 'True', reason: 'InSync' });
  });

  it('Linux, symlinked: glibc reads it, so in sync', async () => {
    const t = setup('linux', true);
    expect((await t.reconciler.reconcile(WANT, { trigger: 'cli' })).hostsInSync).toMatchObject({ status: 'True' });
  });

  it('down does not report it (nothing is wanted in the file)', async () => {
    const t = setup('darwin', true);
    await t.reconciler.reconcile(WANT, { trigger: 'cli' });
    expect((await t.reconciler.down()).hostsInSync.reason).not.toBe('HostsFileIgnored');
  });
});
