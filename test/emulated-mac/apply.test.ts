// The one-shot commands on an emulated Mac (test/helpers/fake-mac/machine.ts): `apply` adds IPv4,
// IPv6 and ranges through Apple's ifconfig grammar on a real lo0, writes the hosts block and
// flushes mDNSResponder's caches; a second apply runs nothing; ownership comes only from looking
// right before each add (macOS's ifconfig succeeds silently on an existing address); prune and
// down remove only what loopkeeper added.
import { parseIfconfig } from '../../src/platform/ifconfig';
import { BREW_NODE, EmulatedMac, MACOS_DEFAULT_HOSTS, PKG_INSIDE, builtRepo, describeOnEmulatedMac } from '../helpers/fake-mac/machine';

const CONFIG = `version: 1
aliases:
  - 127.0.0.2
  - fd00::2
  - range: 127.0.1.10-127.0.1.12
  - range: 127.0.2.0/30
  - 127.0.0.50
hosts:
  api.myteam.test: 127.0.0.2
  web.myteam.test: [127.0.0.3, fd00::2]
`;
const ADDED = ['127.0.0.2', 'fd00::2', '127.0.1.10', '127.0.1.11', '127.0.1.12', '127.0.2.0', '127.0.2.1', '127.0.2.2', '127.0.2.3', '127.0.0.3'];

describeOnEmulatedMac('apply, prune and down on an emulated Mac', () => {
  let mac: EmulatedMac;
  const callsSince = (n: number) => mac.calls().slice(n);

  beforeAll(async () => {
    mac = await EmulatedMac.create({ repo: builtRepo() });
    await mac.start();
  });
  afterAll(async () => {
    await mac?.destroy();
  });

  function ownedAliases(): string[] {
    return (JSON.parse(mac.readFile('/var/db/loopkeeper/state.json') ?? '{}') as { owned?: string[] }).owned ?? [];
  }

  it('the machine is a Mac to the code under test: darwin, lo0 with only its own addresses bindable', () => {
    const probe = mac.ok([
      BREW_NODE,
      '-e',
      `const d = require('node:dgram'); const s = d.createSocket('udp4');
       s.on('error', (e) => { console.log(JSON.stringify({ platform: process.platform, execPath: process.execPath, bind: e.code })); process.exit(0); });
       s.bind(0, '127.0.0.9', () => { console.log('bound'); process.exit(0); });`,
    ]);
    // As on macOS, 127.0.0.9 needs its alias before anything can bind it (on Linux all of 127/8 binds).
    expect(JSON.parse(probe)).toEqual({ platform: 'darwin', execPath: '/opt/homebrew/Cellar/node/22.1.0/bin/node', bind: 'EADDRNOTAVAIL' });
    // Apple's /var/run: a real directory, root:daemon 0775 (the daemon's socket goes there).
    expect(mac.ok(['stat', '-c', '%F %u:%g %a', '/private/var/run']).trim()).toBe('directory 0:1 775');
    expect(parseIfconfig(mac.ok(['/sbin/ifconfig', 'lo0'])).map((i) => [i.name, i.up, i.addresses.map((a) => a.address)])).toEqual([
      ['lo0', true, ['127.0.0.1', '::1', 'fe80::1']],
    ]);
  });

  it('apply: IPv4, IPv6 and ranges with the SPEC argv, the hosts block, both DNS flushes; an alias that was there is not claimed', () => {
    // Another program's alias, also desired: present, so never added and never owned.
    mac.ok(['/sbin/ifconfig', 'lo0', 'alias', '127.0.0.50', 'netmask', '255.255.255.255']);
    mac.writeFile('/etc/loopkeeper/loopkeeper.yaml', CONFIG);
    const before = mac.calls().length;
    const r = mac.loopkeeper(['apply', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { changes: Array<{ kind: string; action: string; address?: string }> };
    expect(report.changes.filter((c) => c.kind === 'alias').map((c) => c.address).sort()).toEqual([...ADDED].sort());

    const calls = callsSince(before);
    const ifconfig = calls.filter((c) => c.tool === 'ifconfig').map((c) => c.argv.join(' '));
    expect(ifconfig.filter((a) => a !== 'lo0').sort()).toEqual(
      ADDED.map((a) => (a.includes(':') ? `lo0 inet6 alias ${a} prefixlen 128` : `lo0 alias ${a} netmask 255.255.255.255`)).sort(),
    );
    // The hosts file changed: dscacheutil, then killall -HUP mDNSResponder, once each.
    expect(calls.filter((c) => c.tool === 'dscacheutil' || c.tool === 'killall').map((c) => `${c.tool} ${c.argv.join(' ')}`)).toEqual([
      'dscacheutil -flushcache',
      'killall -HUP mDNSResponder',
    ]);
    expect(mac.readFile('/var/log/fake-mac/mDNSResponder.log')).toMatch(/SIGHUP: caches flushed\n$/);

    const lo0 = mac.lo0();
    for (const a of [...ADDED, '127.0.0.50']) expect(lo0).toContain(a);
    const shown = parseIfconfig(mac.ok(['/sbin/ifconfig', 'lo0']))[0]!.addresses;
    expect(shown.find((a) => a.address === '127.0.1.11')).toEqual({ family: 4, address: '127.0.1.11', prefixLength: 32 });
    expect(shown.find((a) => a.address === 'fd00::2')).toEqual({ family: 6, address: 'fd00::2', prefixLength: 128 });
    expect(ownedAliases().sort()).toEqual([...ADDED].sort());

    const hosts = mac.readFile('/etc/hosts')!;
    expect(hosts.startsWith(MACOS_DEFAULT_HOSTS)).toBe(true);
    expect(hosts.slice(MACOS_DEFAULT_HOSTS.length)).toBe(
      '# BEGIN loopkeeper (managed, edits here are overwritten)\n127.0.0.2\tapi.myteam.test\n127.0.0.3\tweb.myteam.test\nfd00::2\tweb.myteam.test\n# END loopkeeper\n',
    );
    // What was added is really there: a server can bind the aliases, and the names resolve.
    const check = mac.ok([
      BREW_NODE,
      '-e',
      `const net = require('node:net'); const dns = require('node:dns');
       const s = net.createServer().listen({ host: 'fd00::2', port: 0 }, () => dns.lookup('api.myteam.test', (e, a) => { console.log(a); process.exit(0); }));`,
    ]);
    expect(check.trim()).toBe('127.0.0.2');
  });

  it('a second apply runs no process and writes nothing (the hosts file keeps its mtime)', () => {
    const mtime = () => mac.ok(['stat', '-c', '%Y.%y', '/private/etc/hosts']);
    const before = mac.calls().length;
    const stamp = mtime();
    const r = mac.loopkeeper(['apply', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { changes: unknown[]; spawned?: number };
    expect(doc.changes).toEqual([]);
    // Nothing through the runner (which counts every process loopkeeper starts), no fake called.
    expect(doc.spawned).toBe(0);
    expect(callsSince(before)).toEqual([]);
    expect(mtime()).toBe(stamp);
  });

  it('an alias another program adds the moment loopkeeper is adding aliases is not claimed, so prune leaves it', () => {
    // "Another program" adds 127.0.0.7 right after loopkeeper's ifconfig for 127.0.0.6, i.e. after
    // loopkeeper planned to add both. ifconfig would have accepted 127.0.0.7 again silently.
    mac.writeFile('/etc/fake-mac/another-program.json', JSON.stringify({ '127.0.0.6': ['127.0.0.7'] }));
    mac.writeFile('/etc/loopkeeper/loopkeeper.yaml', CONFIG.replace('  - 127.0.0.50\n', '  - 127.0.0.50\n  - 127.0.0.6\n  - 127.0.0.7\n'));
    const before = mac.calls().length;
    const r = mac.loopkeeper(['apply', '--json']);
    expect(r.code).toBe(0);
    expect(callsSince(before).filter((c) => c.tool === 'ifconfig').map((c) => c.argv.join(' '))).toEqual(['lo0 alias 127.0.0.6 netmask 255.255.255.255']);
    expect(ownedAliases()).toContain('127.0.0.6');
    expect(ownedAliases()).not.toContain('127.0.0.7');
    mac.ok(['rm', '/etc/fake-mac/another-program.json']);

    // No longer desired: loopkeeper removes its own 127.0.0.6 and the range, never 127.0.0.7 or 127.0.0.50.
    mac.writeFile('/etc/loopkeeper/loopkeeper.yaml', 'version: 1\naliases:\n  - 127.0.0.2\n  - fd00::2\nhosts:\n  api.myteam.test: 127.0.0.2\n');
    const pruned = mac.loopkeeper(['apply', '--json']);
    expect(pruned.code).toBe(0);
    const lo0 = mac.lo0();
    expect(lo0).toEqual(expect.arrayContaining(['127.0.0.2', 'fd00::2', '127.0.0.7', '127.0.0.50']));
    for (const gone of ['127.0.0.6', '127.0.0.3', '127.0.1.10', '127.0.2.3']) expect(lo0).not.toContain(gone);
    expect(mac.calls().filter((c) => c.tool === 'ifconfig' && c.argv.includes('-alias')).map((c) => c.argv[2])).not.toContain('127.0.0.7');
    expect(ownedAliases().sort()).toEqual(['127.0.0.2', 'fd00::2']);
  });

  it('two applies at once: a Mac has no flock, so the pid-file state lock serialises them; each alias added once, all owned', async () => {
    // Nothing Linux-only is on this Mac (machine.ts): the lock is the pid file, the runner spawns
    // ifconfig without setpriv.
    for (const p of ['/usr/bin/flock', '/bin/flock', '/usr/bin/setpriv', '/usr/sbin/ip']) expect(mac.exists(p)).toBe(false);
    mac.ok(['mkfifo', '/private/tmp/held', '/private/tmp/release']);
    mac.writeFile('/etc/fake-mac/hold.json', JSON.stringify({ '127.0.0.61': { held: '/private/tmp/held', release: '/private/tmp/release' } }));
    const config = 'version: 1\naliases:\n  - 127.0.0.2\n  - fd00::2\n  - range: 127.0.0.60-127.0.0.63\nhosts:\n  api.myteam.test: 127.0.0.2\n';
    mac.writeFile('/etc/loopkeeper/loopkeeper.yaml', config);
    const before = mac.calls().length;
    const run = (argv: string[]) => {
      const child = mac.spawn([BREW_NODE, `${PKG_INSIDE}/dist/cli/main.js`, ...argv]);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      const waiting = new Promise<void>((resolve) =>
        child.stderr!.on('data', (c: Buffer) => {
          stderr += c.toString('utf8');
          if (/waiting for another loopkeeper \(pid \d+/.test(stderr)) resolve();
        }),
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      return { waiting, exited, out: () => ({ stdout, stderr }) };
    };
    const first = run(['apply']);
    // Returns once the first apply's ifconfig for 127.0.0.61 is running: it holds the state lock.
    mac.ok(['cat', '/private/tmp/held']);
    expect(mac.exists('/var/db/loopkeeper/lock.pid')).toBe(true);
    const second = run(['apply']);
    await second.waiting;
    mac.ok(['sh', '-c', 'echo go > /private/tmp/release']);
    const [a, b] = await Promise.all([first.exited, second.exited]);
    expect({ code: a, ...first.out() }).toMatchObject({ code: 0 });
    expect({ code: b, ...second.out() }).toMatchObject({ code: 0 });
    mac.ok(['rm', '/etc/fake-mac/hold.json', '/private/tmp/held', '/private/tmp/release']);
    // The second one looked again once it had the lock and found nothing left to do.
    const adds = callsSince(before).filter((c) => c.tool === 'ifconfig' && c.argv.includes('alias')).map((c) => c.argv[2]);
    expect(adds.sort()).toEqual(['127.0.0.60', '127.0.0.61', '127.0.0.62', '127.0.0.63']);
    expect(ownedAliases().sort()).toEqual(['127.0.0.2', '127.0.0.60', '127.0.0.61', '127.0.0.62', '127.0.0.63', 'fd00::2']);
    expect(mac.exists('/var/db/loopkeeper/lock.pid')).toBe(false);
    expect(mac.exists('/var/db/loopkeeper/lock')).toBe(false);
  });

  it('down removes what loopkeeper added and the block, and nothing else', () => {
    const r = mac.loopkeeper(['down']);
    expect(r.code).toBe(0);
    const lo0 = mac.lo0();
    expect(lo0).not.toContain('127.0.0.2');
    expect(lo0).not.toContain('fd00::2');
    expect(lo0).toEqual(expect.arrayContaining(['127.0.0.1', '::1', 'fe80::1', '127.0.0.7', '127.0.0.50']));
    expect(mac.readFile('/etc/hosts')).toBe(MACOS_DEFAULT_HOSTS);
  });
});
