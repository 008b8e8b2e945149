// The config-leak attack against the real daemon (as root, in a private network + mount
// namespace): a symlink to a root-only file planted in a conf.d that others can write. Before,
// the refused file was still parsed and its errors quoted its lines into /v1/status, which every
// local user can read. Now it is refused before it is read: no status field, no log line and no
// `validate` output holds its content, and nothing is applied (the hosts file is unchanged).
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asNobody, assertBuilt, cli, CLI, DAEMON } from '../helpers/cli';
import { http } from '../helpers/http-unix';
import { describeInNamespace, holdNamespace, type HeldNamespace } from '../helpers/namespace';

const SECRET = 'root:SECRET-hash-line:19000:0:99999:7:::\nSECRET-key: SECRET-value\naliases: [SECRET-alias]\n';
const HOSTS = '127.0.0.1 localhost\n';

describeInNamespace('security: a refused config file is never read', () => {
  let dir: string;
  let conf: string;
  let sock: string;
  let ns: HeldNamespace;
  let daemon: ChildProcess;
  let logs = '';

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lk-sec-config-'));
    chmodSync(dir, 0o755);
    conf = join(dir, 'etc-loopkeeper');
    mkdirSync(join(conf, 'conf.d'), { recursive: true });
    chmodSync(conf, 0o755);
    chmodSync(join(conf, 'conf.d'), 0o777); // the mistake the attacker uses
    writeFileSync(join(conf, 'loopkeeper.yaml'), 'version: 1\nhosts:\n  api.team.test: 127.0.0.1\n');
    const secretDir = join(dir, 'secret');
    mkdirSync(secretDir, { mode: 0o700 });
    writeFileSync(join(secretDir, 'shadow'), SECRET, { mode: 0o600 });
    symlinkSync(join(secretDir, 'shadow'), join(conf, 'conf.d', 'x.yaml')); // what the attacker plants
    writeFileSync(join(dir, 'hosts'), HOSTS);
    sock = join(dir, 'run', 'loopkeeper.sock');
    ns = await holdNamespace({ hostsFile: join(dir, 'hosts') });
    daemon = ns.spawn([process.execPath, DAEMON, '--config', join(conf, 'loopkeeper.yaml'), '--config', join(conf, 'conf.d'), '--socket', sock, '--state-dir', join(dir, 'state'), '--hosts-file', join(dir, 'hosts'), '--log-level', 'debug']);
    daemon.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    daemon.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
    for (let i = 0; ; i++) {
      const s = await http(sock, 'GET', '/v1/status').catch(() => null);
      if (s?.status === 200 && s.json.lastReconcile !== null) break;
      if (i > 600) throw new Error(`the daemon did not answer: ${logs.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(() => {
    daemon?.kill('SIGKILL');
    ns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('status (read by an unprivileged user) says why the file is refused and quotes none of it', () => {
    const r = asNobody([process.execPath, CLI, 'status', '--json'], { env: { PATH: process.env.PATH, LOOPKEEPER_SOCKET: sock } });
    expect(r.code).toBe(1); // answers, not Ready
    const doc = JSON.parse(r.stdout);
    expect(doc.config.valid).toBe(false);
    expect(doc.config.errors.join('\n')).toContain(`${join(conf, 'conf.d')} is writable by its group and others (mode 0777); loopkeeper runs as root and refuses it — fix: chmod go-w ${join(conf, 'conf.d')}`);
    expect(doc.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'ConfigInvalid' });
    expect(r.stdout).not.toMatch(/SECRET/);
    const human = asNobody([process.execPath, CLI, 'status'], { env: { PATH: process.env.PATH, LOOPKEEPER_SOCKET: sock } });
    expect(human.stdout + human.stderr).not.toMatch(/SECRET/);
  });

  it('the daemon’s logs, /metrics and the reconcile answer hold none of it; nothing was applied', async () => {
    const rec = await http(sock, 'POST', '/v1/reconcile');
    expect(rec.status).toBe(200);
    expect(rec.text).not.toMatch(/SECRET/);
    expect((await http(sock, 'GET', '/metrics')).text).not.toMatch(/SECRET/);
    expect(logs).toMatch(/config invalid; nothing from it is applied/);
    expect(logs).not.toMatch(/SECRET/);
    expect(readFileSync(join(dir, 'hosts'), 'utf8')).toBe(HOSTS);
  });

  it('`loopkeeper validate` as root refuses the file the same way, without its content', () => {
    const r = cli(['validate'], { LOOPKEEPER_CONFIG: `${join(conf, 'loopkeeper.yaml')}:${join(conf, 'conf.d')}` });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toMatch(/SECRET/);
    expect(r.stdout + r.stderr).toContain(`${join(conf, 'conf.d', 'x.yaml')}:1:1: ${join(conf, 'conf.d')} is writable by its group and others (mode 0777)`);
  });
});
