// `loopkeeper doctor` as a user runs it, against a real `lo`, a real resolver and real listeners —
// inside private namespaces, with a temp file bind-mounted over /etc/hosts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeInNamespace, runInNamespace } from '../helpers/namespace';
import { CLI, assertBuilt } from '../helpers/cli';

const HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost',
  '# BEGIN loopkeeper (managed, edits here are overwritten)',
  '127.0.0.2\tapi.myteam.test',
  '127.0.0.3\tweb.myteam.test',
  'fd00::2\tweb.myteam.test',
  '# END loopkeeper',
  '',
].join('\n');

const CONFIG_OK = `version: 1
aliases:
  - 127.0.0.2
  - 127.0.0.3
  - fd00::2
hosts:
  api.myteam.test: 127.0.0.2
  web.myteam.test: [127.0.0.3, fd00::2]
`;

// fd00::3 is desired but never added: unlike 127/8 (routed to lo whole on Linux) it cannot bind.
const CONFIG_MISSING = `version: 1
aliases:
  - fd00::2
  - fd00::3
`;

// Child processes that listen: a TCP server, or a stand-in daemon answering /v1/health on a socket.
const LISTEN = `
const [kind, a, b] = process.argv.slice(2);
const ready = () => process.stdout.write('up\\n');
if (kind === 'tcp') require('node:net').createServer().listen({ host: a, port: Number(b), ipv6Only: true }, ready);
else require('node:http').createServer((req, res) => { res.writeHead(req.url === '/v1/health' ? 200 : 404); res.end('{}'); }).listen(a, ready);
`;

const DRIVER = `
const { spawn, spawnSync } = require('node:child_process');
const [cli, dir, P, Q] = process.argv.slice(2);
const run = (argv, env = {}) => { const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } }); return { code: r.status, stdout: r.stdout, stderr: r.stderr }; };
const start = (...args) => new Promise((resolve, reject) => {
  const c = spawn(process.execPath, [dir + '/listen.js', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  c.stdout.once('data', () => resolve(c));
  c.once('exit', (code) => reject(new Error('listener ' + args.join(' ') + ' exited ' + code)));
});
(async () => {
  const out = {};
  out.add = ['127.0.0.2/32', '127.0.0.3/32', 'fd00::2/128'].map((a) => run(['ip', 'addr', 'add', a, 'dev', 'lo']).code);
  const socket = dir + '/daemon.sock';
  const env = { LOOPKEEPER_SOCKET: socket, LOOPKEEPER_STATE_DIR: dir + '/state' };
  const lk = (cfg, ...a) => run([process.execPath, cli, '--config', dir + '/' + cfg, ...a], env);
  const noDaemon = (cfg, ...a) => run([process.execPath, cli, '--config', dir + '/' + cfg, ...a], { ...env, LOOPKEEPER_SOCKET: dir + '/nothing.sock' });
  out.noDaemon = noDaemon('ok.yaml', 'doctor', '--json');
  out.noDaemonMissing = noDaemon('missing.yaml', 'doctor', '--json');
  const children = [await start('health', socket), await start('tcp', '127.0.0.1', P), await start('tcp', '127.0.0.1', Q), await start('tcp', '::1', Q)];
  out.healthy = lk('ok.yaml', 'doctor', '--json', '--port', P);
  out.human = lk('ok.yaml', 'doctor', '--port', P);
  out.trap = lk('ok.yaml', 'doctor', '--json', '--port', Q);
  out.missing = lk('missing.yaml', 'doctor', '--json');
  out.badPort = lk('ok.yaml', 'doctor', '--port', 'http');
  out.pids = children.map((c) => c.pid);
  for (const c of children) c.kill();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

interface Check {
  id: string;
  status: string;
  detail: string;
  hints?: string[];
  data?: any;
}

function byId(doc: { checks: Check[] }): Record<string, Check> {
  return Object.fromEntries(doc.checks.map((c) => [c.id, c]));
}

describeInNamespace('loopkeeper doctor against a real lo, resolver and listeners', () => {
  let out: Record<string, any>;
  const P = 4000;
  const Q = 4001;
  beforeAll(() => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'lk-ns-doctor-'));
    const hosts = join(dir, 'hosts');
    writeFileSync(hosts, HOSTS);
    writeFileSync(join(dir, 'ok.yaml'), CONFIG_OK);
    writeFileSync(join(dir, 'missing.yaml'), CONFIG_MISSING);
    writeFileSync(join(dir, 'listen.js'), LISTEN);
    writeFileSync(join(dir, 'driver.js'), DRIVER);
    const realHosts = readFileSync('/etc/hosts');
    const r = runInNamespace([process.execPath, join(dir, 'driver.js'), CLI, dir, String(P), String(Q)], { hostsFile: hosts });
    expect(readFileSync('/etc/hosts')).toEqual(realHosts);
    if (r.code !== 0) throw new Error(`driver failed (${r.code}): ${r.stderr}`);
    out = JSON.parse(r.stdout);
  });

  it('finds a healthy machine healthy: exit 0, one JSON document, ok: true', () => {
    expect(out.add).toEqual([0, 0, 0]);
    const doc = JSON.parse(out.healthy.stdout);
    expect(Object.keys(doc)).toEqual(['checks', 'ok']);
    const failing = doc.checks.filter((c: Check) => c.status === 'fail');
    expect(failing).toEqual([]);
    expect(doc.ok).toBe(true);
    expect(out.healthy.code).toBe(0);
  });

  it('binds every desired alias and resolves every name through the system resolver in order', () => {
    const c = byId(JSON.parse(out.healthy.stdout));
    expect(c['config']!.status).toBe('ok');
    expect(c['daemon']!.status).toBe('ok');
    expect(c['aliases-bindable']).toMatchObject({ status: 'ok', detail: 'all 3 desired aliases bind' });
    expect(c['hosts-resolve']).toMatchObject({ status: 'ok' });
    expect(c['hosts-resolve']!.data.hosts.map((h: any) => [h.name, h.resolved])).toEqual([
      ['api.myteam.test', ['127.0.0.2']],
      // glibc sorts the README's dual-stack example fd00::2 first: ok, with a note (SPEC), not a warning.
      ['web.myteam.test', ['fd00::2', '127.0.0.3']],
    ]);
    expect(c['hosts-resolve']!.data.hosts[1]).toMatchObject({ verdict: 'sorted', sortedBy: 'glibc' });
    expect(c['hosts-resolve']!.hints![0]).toMatch(/^web\.myteam\.test resolves to fd00::2, 127\.0\.0\.3 \(declared 127\.0\.0\.3, fd00::2\)/);
    expect(c['hosts-shadowed']!.status).toBe('ok');
    expect(c['localhost']!.data.addresses).toEqual(expect.arrayContaining(['127.0.0.1', '::1']));
  });

  it('finds the listener on 127.0.0.1:P with its pid and process', () => {
    const port = byId(JSON.parse(out.healthy.stdout))[`port-${P}`]!;
    expect(port.status).toBe('ok');
    expect(port.data.listeners).toEqual([{ address: '127.0.0.1', port: P, sockets: 1, owners: [{ pid: out.pids[1], process: 'node' }], hidden: false }]);
  });

  it('without a daemon: a warning while the machine matches the config (exit 0), a problem when an alias is missing (exit 1)', () => {
    const matches = byId(JSON.parse(out.noDaemon.stdout));
    expect(matches['daemon']).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^not running: nothing listens on \S+nothing\.sock; the machine matches the config now, but nothing repairs drift$/) });
    expect(out.noDaemon.code).toBe(0);
    const missing = byId(JSON.parse(out.noDaemonMissing.stdout));
    expect(missing['daemon']).toMatchObject({ status: 'fail', data: { missing: { aliases: 1, hosts: 0 } } });
    expect(out.noDaemonMissing.code).toBe(1);
  });

  it('fails on the classic trap: different processes on 127.0.0.1:Q and [::1]:Q', () => {
    expect(out.trap.code).toBe(1);
    const port = byId(JSON.parse(out.trap.stdout))[`port-${Q}`]!;
    expect(port.status).toBe('fail');
    expect(port.data.listeners.map((l: any) => [l.address, l.owners[0].pid])).toEqual(
      expect.arrayContaining([
        ['127.0.0.1', out.pids[2]],
        ['::1', out.pids[3]],
      ]),
    );
  });

  it('fails on a desired alias that is not on lo, naming it', () => {
    expect(out.missing.code).toBe(1);
    const c = byId(JSON.parse(out.missing.stdout));
    expect(c['aliases-bindable']).toMatchObject({ status: 'fail', data: { failed: [{ address: 'fd00::3', error: 'EADDRNOTAVAIL' }] } });
  });

  it('prints a readable list without colour when NO_COLOR is set, and refuses a bad --port with exit 2', () => {
    expect(out.human.code).toBe(0);
    expect(out.human.stdout).toMatch(/^ {2}ok {4}aliases bindable +all 3 desired aliases bind$/m);
    expect(out.human.stdout).toMatch(/healthy: \d+ ok/);
    expect(out.human.stdout).not.toMatch(/\u001b/);
    expect(out.badPort.code).toBe(2);
    expect(out.badPort.stderr).toMatch(/--port "http" is not a port number/);
  });
});
