// `status` and `reconcile` with no daemon: exit 4, say so, and (status) show the local plan.
// Runs the built CLI as a user would; touches nothing (plan only, temp paths).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, cli } from '../helpers/cli';

/** A socket file left behind by a process that died without closing it (as after a crash). */
function staleSocket(path: string): void {
  const r = spawnSync(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", path]);
  if (r.signal !== 'SIGKILL') throw new Error(`could not leave a stale socket: ${String(r.stderr)}`);
}

describe('CLI without a daemon', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lk-status-'));
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(dir, 'c.yaml'), 'version: 1\nhosts:\n  api.myteam.test: 127.0.0.1\n');
    env = {
      LOOPKEEPER_SOCKET: join(dir, 'nothing.sock'),
      LOOPKEEPER_CONFIG: join(dir, 'c.yaml'),
      LOOPKEEPER_HOSTS_FILE: join(dir, 'hosts'),
      LOOPKEEPER_STATE_DIR: join(dir, 'state'),
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('status: exit 4, says the daemon is not running, shows the local plan', () => {
    const r = cli(['status'], env);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/loopkeeperd is not reachable on .*nothing\.sock: no socket there/);
    expect(r.stdout).toMatch(/loopkeeperd is not running/);
    expect(r.stdout).toMatch(/\+ host {2}api\.myteam\.test 127\.0\.0\.1/);
  });

  it('status --json: one JSON document with reachable false and the plan', () => {
    const r = cli(['status', '--json'], env);
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout);
    expect(doc.reachable).toBe(false);
    expect(doc.config.valid).toBe(true);
    expect(doc.plan.dryRun).toBe(true);
    expect(doc.plan.changes).toContainEqual(expect.objectContaining({ kind: 'hosts', action: 'add', name: 'api.myteam.test' }));
    expect(doc.plan.hosts[0]).toMatchObject({ name: 'api.myteam.test', state: 'missing' });
  });

  it('status: exit 4 whatever the local config says (invalid config)', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'version: 2\n');
    const r = cli(['status', '--json'], { ...env, LOOPKEEPER_CONFIG: join(dir, 'bad.yaml') });
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout);
    expect(doc.config.valid).toBe(false);
    expect(doc.plan).toBeNull();
  });

  it('status: a stale socket (nothing listening) is "not reachable", exit 4', async () => {
    const sock = join(dir, 'stale.sock');
    staleSocket(sock);
    expect(statSync(sock).isSocket()).toBe(true);
    const r = cli(['status'], { ...env, LOOPKEEPER_SOCKET: sock });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/nothing is listening/);
  });

  it('reconcile: exit 4 and points to `apply`, named as the CLI was run', () => {
    const r = cli(['reconcile'], env);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/not reachable[\s\S]*\(to reconcile without the daemon: (node|\S+\/node) \S+\/dist\/cli\/main\.js apply\)/);
  });

  it('reconcile --json: one JSON document', () => {
    const r = cli(['reconcile', '--json'], env);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({ reachable: false });
  });

  it('plan touches nothing and apply as a non-root user without a terminal prints the sudo command', () => {
    if (process.getuid?.() !== 0) return; // needs root to switch to an unprivileged user
    const { CLI, asNobody } = require('../helpers/cli') as typeof import('../helpers/cli');
    const { chmodSync } = require('node:fs') as typeof import('node:fs');
    chmodSync(dir, 0o755);
    for (const f of ['hosts', 'c.yaml']) chmodSync(join(dir, f), 0o644);
    const r = asNobody([process.execPath, CLI, 'apply'], { env: { PATH: process.env.PATH, NO_COLOR: '1', ...env } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs root\. Run:\n {2}sudo \S+ \S+main\.js --config \S+c\.yaml --hosts-file \S+hosts --socket \S+ --state-dir \S+ apply\n/);
  });
});
