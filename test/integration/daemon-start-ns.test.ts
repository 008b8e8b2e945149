// loopkeeperd's start-up as SPEC "The daemon and its socket API" has it: a config that does not
// exist yet when the daemon starts is picked up once it is created (its directory watched from
// the nearest existing parent), in both layouts; and a daemon that is not root refuses to start,
// unless it is given a hosts file and a state dir it can write and a config without aliases.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { asNobody, assertBuilt, DAEMON, REPO } from '../helpers/cli';
import { http } from '../helpers/http-unix';
import { describeInNamespace, holdNamespace, type HeldNamespace } from '../helpers/namespace';
import { until } from '../helpers/wait';

const NOBODY = 65534;

function save(path: string, text: string): void {
  writeFileSync(`${path}.swp`, text);
  renameSync(`${path}.swp`, path);
}

describeInNamespace('loopkeeperd start-up: a config created later, and a daemon that is not root', () => {
  let dir: string;
  let ns: HeldNamespace;
  const daemons: ChildProcess[] = [];

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lk-daemon-start-'));
    chmodSync(dir, 0o755);
    ns = await holdNamespace();
  });

  // One daemon at a time: they share this namespace's lo, and an address carrying loopkeeper's
  // kernel mark is loopkeeper's to every instance — a daemon left running from an earlier test
  // would prune the next test's aliases on its schedule (as on a machine with two loopkeepers).
  afterEach(async () => {
    await Promise.all(
      daemons.splice(0).map(
        (d) =>
          new Promise<void>((resolve) => {
            if (d.exitCode !== null || d.signalCode !== null) return resolve();
            d.once('exit', () => resolve());
            d.kill('SIGKILL');
          }),
      ),
    );
  });

  afterAll(() => {
    for (const d of daemons) d.kill('SIGKILL');
    ns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function addresses(): string[] {
    const r = ns.run(['ip', '-j', 'addr', 'show', 'dev', 'lo']);
    return (JSON.parse(r.stdout) as { addr_info: { local: string }[] }[]).flatMap((i) => i.addr_info.map((a) => a.local));
  }

  async function startIn(name: string, configArg: string | null): Promise<{ sock: string; hosts: string; logs: () => string }> {
    const base = join(dir, name);
    mkdirSync(base);
    const sock = join(base, 'lk.sock');
    const hosts = join(base, 'hosts');
    writeFileSync(hosts, '127.0.0.1 localhost\n');
    let logs = '';
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LOOPKEEPER_')) clean[k] = v;
    const config = configArg === null ? [] : ['--config', configArg];
    const d = ns.spawn([process.execPath, DAEMON, ...config, '--socket', sock, '--state-dir', join(base, 'state'), '--hosts-file', hosts, '--log-level', 'debug'], { env: clean });
    daemons.push(d);
    d.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    d.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
    d.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') console.error(`loopkeeperd (${name}) exited (${code ?? signal}):\n${logs}`); // eslint-disable-line no-console
    });
    await until('the first reconcile', async () => (await http(sock, 'GET', '/v1/status')).json?.lastReconcile ?? undefined);
    return { sock, hosts, logs: () => logs };
  }

  /** The daemon logged a finished reconcile under `trigger` with result ok (log lines are in order). */
  const reconciledOk = (logs: () => string, trigger: string) =>
    until(`an ok ${trigger} reconcile`, () => new RegExp(`"trigger":"${trigger}","result":"ok","durationMs":\\d+,"msg":"reconcile finished"`).test(logs()));

  it('picks up a --config FILE whose directories do not exist yet at start-up (no restart)', async () => {
    const file = join(dir, 'root1', 'etc', 'team', 'loopkeeper.yaml'); // nothing of it exists yet, not even root1
    const d = await startIn('file-layout', file);
    expect((await http(d.sock, 'GET', '/v1/status')).json.config.valid).toBe(false);
    expect(addresses()).not.toContain('127.0.0.21');
    mkdirSync(dirname(file), { recursive: true });
    save(file, 'version: 1\naliases:\n  - 127.0.0.21\nhosts:\n  late.test: 127.0.0.21\nsettings:\n  schedule: "0 0 1 1 *"\n');
    await reconciledOk(d.logs, 'config');
    expect(addresses()).toContain('127.0.0.21');
    expect(readFileSync(d.hosts, 'utf8')).toContain('late.test');
    expect((await http(d.sock, 'GET', '/v1/status')).json.config).toMatchObject({ valid: true, files: [file] });
    expect(d.logs()).not.toMatch(/"level":50/);
  });

  it('picks up the default /etc/loopkeeper/loopkeeper.yaml and then conf.d/ created after start-up', async () => {
    // The namespace's own /etc: an overlay on the machine's (which has no /etc/loopkeeper), so
    // what is created there never reaches the machine.
    expect(existsSync('/etc/loopkeeper')).toBe(false);
    const scratch = join(dir, 'etc-overlay');
    mkdirSync(scratch);
    const mounted = ns.run(['sh', '-c', 'mount -t tmpfs tmpfs "$0" && mkdir "$0/upper" "$0/work" && mount -t overlay overlay -o lowerdir=/etc,upperdir="$0/upper",workdir="$0/work" /etc', scratch]);
    expect(mounted).toMatchObject({ code: 0, stderr: '' });
    const d = await startIn('default-layout', null);
    expect((await http(d.sock, 'GET', '/v1/status')).json.config.valid).toBe(false);
    const mark = d.logs().length;
    const put = ns.run(['sh', '-c', 'mkdir -p /etc/loopkeeper && cat > /etc/loopkeeper/.new.tmp && mv /etc/loopkeeper/.new.tmp /etc/loopkeeper/loopkeeper.yaml'], {
      input: 'version: 1\naliases:\n  - 127.0.0.25\nsettings:\n  schedule: "0 0 1 1 *"\n',
    });
    expect(put.code).toBe(0);
    await reconciledOk(() => d.logs().slice(mark), 'config');
    expect(addresses()).toContain('127.0.0.25');
    const conf = ns.run(['sh', '-c', 'mkdir /etc/loopkeeper/conf.d && cat > /etc/loopkeeper/conf.d/extra.yaml'], { input: 'version: 1\naliases:\n  - 127.0.0.26\n' });
    expect(conf.code).toBe(0);
    await until('127.0.0.26 (conf.d/extra.yaml) to be added', () => addresses().includes('127.0.0.26'));
    expect(existsSync('/etc/loopkeeper')).toBe(false);
  });

  it('picks up a config directory (--config DIR) created after start-up, with its conf.d', async () => {
    const cfgDir = join(dir, 'root2', 'srv', 'team-config');
    const d = await startIn('dir-layout', cfgDir);
    expect((await http(d.sock, 'GET', '/v1/status')).json.config.valid).toBe(false);
    mkdirSync(join(cfgDir, 'conf.d'), { recursive: true });
    save(join(cfgDir, 'conf.d', 'a.yaml'), 'version: 1\naliases:\n  - 127.0.0.23\nsettings:\n  schedule: "0 0 1 1 *"\n');
    await reconciledOk(d.logs, 'config');
    expect(addresses()).toContain('127.0.0.23');
    save(join(cfgDir, 'team.yaml'), 'version: 1\naliases:\n  - 127.0.0.24\n');
    await until('127.0.0.24 (DIR/team.yaml) to be added', () => addresses().includes('127.0.0.24'));
    expect((await http(d.sock, 'GET', '/v1/status')).json.config).toMatchObject({ valid: true });
  });

  it('refuses to start when not root, saying why (exit 1): the default /etc/hosts is not its to write', () => {
    const sockDir = join(dir, 'nobody-refused');
    mkdirSync(sockDir);
    const r = asNobody([process.execPath, DAEMON, '--config', join(sockDir, 'none.yaml'), '--socket', join(sockDir, 'lk.sock'), '--state-dir', join(sockDir, 'state')], {
      env: { PATH: process.env.PATH },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^loopkeeperd: loopkeeperd is not root \(uid 65534\), so it could change nothing: adding loopback aliases needs root, and it cannot write the hosts file \/etc\/hosts; it cannot create the state dir .*\. Run it as root \(the service does: `sudo loopkeeper install`\), or — for a test or a demo without root — give it a --hosts-file and a --state-dir this user can write and a config that declares no alias\.$/m);
    expect(r.stdout).toMatch(/"level":60/); // the same, as a log line (journald)
  });

  it('refuses to start when not root and the config declares aliases, even with writable paths', () => {
    const base = join(dir, 'nobody-aliases');
    mkdirSync(base);
    chownSync(base, NOBODY, NOBODY);
    writeFileSync(join(base, 'hosts'), '127.0.0.1 localhost\n');
    chownSync(join(base, 'hosts'), NOBODY, NOBODY);
    writeFileSync(join(base, 'c.yaml'), 'version: 1\naliases:\n  - 127.0.0.31\n  - 127.0.0.32\n', { mode: 0o644 });
    const r = asNobody(
      [process.execPath, DAEMON, '--config', join(base, 'c.yaml'), '--socket', join(base, 'lk.sock'), '--state-dir', join(base, 'state'), '--hosts-file', join(base, 'hosts')],
      { env: { PATH: process.env.PATH } },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not root \(uid 65534\).*the config declares 2 alias\(es\) \(.*c\.yaml\)/);
  });

  it('runs without root for a demo: writable hosts file and state dir, no alias desired', async () => {
    const base = join(dir, 'nobody-demo');
    mkdirSync(base);
    chownSync(base, NOBODY, NOBODY);
    const hosts = join(base, 'hosts');
    writeFileSync(hosts, '127.0.0.1 localhost\n');
    chownSync(hosts, NOBODY, NOBODY);
    writeFileSync(join(base, 'c.yaml'), 'version: 1\nhosts:\n  demo.test: 127.0.0.1\n', { mode: 0o644 });
    const sock = join(base, 'lk.sock');
    // asNobody, but spawned (a daemon keeps running): REPO bind-mounted where user 65534 can reach it.
    const mnt = mkdtempSync(join(tmpdir(), 'lk-public-'));
    chmodSync(mnt, 0o755);
    const script = 'mount --bind "$0" "$1" && shift && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"';
    const argv = [process.execPath, join(mnt, 'dist', 'daemon', 'main.js'), '--config', join(base, 'c.yaml'), '--socket', sock, '--state-dir', join(base, 'state'), '--hosts-file', hosts];
    const d = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, REPO, mnt, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    daemons.push(d);
    let logs = '';
    d.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    d.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
    const exited = new Promise<number | null>((r) => d.once('exit', (code) => r(code)));
    try {
      await until('the demo daemon to converge', async () => (await http(sock, 'GET', '/v1/health')).status === 200);
      expect(readFileSync(hosts, 'utf8')).toMatch(/# BEGIN loopkeeper[^]*127\.0\.0\.1\tdemo\.test[^]*# END loopkeeper/);
      expect(logs).toContain('"msg":"not root: running for a test or demo (writable hosts file and state dir, no alias desired)"');
    } finally {
      d.kill('SIGTERM');
      await exited;
      try {
        rmdirSync(mnt);
      } catch {
        /* still busy: an empty directory in /tmp */
      }
    }
  });
});
