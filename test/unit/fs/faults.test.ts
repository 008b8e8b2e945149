// ENOSPC / EROFS / EACCES / EBUSY injected through the file-system seam, for the hosts file and
// for the state dir (hosts backups, the ownership ledger), through the real reconciler. For every
// fault: nothing is lost (the hosts file and the ledger keep their old bytes, no partial backup or
// temp file is left), the report is not `ok`, and it blames what actually failed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMP_PREFIX } from '../../../src/fs/atomic';
import { planHosts } from '../../../src/hosts';
import { listBackups } from '../../../src/hosts/backups';
import { DEFAULT_SETTINGS, type DesiredState } from '../../../src/model';
import { createReconciler } from '../../../src/reconcile/reconciler';
import { resolveRuntime } from '../../../src/runtime';
import { fakePlatform } from '../../helpers/fake-platform';
import { faultyFs, type Fault } from '../../helpers/faulty-fs';

const ORIGINAL = Buffer.from('127.0.0.1\tlocalhost\r\n# theirs\r\n10.1.2.3 other.test', 'latin1');
const WANT: DesiredState = {
  aliases: ['127.0.0.2'],
  hosts: [
    { name: 'api.myteam.test', addresses: ['127.0.0.2'] },
    { name: 'web.myteam.test', addresses: ['127.0.0.3', 'fd00::2'] },
  ],
  settings: DEFAULT_SETTINGS,
};
const HOSTS_ONLY: DesiredState = { ...WANT, aliases: [], settings: { ...DEFAULT_SETTINGS, aliasesFromHosts: false } };
const ALIASES_ONLY: DesiredState = { ...WANT, hosts: [] };

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'lk-faults-'));
  const hosts = join(dir, 'hosts');
  const state = join(dir, 'state');
  writeFileSync(hosts, ORIGINAL);
  const runtime = resolveRuntime({ hostsFile: hosts, stateDir: state, socket: join(dir, 'sock') }, {}, 'linux');
  const platform = fakePlatform();
  const reconcile = (faults: Fault[], desired: DesiredState = WANT) =>
    createReconciler(runtime, { platform, fs: faultyFs(faults) }).reconcile(desired, { trigger: 'cli' });
  return { dir, hosts, state, platform, reconcile };
}

const tempsIn = (dir: string) => {
  try {
    return readdirSync(dir).filter((n) => n.startsWith(TEMP_PREFIX));
  } catch {
    return [];
  }
};

describe('faults on the hosts file', () => {
  // The reason names the writer's failure kind (decided from the errno where it happened).
  const cases: Array<[string, (hosts: string, dir: string) => Fault[], string]> = [
    ['ENOSPC creating the temp file', (_h, d) => [{ op: 'open', path: join(d, TEMP_PREFIX), code: 'ENOSPC' }], 'HostsNoSpace'],
    ['ENOSPC half-way through the temp file', (_h, d) => [{ op: 'write', path: join(d, TEMP_PREFIX), code: 'ENOSPC', afterBytes: 40 }], 'HostsNoSpace'],
    ['EROFS creating the temp file', (_h, d) => [{ op: 'open', path: join(d, TEMP_PREFIX), code: 'EROFS' }], 'HostsReadOnly'],
    ['EACCES creating the temp file', (_h, d) => [{ op: 'open', path: join(d, TEMP_PREFIX), code: 'EACCES' }], 'HostsPermissionDenied'],
    ['EIO creating the temp file', (_h, d) => [{ op: 'open', path: join(d, TEMP_PREFIX), code: 'EIO' }], 'HostsNotWritten'],
    ['EROFS on rename', (h) => [{ op: 'rename', path: h, code: 'EROFS' }], 'HostsReadOnly'],
    ['EACCES on rename', (h) => [{ op: 'rename', path: h, code: 'EACCES' }], 'HostsPermissionDenied'],
    ['EPERM on rename', (h) => [{ op: 'rename', path: h, code: 'EPERM' }], 'HostsPermissionDenied'],
    ['EBUSY on rename, then EROFS opening it in place', (h) => [{ op: 'rename', path: h, code: 'EBUSY' }, { op: 'open', path: h, code: 'EROFS', flags: 1 }], 'HostsReadOnly'],
    ['EBUSY on rename, then EACCES opening it in place', (h) => [{ op: 'rename', path: h, code: 'EBUSY' }, { op: 'open', path: h, code: 'EACCES', flags: 1 }], 'HostsPermissionDenied'],
  ];
  it.each(cases)('%s: not written, the old bytes kept, no temp file, reported with its kind', async (_name, faults, reason) => {
    const t = setup();
    const r = await t.reconcile(faults(t.hosts, t.dir), HOSTS_ONLY);
    expect(readFileSync(t.hosts)).toEqual(ORIGINAL);
    expect(tempsIn(t.dir)).toEqual([]);
    expect(r.result).toBe('degraded');
    expect(r.hostsWritten).toBe(false);
    expect(r.hostsInSync).toMatchObject({ status: 'False', reason });
    expect(r.problems.join('\n')).toMatch(/not written \(its content is unchanged\)/);
  });

  it('EBUSY (bind-mounted) and a disk that fills up at every byte of the growth: the old file byte for byte, "not written"', async () => {
    const next = planHosts(ORIGINAL, HOSTS_ONLY.hosts).next!;
    const growth = next.length - ORIGINAL.length;
    let rounds = 0;
    for (let room = 0; room < growth; room += 1) {
      const t = setup();
      const r = await t.reconcile(
        [
          { op: 'rename', path: t.hosts, code: 'EBUSY' },
          { op: 'write', path: t.hosts, code: 'ENOSPC', afterBytes: room },
        ],
        HOSTS_ONLY,
      );
      expect(readFileSync(t.hosts)).toEqual(ORIGINAL);
      expect(r.hostsInSync.reason).toBe('HostsNoSpace');
      expect(r.problems.join('\n')).toMatch(/bind-mounted.*cannot reserve \d+ more bytes: no space left on the device \(ENOSPC\); it was not written/);
      expect(tempsIn(t.dir)).toEqual([]);
      rounds++;
    }
    expect(rounds).toBe(growth);
    // With room for it, the same in-place write succeeds.
    const t = setup();
    const ok = await t.reconcile([{ op: 'rename', path: t.hosts, code: 'EBUSY' }, { op: 'write', path: t.hosts, code: 'ENOSPC', afterBytes: growth }], HOSTS_ONLY);
    expect(ok.result).toBe('ok');
    expect(readFileSync(t.hosts)).toEqual(next);
  });

  it('EBUSY and a failure while overwriting in place: the old bytes written back, "restored"', async () => {
    const t = setup();
    expect((await t.reconcile([], HOSTS_ONLY)).hostsWritten).toBe(true);
    const withBlock = readFileSync(t.hosts);
    // A shorter block: overwrite, then truncate — which fails.
    const r = await t.reconcile(
      [
        { op: 'rename', path: t.hosts, code: 'EBUSY' },
        { op: 'ftruncate', path: t.hosts, code: 'EIO', nth: 1 },
      ],
      { ...HOSTS_ONLY, hosts: [{ name: 'api.myteam.test', addresses: ['127.0.0.2'] }] },
    );
    expect(readFileSync(t.hosts)).toEqual(withBlock);
    expect(r.result).toBe('degraded');
    expect(r.hostsInSync.reason).toBe('HostsRestored');
    expect(r.problems.join('\n')).toMatch(/restored to its old content byte for byte/);
  });
});

describe('faults in the state dir while the hosts file is backed up', () => {
  const cases: Array<[string, (state: string) => Fault[]]> = [
    ['ENOSPC creating the backup', (s) => [{ op: 'open', path: join(s, 'backups', TEMP_PREFIX), code: 'ENOSPC' }]],
    ['ENOSPC half-way through the backup', (s) => [{ op: 'write', path: join(s, 'backups', TEMP_PREFIX), code: 'ENOSPC', afterBytes: 10 }]],
    ['ENOSPC at the backup fsync', (s) => [{ op: 'fsync', path: join(s, 'backups', TEMP_PREFIX), code: 'ENOSPC' }]],
    ['EROFS creating the state dir', (s) => [{ op: 'mkdir', path: s, code: 'EROFS' }]],
    ['EROFS creating the backups dir', (s) => [{ op: 'mkdir', path: join(s, 'backups'), code: 'EROFS' }]],
    ['EACCES creating the backup', (s) => [{ op: 'open', path: join(s, 'backups', TEMP_PREFIX), code: 'EACCES' }]],
    ['EROFS publishing the backup', (s) => [{ op: 'link', path: join(s, 'backups'), code: 'EROFS' }]],
    ['EBUSY publishing the backup', (s) => [{ op: 'link', path: join(s, 'backups'), code: 'EBUSY' }]],
  ];
  it.each(cases)('%s: the hosts file is not written, the STATE DIR is blamed, no partial backup', async (_name, faults) => {
    const t = setup();
    const r = await t.reconcile(faults(t.state), HOSTS_ONLY);
    expect(readFileSync(t.hosts)).toEqual(ORIGINAL);
    expect(r.result).toBe('degraded');
    expect(r.hostsInSync).toMatchObject({ status: 'False', reason: 'StateDirUnusable' });
    const problem = r.problems.find((p) => p.includes('backup'))!;
    expect(problem).toMatch(new RegExp(`^state dir ${t.state}: cannot keep a backup of ${t.hosts} before changing it`));
    expect(problem).toMatch(/the hosts file was not written \(its content is unchanged\) — make room in the state dir/);
    expect(problem.startsWith('hosts file')).toBe(false);
    expect(listBackups(t.state)).toEqual([]);
    expect(tempsIn(join(t.state, 'backups'))).toEqual([]);
    expect(tempsIn(t.dir)).toEqual([]);
  });

  it('after the fault is gone, the next reconcile backs up and writes', async () => {
    const t = setup();
    await t.reconcile([{ op: 'write', path: join(t.state, 'backups', TEMP_PREFIX), code: 'ENOSPC', afterBytes: 10 }], HOSTS_ONLY);
    const r = await t.reconcile([], HOSTS_ONLY);
    expect(r.result).toBe('ok');
    expect(listBackups(t.state)).toHaveLength(1);
    expect(readFileSync(join(t.state, 'backups', listBackups(t.state)[0]!))).toEqual(ORIGINAL);
  });
});

describe('faults in the state dir while the ledger is written', () => {
  const cases: Array<[string, (state: string) => Fault[]]> = [
    ['ENOSPC creating the temp file', (s) => [{ op: 'open', path: join(s, TEMP_PREFIX), code: 'ENOSPC' }]],
    ['ENOSPC half-way through it', (s) => [{ op: 'write', path: join(s, TEMP_PREFIX), code: 'ENOSPC', afterBytes: 20 }]],
    ['ENOSPC at fsync', (s) => [{ op: 'fsync', path: join(s, TEMP_PREFIX), code: 'ENOSPC' }]],
    ['EROFS creating the temp file', (s) => [{ op: 'open', path: join(s, TEMP_PREFIX), code: 'EROFS' }]],
    ['EACCES creating the temp file', (s) => [{ op: 'open', path: join(s, TEMP_PREFIX), code: 'EACCES' }]],
    ['EBUSY on rename (a bind-mounted state.json)', (s) => [{ op: 'rename', path: join(s, 'state.json'), code: 'EBUSY' }]],
    ['EROFS on rename', (s) => [{ op: 'rename', path: join(s, 'state.json'), code: 'EROFS' }]],
  ];
  it.each(cases)('%s: the reconcile is degraded with the reason; the old ledger is kept byte for byte', async (_name, faults) => {
    const t = setup();
    const first = await t.reconcile([], ALIASES_ONLY);
    expect(first.result).toBe('ok');
    const ledger = readFileSync(join(t.state, 'state.json'));
    const r = await t.reconcile(faults(t.state), { ...ALIASES_ONLY, aliases: ['127.0.0.2', '127.0.0.4'] });
    expect(r.result).toBe('degraded');
    expect(r.aliasesInSync).toMatchObject({ status: 'False', reason: 'LedgerNotWritten' });
    expect(r.problems.join('\n')).toMatch(/could not record owned aliases in .*state\.json \(cannot .*; it was not written/);
    expect(readFileSync(join(t.state, 'state.json'))).toEqual(ledger);
    expect(tempsIn(t.state)).toEqual([]);
    // Once the fault is gone, the next reconcile records what it added.
    const again = await t.reconcile([], { ...ALIASES_ONLY, aliases: ['127.0.0.2', '127.0.0.4'] });
    expect(again.result).toBe('ok');
  });

  it('a corrupt ledger whose copy cannot be kept is not replaced (its bytes stay), and the reconcile is degraded', async () => {
    const t = setup();
    mkdirSync(t.state);
    writeFileSync(join(t.state, 'state.json'), '{"version": 1, "owned": [');
    const r = await t.reconcile([{ op: 'open', path: join(t.state, TEMP_PREFIX), code: 'ENOSPC' }], ALIASES_ONLY);
    expect(r.result).toBe('degraded');
    expect(readFileSync(join(t.state, 'state.json'), 'utf8')).toBe('{"version": 1, "owned": [');
  });
});
