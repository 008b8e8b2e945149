// The everyday commands end to end, through the built CLI, as a new user runs them: the default
// config directory /etc/loopkeeper, the real /etc/hosts and a real `lo` — inside private
// namespaces, with /etc overlaid by a throw-away tmpfs (so the config directory, and the writer's
// temp files beside /etc/hosts, never reach the machine's /etc) and a temp file bind-mounted over
// /etc/hosts. Each step's exit code, output and effect (config bytes, getent, ip -j addr) is
// recorded by a driver inside one namespace and asserted here.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describeInNamespace } from '../helpers/namespace';
import { CLI, DAEMON, REPO, assertBuilt } from '../helpers/cli';
import { cliHint, invocationOf, realInvocationFacts } from '../../src/cli/hint';

/** How hints name the CLI run as `node CLI` with this PATH (no `loopkeeper` on it): e.g. `node /repo/dist/cli/main.js`. */
const ran = cliHint('', { how: invocationOf({ ...realInvocationFacts(), argv1: CLI }) });

const HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost\n# Added by Docker Desktop\n192.168.65.2 host.docker.internal\n# End of section\n10.1.2.3 legacy.test   # by hand\n';

const TEAM = `# The team's config: edited by hand, and by loopkeeper hosts add --file.
version: 1

aliases:
  - 127.0.0.2       # api

hosts:
  api.test: 127.0.0.2   # the API
  # the docs site
  docs.test: [127.0.0.2, fd00::2]
`;

/**
 * argv that enters fresh net + mount + pid namespaces, brings lo up, overlays /etc with a tmpfs
 * upper layer mounted on `scratch`, bind-mounts `hostsFile` over /etc/hosts, then runs the rest.
 */
function nsWithOverlay(hostsFile: string, scratch: string): string[] {
  const steps = [
    'mount -t sysfs sysfs /sys',
    'ip link set lo up',
    'mount -t tmpfs tmpfs "$1"',
    'mkdir "$1/upper" "$1/work"',
    'mount -t overlay overlay -o lowerdir=/etc,upperdir="$1/upper",workdir="$1/work" /etc',
    'mount --bind "$0" /etc/hosts',
    'shift',
    'exec "$@"',
  ];
  return ['unshare', '-n', '-m', '--propagation', 'private', '-p', '-f', '--kill-child', '--mount-proc', 'sh', '-c', steps.join(' && '), hostsFile, scratch];
}

const DRIVER = String.raw`
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const [cli, daemonBin, work, team, repo, pub] = process.argv.slice(2);
const env = { ...process.env, NO_COLOR: '1', LOOPKEEPER_STATE_DIR: path.join(work, 'state'), LOOPKEEPER_SOCKET: path.join(work, 'run', 'lk.sock') };
for (const k of Object.keys(env)) if (k.startsWith('LOOPKEEPER_') && !['LOOPKEEPER_STATE_DIR', 'LOOPKEEPER_SOCKET'].includes(k)) delete env[k];
const run = (argv, input) => { const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env, input }); return { code: r.status, stdout: r.stdout, stderr: r.stderr }; };
const lk = (...a) => run([process.execPath, cli, ...a]);
const addrs = () => JSON.parse(run(['ip', '-j', 'addr', 'show', 'dev', 'lo']).stdout)[0].addr_info.map((a) => a.local);
// Every address the resolver returns for a name (getent sorts them by RFC 6724), or null.
const resolves = (name) => { const r = run(['getent', 'ahosts', name]); return r.code === 0 ? [...new Set(r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]))].sort() : null; };
const read = (p) => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null);
const meta = (p) => { const s = fs.statSync(p); return { mode: (s.mode & 0o777).toString(8), uid: s.uid, ino: s.ino }; };
const ETC = '/etc/loopkeeper', LOCAL = ETC + '/conf.d/local.yaml', VPN = ETC + '/conf.d/vpn.yaml', MAIN = ETC + '/loopkeeper.yaml';
const out = {};
const step = (name, r, extra = {}) => { out[name] = { ...r, local: read(LOCAL), ...extra }; };

(async () => {
  fs.mkdirSync(ETC, { mode: 0o755 });
  fs.writeFileSync(MAIN, team, { mode: 0o644 });

  step('addHost', lk('hosts', 'add', 'Web.test', '127.0.0.3', 'fd00::3'), { meta: meta(LOCAL), web: resolves('web.test'), api: resolves('api.test'), addrs: addrs() });
  step('addAliases', lk('aliases', 'add', '127.0.1.10-127.0.1.12', '127.0.2.0/30', '127.0.0.2'), { addrs: addrs() });
  step('addSame', lk('hosts', 'add', 'web.test', '127.0.0.3', 'fd00::3'));
  const beforeInvalid = read(LOCAL);
  step('invalidName', lk('hosts', 'add', 'bad_name.test', '127.0.0.9'), { unchanged: read(LOCAL) === beforeInvalid });
  step('invalidAlias', lk('aliases', 'add', '10.0.0.1'), { unchanged: read(LOCAL) === beforeInvalid });
  step('conflict', lk('hosts', 'add', 'api.test', '127.0.0.8'), { unchanged: read(LOCAL) === beforeInvalid });
  step('badAddress', lk('hosts', 'add', 'x.test', '127.1'), { unchanged: read(LOCAL) === beforeInvalid });
  step('profileAdd', lk('hosts', 'add', '--profile', 'vpn', 'db.test', '127.0.0.4'), { vpn: read(VPN), db: resolves('db.test'), addrs: addrs() });
  const vpnBefore = fs.readFileSync(VPN);
  const vpnIno = meta(VPN).ino;
  step('profileList', lk('profile', 'list'));
  step('profileDisable', lk('profile', 'disable', 'vpn'), { exists: fs.existsSync(VPN), disabled: fs.readFileSync(VPN + '.disabled').equals(vpnBefore), ino: meta(VPN + '.disabled').ino === vpnIno, db: resolves('db.test'), addrs: addrs() });
  step('profileListJson', lk('profile', 'list', '--json'));
  step('addToDisabled', lk('hosts', 'add', '--profile', 'vpn', 'x.test', '127.0.0.4'));
  step('profileEnable', lk('profile', 'enable', 'vpn'), { same: fs.readFileSync(VPN).equals(vpnBefore), ino: meta(VPN).ino === vpnIno, db: resolves('db.test') });
  fs.writeFileSync(path.join(work, 'hosts-extra'), ''); // unused marker
  step('hostsList', lk('hosts', 'list', '--all', '--json'));
  step('hostsListText', lk('hosts', 'list', '--all'));
  step('aliasesList', lk('aliases', 'list', '--json'));
  fs.writeFileSync(ETC + '/conf.d/20-dup.yaml', 'version: 1\nhosts:\n  api.test: 127.0.0.2\n', { mode: 0o644 });
  const dupBefore = read(ETC + '/conf.d/20-dup.yaml');
  step('removeTwice', lk('hosts', 'remove', 'api.test'), { main: read(MAIN), dup: read(ETC + '/conf.d/20-dup.yaml') === dupBefore });
  step('removeWithFile', lk('hosts', 'remove', '--file', ETC + '/conf.d/20-dup.yaml', 'api.test'), { dup: read(ETC + '/conf.d/20-dup.yaml'), api: resolves('api.test') });
  step('removeHost', lk('hosts', 'remove', 'web.test'), { web: resolves('web.test'), addrs: addrs() });
  step('removeInRange', lk('aliases', 'remove', '127.0.1.11'));
  step('removeRange', lk('aliases', 'remove', '127.0.1.10-127.0.1.12'), { addrs: addrs() });
  step('removeMissing', lk('hosts', 'remove', 'nope.test'));
  step('editTeamFile', lk('hosts', 'add', '--file', MAIN, 'new.test', '127.0.0.5'), { main: read(MAIN), mainMeta: meta(MAIN), resolved: resolves('new.test') });
  // Not root: nothing is written; the exact sudo command is printed (no terminal here). Lists need no root.
  run(['mount', '--bind', repo, pub]);
  const asNobody = (...a) => run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(pub, path.relative(repo, cli)), ...a]);
  const localBefore = read(LOCAL);
  step('nobodyAdd', asNobody('hosts', 'add', 'nobody.test', '127.0.0.11'), { unchanged: read(LOCAL) === localBefore });
  step('nobodyList', asNobody('hosts', 'list'));
  step('nobodyProfiles', asNobody('profile', 'list'));
  step('fileOutside', lk('hosts', 'add', '--file', path.join(work, 'elsewhere.yaml'), 'y.test', '127.0.0.6'), { created: fs.existsSync(path.join(work, 'elsewhere.yaml')) });

  // A config directory given with --config: its *.yaml, then its conf.d/; edits go to its conf.d/.
  const dir = path.join(work, 'cfg');
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'team.yaml'), 'version: 1\nhosts:\n  dir.test: 127.0.0.7\n', { mode: 0o644 });
  step('dirAdd', lk('--config', dir, 'hosts', 'add', 'dir2.test', '127.0.0.8'), { confd: read(path.join(dir, 'conf.d', 'local.yaml')), etcUntouched: !read(LOCAL)?.includes('dir2.test'), dir2: resolves('dir2.test'), dir1: resolves('dir.test') });
  step('dirProfiles', lk('--config', dir, 'profile', 'list', '--json'));
  step('dirValidate', lk('--config', dir, 'validate'));
  const file = path.join(dir, 'team.yaml');
  step('fileOnlyAdd', lk('--config', file, 'hosts', 'add', 'z.test', '127.0.0.9'));
  step('fileOnlyRemove', lk('--config', file, 'hosts', 'remove', 'dir.test'), { team: read(file) });

  // With the daemon running, an edit is reconciled by it (POST /v1/reconcile).
  const daemon = spawn(process.execPath, [daemonBin], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  await new Promise((resolve, reject) => {
    daemon.stdout.on('data', (c) => { logs += c; if (logs.includes('loopkeeperd started')) resolve(); });
    daemon.stderr.on('data', (c) => { logs += c; });
    daemon.once('exit', (code) => reject(new Error('daemon exited ' + code + ': ' + logs)));
  });
  // The start-up reconcile runs after "started"; an answered reconcile request means it is over.
  out.daemonReady = lk('reconcile');
  step('daemonAdd', lk('hosts', 'add', 'live.test', '127.0.0.10'), { live: resolves('live.test'), addrs: addrs() });
  step('daemonDisable', lk('profile', 'disable', 'vpn'), { db: resolves('db.test') });
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  out.hostsFile = fs.readFileSync('/etc/hosts', 'utf8');
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e.stack); process.exit(1); });
`;

describeInNamespace('everyday commands (hosts, aliases, profile) against /etc/loopkeeper, a real lo and /etc/hosts', () => {
  let out: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeAll(() => {
    assertBuilt();
    const work = mkdtempSync(join(tmpdir(), 'lk-edit-ns-'));
    const hosts = join(work, 'hosts');
    const scratch = join(work, 'overlay');
    mkdirSync(scratch);
    writeFileSync(hosts, HOSTS);
    writeFileSync(join(work, 'driver.js'), DRIVER);
    const machineEtcHosts = readFileSync('/etc/hosts');
    // A world-traversable mount point for the checkout, which may sit under a 0700 directory.
    const pub = mkdtempSync(join(tmpdir(), 'lk-public-'));
    chmodSync(pub, 0o755);
    const argv = [...nsWithOverlay(hosts, scratch), process.execPath, join(work, 'driver.js'), CLI, DAEMON, work, TEAM, REPO, pub];
    const r = spawnSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      timeout: 300000,
      maxBuffer: 64 * 1024 * 1024,
    });
    // Nothing of this reached the machine's own /etc.
    expect(readFileSync('/etc/hosts')).toEqual(machineEtcHosts);
    expect(existsSync('/etc/loopkeeper/conf.d/vpn.yaml')).toBe(false);
    rmdirSync(pub);
    if (r.status !== 0) throw new Error(`driver failed (${r.status}): ${r.stderr}`);
    out = JSON.parse(r.stdout);
  });

  it('hosts add creates conf.d/local.yaml (version: 1, 0644, root), applies it: getent and lo agree', () => {
    const s = out.addHost;
    expect(s.code).toBe(0);
    expect(s.local).toBe('version: 1\nhosts:\n  web.test: [127.0.0.3, fd00::3]\n');
    expect(s.meta).toMatchObject({ mode: '644', uid: 0 });
    expect(s.stdout).toContain('Created /etc/loopkeeper/conf.d/local.yaml');
    expect(s.stdout).toMatch(/Done: \d+ added/);
    expect(s.web).toEqual(['127.0.0.3', 'fd00::3']);
    expect(s.api).toEqual(['127.0.0.2']);
    expect(s.addrs).toEqual(expect.arrayContaining(['127.0.0.2', '127.0.0.3', 'fd00::3']));
  });

  it('aliases add writes ranges as `range:` entries, skips what is already declared, and lo gets every address', () => {
    const s = out.addAliases;
    expect(s.code).toBe(0);
    expect(s.local).toBe('version: 1\nhosts:\n  web.test: [127.0.0.3, fd00::3]\naliases:\n  - range: 127.0.1.10-127.0.1.12\n  - range: 127.0.2.0/30\n');
    expect(s.stderr).toContain('127.0.0.2 is already declared at /etc/loopkeeper/loopkeeper.yaml:5:5; nothing to add');
    expect(s.addrs).toEqual(expect.arrayContaining(['127.0.1.10', '127.0.1.11', '127.0.1.12', '127.0.2.0', '127.0.2.3']));
    expect(out.addSame.code).toBe(0);
    expect(out.addSame.stderr).toContain('web.test is already declared with 127.0.0.3, fd00::3 at /etc/loopkeeper/conf.d/local.yaml:3:3; nothing to write');
  });

  it('an invalid edit writes nothing and exits 2 with FILE:LINE:COL', () => {
    expect(out.invalidName).toMatchObject({ code: 2, unchanged: true });
    expect(out.invalidName.stderr).toMatch(/^\/etc\/loopkeeper\/conf\.d\/local\.yaml:4:3: host name "bad_name\.test" contains `_`/m);
    expect(out.invalidName.stderr).toContain('this edit would make the config invalid (1 error(s)); nothing was written');
    expect(out.invalidAlias).toMatchObject({ code: 2, unchanged: true });
    expect(out.invalidAlias.stderr).toMatch(/^\/etc\/loopkeeper\/conf\.d\/local\.yaml:7:5: alias 10\.0\.0\.1 is outside the ranges aliases may use/m);
    expect(out.badAddress).toMatchObject({ code: 2, unchanged: true });
    expect(out.badAddress.stderr).toMatch(/^\/etc\/loopkeeper\/conf\.d\/local\.yaml:4:11: host `x\.test`: /m);
  });

  it('a name that maps elsewhere in another file is refused with both places and a hint', () => {
    expect(out.conflict).toMatchObject({ code: 2, unchanged: true });
    expect(out.conflict.stderr).toContain(
      '/etc/loopkeeper/conf.d/local.yaml:4:3: host `api.test` maps to 127.0.0.8 here but to 127.0.0.2 at /etc/loopkeeper/loopkeeper.yaml:8:3',
    );
    // The hint names the command as it was run (`node …/dist/cli/main.js`: no `loopkeeper` on PATH).
    expect(out.conflict.stderr).toContain(`hint: api.test is declared at /etc/loopkeeper/loopkeeper.yaml:8:3; to change it there: ${ran} hosts add --file /etc/loopkeeper/loopkeeper.yaml api.test 127.0.0.8`);
  });

  it('--profile writes conf.d/NAME.yaml; profile disable/enable renames it, byte for byte and inode for inode, and lo and the resolver follow', () => {
    expect(out.profileAdd).toMatchObject({ code: 0, vpn: 'version: 1\nhosts:\n  db.test: 127.0.0.4\n', db: ['127.0.0.4'] });
    expect(out.profileAdd.addrs).toContain('127.0.0.4');
    expect(out.profileList.stdout).toMatch(/enabled\s+local\s+7 alias\(es\) \(2 range\(s\)\), 1 name\(s\)\n\s+enabled\s+vpn\s+0 alias\(es\), 1 name\(s\)/);
    expect(out.profileDisable).toMatchObject({ code: 0, exists: false, disabled: true, ino: true, db: null });
    expect(out.profileDisable.addrs).not.toContain('127.0.0.4');
    const listed = JSON.parse(out.profileListJson.stdout);
    expect(listed.profiles.map((p: any) => [p.name, p.enabled, p.names])).toEqual([ // eslint-disable-line @typescript-eslint/no-explicit-any
      ['local', true, 1],
      ['vpn', false, 1],
    ]);
    expect(out.addToDisabled.code).toBe(2);
    expect(out.addToDisabled.stderr).toContain(`profile vpn is disabled (/etc/loopkeeper/conf.d/vpn.yaml.disabled); enable it first: ${ran} profile enable vpn`);
    expect(out.profileEnable).toMatchObject({ code: 0, same: true, ino: true, db: ['127.0.0.4'] });
  });

  it('hosts list --all: file:line and live state of each name, and the lines that are not loopkeeper\'s', () => {
    expect(out.hostsList.code).toBe(0);
    const doc = JSON.parse(out.hostsList.stdout);
    const byName = Object.fromEntries(doc.hosts.map((h: any) => [h.name, h])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(byName['api.test']).toMatchObject({ state: 'present', declaredAt: [{ file: '/etc/loopkeeper/loopkeeper.yaml', line: 8, col: 3 }] });
    expect(byName['web.test']).toMatchObject({ state: 'present', addresses: ['127.0.0.3', 'fd00::3'], declaredAt: [{ file: '/etc/loopkeeper/conf.d/local.yaml', line: 3, col: 3 }] });
    expect(byName['db.test']).toMatchObject({ state: 'present', declaredAt: [{ file: '/etc/loopkeeper/conf.d/vpn.yaml', line: 3, col: 3 }] });
    expect(doc.unmanaged).toEqual([
      { line: 1, address: '127.0.0.1', names: ['localhost'], section: null, managed: false },
      { line: 2, address: '::1', names: ['localhost'], section: null, managed: false },
      { line: 4, address: '192.168.65.2', names: ['host.docker.internal'], section: 'Docker Desktop', managed: false },
      { line: 6, address: '10.1.2.3', names: ['legacy.test'], section: null, managed: false },
    ]);
    expect(out.hostsListText.stdout).toMatch(/present\s+api\.test\s+127\.0\.0\.2\s+\/etc\/loopkeeper\/loopkeeper\.yaml:8/);
    expect(out.hostsListText.stdout).toMatch(/not managed\s+line 4\s+192\.168\.65\.2\s+host\.docker\.internal\s+\(Docker Desktop\)/);
  });

  it('aliases list: every entry with file:line and live state, aliases that come from hosts too', () => {
    const doc = JSON.parse(out.aliasesList.stdout);
    const byEntry = Object.fromEntries(doc.aliases.map((a: any) => [a.entry, a])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(byEntry['127.0.0.2']).toMatchObject({ kind: 'address', state: 'present', declaredAt: { file: '/etc/loopkeeper/loopkeeper.yaml', line: 5, col: 5 } });
    expect(byEntry['127.0.1.10-127.0.1.12']).toMatchObject({ kind: 'range', size: 3, present: 3, state: 'present', declaredAt: { line: 5 } });
    expect(byEntry['127.0.0.3']).toMatchObject({ declaredAt: null, fromHosts: ['web.test'], state: 'present' });
  });

  it('remove refuses a name declared in two files, naming both, and writes nothing; --file picks one', () => {
    expect(out.removeTwice.code).toBe(2);
    expect(out.removeTwice.stderr).toContain(
      'api.test is declared in 2 files (/etc/loopkeeper/loopkeeper.yaml:8:3, /etc/loopkeeper/conf.d/20-dup.yaml:3:3); say which with --file PATH',
    );
    expect(out.removeTwice.main).toBe(TEAM);
    expect(out.removeTwice.dup).toBe(true);
    expect(out.removeWithFile).toMatchObject({ code: 0, dup: 'version: 1\nhosts: {}\n', api: ['127.0.0.2'] });
  });

  it('remove takes the entry out of its file; the owned aliases and the hosts line go with it', () => {
    expect(out.removeHost).toMatchObject({ code: 0, web: null });
    expect(out.removeHost.local).toBe('version: 1\nhosts: {}\naliases:\n  - range: 127.0.1.10-127.0.1.12\n  - range: 127.0.2.0/30\n');
    expect(out.removeHost.addrs).not.toContain('127.0.0.3');
    expect(out.removeInRange.code).toBe(2);
    expect(out.removeInRange.stderr).toContain('127.0.1.11 is part of the range 127.0.1.10-127.0.1.12 at /etc/loopkeeper/conf.d/local.yaml:4:5');
    expect(out.removeRange.code).toBe(0);
    expect(out.removeRange.local).toBe('version: 1\nhosts: {}\naliases:\n  - range: 127.0.2.0/30\n');
    expect(out.removeRange.addrs).not.toContain('127.0.1.11');
    expect(out.removeRange.addrs).toContain('127.0.2.1');
    expect(out.removeMissing.code).toBe(2);
    expect(out.removeMissing.stderr).toContain('nope.test is not declared in any config file; nothing to remove');
  });

  it('--file edits the team file in place: its comments and layout are kept byte for byte', () => {
    const s = out.editTeamFile;
    expect(s.code).toBe(0);
    expect(s.main).toBe(TEAM.replace('  docs.test: [127.0.0.2, fd00::2]\n', '  docs.test: [127.0.0.2, fd00::2]\n  new.test: 127.0.0.5\n'));
    expect(s.mainMeta).toMatchObject({ mode: '644', uid: 0 });
    expect(s.resolved).toEqual(['127.0.0.5']);
    expect(out.fileOutside.code).toBe(2);
    expect(out.fileOutside.created).toBe(false);
    expect(out.fileOutside.stderr).toMatch(/elsewhere\.yaml is not one of the config files, so editing it would change nothing/);
  });

  it('not root: an edit writes nothing and prints the exact sudo command; the lists need no root', () => {
    expect(out.nobodyAdd).toMatchObject({ code: 1, unchanged: true });
    expect(out.nobodyAdd.stderr).toMatch(/needs root\. Run:\n {2}sudo .* hosts add nobody\.test 127\.0\.0\.11\n/);
    expect(out.nobodyList.stderr).toBe('');
    expect(out.nobodyList.code).toBe(0);
    expect(out.nobodyList.stdout).toMatch(/present\s+api\.test/);
    expect(out.nobodyProfiles).toMatchObject({ code: 0 });
    expect(out.nobodyProfiles.stdout).toMatch(/enabled\s+vpn/);
  });

  it('--config DIR reads DIR/*.yaml then DIR/conf.d/*.yaml, and edits go to DIR/conf.d/', () => {
    expect(out.dirAdd).toMatchObject({ code: 0, confd: 'version: 1\nhosts:\n  dir2.test: 127.0.0.8\n', etcUntouched: true, dir2: ['127.0.0.8'], dir1: ['127.0.0.7'] });
    const profiles = JSON.parse(out.dirProfiles.stdout);
    expect(profiles.dir).toMatch(/\/cfg\/conf\.d$/);
    expect(profiles.profiles.map((p: any) => p.name)).toEqual(['local']); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(out.dirValidate.stdout).toBe('2 file(s) valid: 2 aliases, 2 hosts\n');
  });

  it('--config FILE only: add needs --file; a name declared only there is not removed unless --file says so', () => {
    expect(out.fileOnlyAdd.code).toBe(2);
    expect(out.fileOnlyAdd.stderr).toContain('only files were given with --config, so there is no conf.d/ to write to');
    expect(out.fileOnlyRemove.code).toBe(2);
    expect(out.fileOnlyRemove.stderr).toMatch(/dir\.test is declared only at .*\/cfg\/team\.yaml:3:3, a file given with --config/);
    expect(out.fileOnlyRemove.team).toBe('version: 1\nhosts:\n  dir.test: 127.0.0.7\n');
  });

  it('with the daemon running, edits are reconciled by it', () => {
    expect(out.daemonReady.code).toBe(0);
    expect(out.daemonAdd.code).toBe(0);
    // The daemon's file watch may have applied it just before the reconcile the CLI asked for.
    expect(out.daemonAdd.stdout).toMatch(/^loopkeeperd: (Done: \d+ added|Nothing to do: the machine matches the config)/m);
    expect(out.daemonAdd.live).toEqual(['127.0.0.10']);
    expect(out.daemonAdd.addrs).toContain('127.0.0.10');
    expect(out.daemonDisable.code).toBe(0);
    expect(out.daemonDisable.stdout).toMatch(/loopkeeperd: /);
    expect(out.daemonDisable.db).toBeNull();
  });

  it('the hosts file outside the block is as it was', () => {
    expect(out.hostsFile.startsWith(HOSTS)).toBe(true);
  });
});
