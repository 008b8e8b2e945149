// Real faults, not simulated ones: small full tmpfs mounts, read-only bind mounts and a non-root
// user, inside private namespaces (nothing of this machine's /etc is touched: the hosts files are
// temp files, "bind-mounted" hosts files are mounted over temp files). For each fault, what was
// lost is measured — it must be nothing — and `apply` must say what happened and exit non-zero.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planHosts } from '../../src/hosts';
import type { DesiredHost } from '../../src/model';
import { asNobody, assertBuilt, CLI, REPO } from '../helpers/cli';
import { describeInNamespace, runInNamespace } from '../helpers/namespace';

const HOSTS: DesiredHost[] = Array.from({ length: 6 }, (_, i) => ({ name: `svc${i}.myteam.test`, addresses: [`127.0.0.${i + 2}`] }));
const HOSTS_CONFIG = `version: 1\nhosts:\n${HOSTS.map((h) => `  ${h.name}: ${h.addresses[0]}\n`).join('')}settings:\n  aliasesFromHosts: false\n`;
const ALIASES_CONFIG = (n: number, net = 5) => `version: 1\naliases:\n${Array.from({ length: n }, (_, i) => `  - 127.0.${net}.${i + 1}\n`).join('')}`;
const PAGE = 4096;

// Runs inside one namespace (root, private mounts, its own lo). argv: cli, dir, cases.json.
const DRIVER = `
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const [cli, dir] = process.argv.slice(2);
const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8'));
const sh = (cmd) => {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(cmd + ' failed: ' + r.stderr);
  return r.stdout;
};
const lk = (cfg, hosts, state, ...args) => {
  const r = spawnSync(process.execPath, [cli, '--config', cfg, '--hosts-file', hosts, '--state-dir', state, ...args], {
    encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, out: r.stdout + r.stderr };
};
// Fills a tmpfs to the last page (dd stops at ENOSPC).
const fill = (mnt) => spawnSync('dd', ['if=/dev/zero', 'of=' + mnt + '/filler', 'bs=4096'], { encoding: 'utf8' });
const tmpfs = (mnt, size) => { fs.mkdirSync(mnt, { recursive: true }); sh('mount -t tmpfs -o size=' + size + ',mode=0755 tmpfs ' + mnt); };
const ls = (d) => { try { return fs.readdirSync(d); } catch { return []; } };
const out = { inPlace: [], stateFull: {}, readOnly: {} };

// A. The hosts file on a full tmpfs, bind-mounted over a file (rename: EBUSY, so in place).
const cfgHosts = path.join(dir, 'hosts.yaml');
for (const c of cases.inPlace) {
  const mnt = path.join(dir, 'a-fs-' + c.slack);
  tmpfs(mnt, '64k');
  fs.writeFileSync(path.join(mnt, 'hosts'), Buffer.from(c.orig, 'base64'));
  fill(mnt);
  const etc = path.join(dir, 'a-etc-' + c.slack);
  fs.mkdirSync(etc);
  fs.writeFileSync(path.join(etc, 'hosts'), '');
  sh('mount --bind ' + mnt + '/hosts ' + etc + '/hosts');
  const r = lk(cfgHosts, path.join(etc, 'hosts'), path.join(dir, 'a-state-' + c.slack), 'apply');
  out.inPlace.push({ slack: c.slack, code: r.code, out: r.out, got: fs.readFileSync(path.join(etc, 'hosts')).toString('base64'), temps: ls(etc).filter((n) => n.startsWith('.loopkeeper-tmp-')) });
}

// B. The state dir on a full tmpfs: the hosts backup, then the ledger.
{
  const st = path.join(dir, 'b-state');
  tmpfs(st, '16k');
  fill(st);
  const hosts = path.join(dir, 'b-hosts');
  fs.writeFileSync(hosts, cases.plain);
  const r = lk(cfgHosts, hosts, st, 'apply');
  out.stateFull.backup = { code: r.code, out: r.out, hosts: fs.readFileSync(hosts, 'utf8'), backups: ls(path.join(st, 'backups')), stateFiles: ls(st) };

  const st2 = path.join(dir, 'b-state2');
  tmpfs(st2, '16k');
  const cfg1 = path.join(dir, 'aliases1.yaml');
  const cfg2 = path.join(dir, 'aliases2.yaml');
  const first = lk(cfg1, hosts, st2, 'apply');
  const ledgerBefore = fs.readFileSync(path.join(st2, 'state.json'), 'utf8');
  fill(st2);
  const second = lk(cfg2, hosts, st2, 'apply', '--json');
  let report = null;
  try { report = JSON.parse(second.out.slice(second.out.indexOf('{'))); } catch {}
  out.stateFull.ledger = {
    firstCode: first.code, code: second.code, out: second.out, result: report && report.result,
    aliasesInSync: report && report.aliasesInSync, problems: report && report.problems,
    ledgerKept: fs.readFileSync(path.join(st2, 'state.json'), 'utf8') === ledgerBefore,
    stateFiles: ls(st2).filter((n) => n !== 'filler'),
  };
}

// C. Read-only bind mounts: the state dir, then the hosts file itself.
{
  const st = path.join(dir, 'c-state');
  fs.mkdirSync(st);
  sh('mount --bind ' + st + ' ' + st + ' && mount -o remount,bind,ro ' + st);
  const hosts = path.join(dir, 'c-hosts');
  fs.writeFileSync(hosts, cases.plain);
  const r = lk(cfgHosts, hosts, st, 'apply');
  const l = lk(path.join(dir, 'aliases3.yaml'), hosts, st, 'apply');
  out.readOnly.stateDir = { code: r.code, out: r.out, hosts: fs.readFileSync(hosts, 'utf8'), ledgerCode: l.code, ledgerOut: l.out };

  const src = path.join(dir, 'c-src');
  fs.writeFileSync(src, cases.plain);
  const etc = path.join(dir, 'c-etc');
  fs.mkdirSync(etc);
  fs.writeFileSync(path.join(etc, 'hosts'), '');
  sh('mount --bind ' + src + ' ' + etc + '/hosts && mount -o remount,bind,ro ' + etc + '/hosts');
  const h = lk(cfgHosts, path.join(etc, 'hosts'), path.join(dir, 'c-state2'), 'apply');
  out.readOnly.hostsFile = { code: h.code, out: h.out, hosts: fs.readFileSync(path.join(etc, 'hosts'), 'utf8'), temps: ls(etc).filter((n) => n.startsWith('.loopkeeper-tmp-')) };
}
console.log(JSON.stringify(out));
`;

// Runs as the unprivileged user 65534: the library's reconcile with a fake interface (a normal
// user cannot change lo), so only the file writes are real. argv: repo, hosts, stateDir, aliases.
const AS_NOBODY = `
const [repo, hosts, stateDir, aliases] = process.argv.slice(2);
const { createReconciler } = require(repo + '/dist/reconcile/reconciler');
const { resolveRuntime } = require(repo + '/dist/runtime');
const { DEFAULT_SETTINGS } = require(repo + '/dist/model');
const addrs = new Set(['127.0.0.1', '::1']);
const state = () => ({ name: 'lo', exists: true, up: true, addresses: [...addrs] });
const platform = { name: 'linux', flushDnsCache: async () => {}, aliases: { interfaceName: 'lo', observe: async () => state(),
  change: async (req) => { for (const a of req.add) addrs.add(a); for (const a of req.remove) addrs.delete(a);
    return { results: [...req.add.map((address) => ({ address, action: 'add', ok: true })), ...req.remove.map((address) => ({ address, action: 'remove', ok: true }))], after: state() }; } } };
const runtime = resolveRuntime({ hostsFile: hosts, stateDir, socket: stateDir + '/sock' }, {}, 'linux');
createReconciler(runtime, { platform }).reconcile({ aliases: aliases ? aliases.split(',') : [], hosts: ${JSON.stringify(HOSTS)}, settings: { ...DEFAULT_SETTINGS, aliasesFromHosts: false } }, { trigger: 'cli' })
  .then((r) => console.log(JSON.stringify({ result: r.result, aliasesInSync: r.aliasesInSync, hostsInSync: r.hostsInSync, problems: r.problems })));
`;

/** A hosts file of exactly `size` bytes (realistic lines, no block). */
function hostsOfSize(size: number): Buffer {
  const lines: string[] = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost'];
  let text = `${lines.join('\n')}\n`;
  for (let i = 0; text.length < size - 40; i++) text += `10.${(i >> 8) & 255}.${i & 255}.1 host${i}.lan\n`;
  text += `# ${'x'.repeat(Math.max(0, size - text.length - 3))}\n`;
  return Buffer.from(text.slice(0, size - 1) + '\n');
}

describeInNamespace('real faults: full tmpfs, read-only mounts, a non-root user', () => {
  let out: Record<string, any>;
  let growth = 0;
  let cases: { slack: number; orig: Buffer; want: Buffer }[] = [];
  const summary: string[] = [];

  beforeAll(() => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'lk-enospc-'));
    const probe = hostsOfSize(3 * PAGE);
    growth = planHosts(probe, HOSTS).next!.length - probe.length;
    // The file ends `slack` bytes before a page boundary: the growth fits in that slack or it
    // needs a page the full tmpfs does not have.
    const slacks = [0, 1, 17, growth - 1, growth, growth + 1, 1000, PAGE - 1];
    cases = slacks.map((slack) => {
      const orig = hostsOfSize(3 * PAGE - slack);
      return { slack, orig, want: planHosts(orig, HOSTS).next! };
    });
    writeFileSync(
      join(dir, 'cases.json'),
      JSON.stringify({ inPlace: cases.map((c) => ({ slack: c.slack, orig: c.orig.toString('base64') })), plain: '127.0.0.1 localhost\n' }),
    );
    writeFileSync(join(dir, 'hosts.yaml'), HOSTS_CONFIG);
    writeFileSync(join(dir, 'aliases1.yaml'), ALIASES_CONFIG(1));
    writeFileSync(join(dir, 'aliases2.yaml'), ALIASES_CONFIG(200));
    writeFileSync(join(dir, 'aliases3.yaml'), ALIASES_CONFIG(1, 6));
    writeFileSync(join(dir, 'driver.js'), DRIVER);
    const realHosts = readFileSync('/etc/hosts');
    const r = runInNamespace([process.execPath, join(dir, 'driver.js'), CLI, dir]);
    expect(readFileSync('/etc/hosts')).toEqual(realHosts);
    if (r.code !== 0) throw new Error(`driver failed (${r.code}): ${r.stderr}`);
    out = JSON.parse(r.stdout);
  });

  afterAll(() => {
    // eslint-disable-next-line no-console
    if (summary.length > 0) console.log(`real faults, per fault:\n${summary.join('\n')}`);
  });

  it('ENOSPC during the in-place write of a bind-mounted hosts file: the old file byte for byte, "not written", exit 1', () => {
    let notWritten = 0;
    let written = 0;
    for (const c of cases) {
      const r = out.inPlace.find((x: { slack: number }) => x.slack === c.slack);
      const got = Buffer.from(r.got, 'base64');
      expect(r.temps).toEqual([]);
      if (c.slack >= growth) {
        // It fits in the last page: written in place, completely.
        expect(got.equals(c.want)).toBe(true);
        expect(r.code).toBe(0);
        written++;
      } else {
        expect(got.equals(c.orig)).toBe(true);
        expect(r.code).toBe(1);
        expect(r.out).toMatch(/bind-mounted.*no space left on the device \(ENOSPC\); it was not written \(its content is unchanged\)/);
        notWritten++;
      }
    }
    expect(notWritten).toBeGreaterThan(0);
    expect(written).toBeGreaterThan(0);
    summary.push(`  hosts in place, full tmpfs: ${cases.length} rounds (growth ${growth} B; slack ${cases.map((c) => c.slack).join('/')}): ${notWritten} not written with the old bytes intact, ${written} written whole, 0 cut files`);
  });

  it('a full state dir: the backup fails, the hosts file is not written, the STATE DIR is blamed, no partial backup', () => {
    const b = out.stateFull.backup;
    expect(b.code).toBe(1);
    expect(b.hosts).toBe('127.0.0.1 localhost\n');
    expect(b.out).toMatch(/state dir .*b-state: cannot keep a backup of .*b-hosts before changing it \(.*no space left on the device \(ENOSPC\)/);
    expect(b.out).not.toMatch(/hosts file [^ ]*b-hosts: /);
    expect(b.backups).toEqual([]);
    summary.push(`  backup into a full state dir: hosts file unchanged, backups left: ${b.backups.length}, exit ${b.code}`);
  });

  it('a full state dir when the ledger is written: degraded with the reason, exit 1, the old ledger kept', () => {
    const l = out.stateFull.ledger;
    expect(l.firstCode).toBe(0);
    expect(l.code).toBe(1);
    expect(l.result).toBe('degraded');
    expect(l.aliasesInSync).toMatchObject({ status: 'False', reason: 'LedgerNotWritten' });
    expect(l.problems.join('\n')).toMatch(/could not record owned aliases .*no space left on the device \(ENOSPC\)/);
    expect(l.ledgerKept).toBe(true);
    expect(l.stateFiles.filter((n: string) => n.startsWith('.loopkeeper-tmp-'))).toEqual([]);
    summary.push(`  ledger into a full state dir: result ${l.result} (${l.aliasesInSync.reason}), exit ${l.code}, old ledger intact: ${l.ledgerKept}`);
  });

  it('a read-only state dir (EROFS): backups and ledger fail cleanly, non-zero, blaming the state dir', () => {
    const s = out.readOnly.stateDir;
    expect(s.code).toBe(1);
    expect(s.hosts).toBe('127.0.0.1 localhost\n');
    expect(s.out).toMatch(/state dir .*c-state: cannot keep a backup .*read-only \(EROFS\)/);
    expect(s.ledgerCode).toBe(1);
    expect(s.ledgerOut).toMatch(/could not record owned aliases .*read-only \(EROFS\)/);
    summary.push(`  read-only state dir: hosts unchanged, exit ${s.code}; ledger exit ${s.ledgerCode}`);
  });

  it('a read-only bind-mounted hosts file (EROFS): not written, unchanged, exit 1, no temp file', () => {
    const h = out.readOnly.hostsFile;
    expect(h.code).toBe(1);
    expect(h.hosts).toBe('127.0.0.1 localhost\n');
    expect(h.out).toMatch(/bind-mounted.*read-only \(EROFS\); it was not written/);
    expect(h.temps).toEqual([]);
    summary.push(`  read-only hosts file: unchanged, exit ${h.code}`);
  });

  it('a non-root user (EACCES): a root-owned hosts file and a root-owned state dir are not written, each blamed', () => {
    const base = mkdtempSync(join(tmpdir(), 'lk-eacces-'));
    chmodSync(base, 0o755);
    writeFileSync(join(base, 'driver.js'), AS_NOBODY);
    // 1. The hosts file is root's, in a directory of the user's: the temp file can be made, but
    //    not given root as owner, so it is written in place, and opening it for writing fails.
    const d1 = join(base, 'd1');
    mkdirSync(d1);
    chownSync(d1, 65534, 65534);
    writeFileSync(join(d1, 'hosts'), '127.0.0.1 localhost\n', { mode: 0o644 });
    const state1 = join(base, 'state1');
    mkdirSync(state1);
    chownSync(state1, 65534, 65534);
    const r1 = asNobody([process.execPath, join(base, 'driver.js'), REPO, join(d1, 'hosts'), state1, '']);
    expect(r1.code).toBe(0);
    const o1 = JSON.parse(r1.stdout);
    expect(o1.result).toBe('degraded');
    expect(o1.hostsInSync.reason).toBe('HostsPermissionDenied');
    expect(o1.problems.join('\n')).toMatch(/permission denied \(EACCES\)/);
    expect(readFileSync(join(d1, 'hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
    // 2. The state dir is root's: the backup cannot be kept (the hosts file stays as it is), and
    //    the ledger cannot be written.
    const d2 = join(base, 'd2');
    mkdirSync(d2);
    chownSync(d2, 65534, 65534);
    writeFileSync(join(d2, 'hosts'), '127.0.0.1 localhost\n');
    chownSync(join(d2, 'hosts'), 65534, 65534);
    const state2 = join(base, 'state2');
    mkdirSync(state2);
    const r2 = asNobody([process.execPath, join(base, 'driver.js'), REPO, join(d2, 'hosts'), state2, '127.0.0.2']);
    expect(r2.code).toBe(0);
    const o2 = JSON.parse(r2.stdout);
    expect(o2.result).toBe('degraded');
    expect(o2.hostsInSync.reason).toBe('StateDirUnusable');
    expect(o2.aliasesInSync.reason).toBe('LedgerNotWritten');
    expect(o2.problems.join('\n')).toMatch(/state dir .*state2: cannot keep a backup .*permission denied \(EACCES\)/);
    expect(readFileSync(join(d2, 'hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
    summary.push(`  non-root user: root's hosts file unchanged (${o1.hostsInSync.reason}); root's state dir: ${o2.hostsInSync.reason} + ${o2.aliasesInSync.reason}`);
  });
});
