// loopkeeperd as launchd/systemd would run it, in a private network + mount namespace with a
// temp config, socket, state dir and a temp file bind-mounted over /etc/hosts. The test talks to
// it as a user would: the CLI and raw HTTP over the socket.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asNobody, assertBuilt, cli, CLI, DAEMON } from '../helpers/cli';
import { http, idle, raw } from '../helpers/http-unix';
import { describeInNamespace, holdNamespace, type HeldNamespace } from '../helpers/namespace';
import { until } from '../helpers/wait';

const ORIGINAL = '127.0.0.1\tlocalhost\r\n::1\tlocalhost ip6-localhost\r\n# my own line\r\n10.1.2.3 intranet.example';

function config(extra: { aliases?: string[]; hosts?: Record<string, string | string[]> } = {}): string {
  const aliases = ['127.0.0.2', '127.0.0.3', 'fd00::2', ...(extra.aliases ?? [])];
  const hosts: Record<string, string | string[]> = {
    'api.myteam.test': '127.0.0.2',
    'web.myteam.test': ['127.0.0.3', 'fd00::2'],
    ...(extra.hosts ?? {}),
  };
  return [
    'version: 1',
    'aliases:',
    ...aliases.map((a) => `  - ${a}`),
    'hosts:',
    ...Object.entries(hosts).map(([n, a]) => `  ${n}: ${Array.isArray(a) ? `[${a.join(', ')}]` : a}`),
    'settings:',
    '  schedule: "0 0 1 1 *"',
    '',
  ].join('\n');
}

describeInNamespace('loopkeeperd in a private namespace', () => {
  let dir: string;
  let hosts: string;
  let cfg: string;
  let sock: string;
  let state: string;
  let ns: HeldNamespace;
  let daemon: ChildProcess;
  let logs = '';
  let logWaits: { re: RegExp; from: number; res: () => void }[] = [];
  const onLog = (c: Buffer): void => {
    logs += c.toString();
    const met = logWaits.filter((w) => w.re.test(logs.slice(w.from)));
    logWaits = logWaits.filter((w) => !met.includes(w));
    for (const w of met) w.res();
  };
  /** Resolves when the daemon logs (or has logged since offset `from`) a line matching `re`: on each log chunk, no polling. */
  const logged = (re: RegExp, from: number): Promise<void> =>
    re.test(logs.slice(from)) ? Promise.resolve() : new Promise((res) => logWaits.push({ re, from, res }));
  let exit: Promise<number | null>;
  const env = (): NodeJS.ProcessEnv => ({ LOOPKEEPER_SOCKET: sock, LOOPKEEPER_CONFIG: cfg, LOOPKEEPER_HOSTS_FILE: hosts, LOOPKEEPER_STATE_DIR: state });

  function addresses(): string[] {
    const r = ns.run(['ip', '-j', 'addr', 'show', 'dev', 'lo']);
    const parsed = JSON.parse(r.stdout) as { addr_info: { local: string }[] }[];
    return parsed.flatMap((i) => i.addr_info.map((a) => a.local));
  }

  function writeConfig(text: string): void {
    // as editors save: a temp file renamed over the original
    writeFileSync(`${cfg}.swp`, text);
    renameSync(`${cfg}.swp`, cfg);
  }

  async function status(): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return (await http(sock, 'GET', '/v1/status')).json;
  }

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lk-daemon-ns-'));
    hosts = join(dir, 'hosts');
    cfg = join(dir, 'loopkeeper.yaml');
    sock = join(dir, 'run', 'loopkeeper.sock');
    state = join(dir, 'state');
    writeFileSync(hosts, ORIGINAL);
    writeFileSync(cfg, config());
    ns = await holdNamespace({ hostsFile: hosts });
    ns.run(['ip', 'addr', 'add', '127.0.0.9/32', 'dev', 'lo']); // somebody else's alias
    daemon = ns.spawn([process.execPath, DAEMON, '--config', cfg, '--socket', sock, '--state-dir', state, '--log-level', 'debug']);
    daemon.stdout!.on('data', onLog);
    daemon.stderr!.on('data', onLog);
    exit = new Promise((r) => daemon.once('exit', (code) => r(code)));
    await until('the daemon to converge', async () => (await http(sock, 'GET', '/v1/health')).status === 200);
  });

  afterAll(() => {
    daemon?.kill('SIGKILL');
    ns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applies the config at start-up: aliases, hosts block, resolution', async () => {
    const a = addresses();
    expect(a).toEqual(expect.arrayContaining(['127.0.0.2', '127.0.0.3', 'fd00::2', '127.0.0.9']));
    const text = readFileSync(hosts, 'latin1');
    expect(text.startsWith(ORIGINAL)).toBe(true);
    expect(text).toContain('# BEGIN loopkeeper');
    expect(ns.run(['getent', 'ahosts', 'api.myteam.test']).stdout).toMatch(/^127\.0\.0\.2\s/m);
    const r = cli(['status', '--json'], env());
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.conditions.find((c: { type: string }) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Converged' });
    expect(s.aliases.map((x: { address: string }) => x.address)).toEqual(expect.arrayContaining(['127.0.0.2', '127.0.0.3', 'fd00::2']));
    expect(s.hosts.find((h: { name: string }) => h.name === 'web.myteam.test')).toMatchObject({ addresses: ['127.0.0.3', 'fd00::2'], state: 'present' });
    const human = cli(['status'], env());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Ready\s+True\s+Converged/);
    expect(human.stdout).toContain("Hosts in /etc/hosts (2)"); // the daemon's hosts file, not the CLI's (LOOPKEEPER_HOSTS_FILE)
  });

  it('answers any local user: status needs no root (socket mode 0666)', () => {
    chmodSync(dir, 0o755); // the temp dir itself is private by default
    const r = asNobody([process.execPath, CLI, 'status', '--json'], { env: { PATH: process.env.PATH, ...env() } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });
  });

  it('applies an edited config without any command (file watch)', async () => {
    const mark = logs.length;
    writeConfig(config({ aliases: ['127.0.0.5'], hosts: { 'db.myteam.test': '127.0.0.5' } }));
    await until('127.0.0.5 to appear', () => addresses().includes('127.0.0.5'));
    await until('db.myteam.test to resolve', () => /^127\.0\.0\.5\s/m.test(ns.run(['getent', 'ahosts', 'db.myteam.test']).stdout));
    const s = await status();
    expect(s.lastReconcile.trigger).toMatch(/config|hosts/);
    await logged(/"trigger":"config"/, mark);
  });

  it('repairs an alias deleted by hand on the next trigger and counts the repair', async () => {
    const mark = logs.length;
    const before = (await status()).drift.repairs;
    ns.run(['ip', 'addr', 'del', '127.0.0.2/32', 'dev', 'lo']);
    const r = cli(['reconcile', '--json'], env());
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.trigger).toBe('api');
    // This run repaired it, unless a file event's run that was already queued got there first.
    expect(addresses()).toContain('127.0.0.2');
    expect((await status()).drift.repairs).toBe(before + 1);
    await logged(/"msg":"drift repaired"/, mark);
  });

  it('repairs a hosts block edited by hand (hosts-file change trigger)', async () => {
    const text = readFileSync(hosts, 'latin1');
    const edited = text.replace(/127\.0\.0\.2\tapi\.myteam\.test/, '127.0.0.77\tapi.myteam.test');
    expect(edited).not.toBe(text);
    writeFileSync(hosts, edited, 'latin1'); // in place, as through the bind mount
    await until('the block to be repaired', () => readFileSync(hosts, 'latin1') === text);
    expect(readFileSync(hosts, 'latin1').startsWith(ORIGINAL)).toBe(true);
  });

  it('keeps everything in place on an invalid config and says why', async () => {
    const good = readFileSync(cfg, 'utf8');
    const hostsBefore = readFileSync(hosts);
    writeConfig('version: 1\naliases:\n  - 10.0.0.1\n');
    // The config part changes when the reconcile starts, the conditions when it ends.
    const s = await until('status to show the invalid config', async () => {
      const x = await status();
      return x.config.valid === false && x.conditions[0].reason === 'ConfigInvalid' ? x : undefined;
    });
    expect(s.config.error).toMatch(/10\.0\.0\.1/);
    expect(s.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'ConfigInvalid' });
    expect(addresses()).toEqual(expect.arrayContaining(['127.0.0.2', '127.0.0.3', '127.0.0.5']));
    expect(readFileSync(hosts).equals(hostsBefore)).toBe(true);
    const r = cli(['status'], env());
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/invalid/);
    writeConfig(good);
    await until('the config to be valid again', async () => (await status()).config.valid === true);
  });

  it('never overlaps reconciles under 50 concurrent POST /v1/reconcile', async () => {
    const mark = logs.length;
    const results = await Promise.all(Array.from({ length: 50 }, () => http(sock, 'POST', '/v1/reconcile')));
    const codes = results.map((r) => r.status);
    expect(codes.every((c) => c === 200 || c === 429)).toBe(true);
    expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(10);
    for (const r of results.filter((x) => x.status === 429)) {
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(r.json.error.code).toBe('rate_limited');
    }
    // Every 200 answered after its run finished; wait for those log lines to come through the
    // pipe (the slice ends on a finish, so no run is cut in half at the end).
    const eventsSince = () =>
      logs
        .slice(mark)
        .split('\n')
        .filter((l) => /"msg":"reconcile (started|finished)"/.test(l) && l.endsWith('}'))
        .map((l) => (JSON.parse(l) as { msg: string }).msg);
    const events = await until('the reconcile log lines', () => {
      const e = eventsSince();
      return e.length >= 2 && e[e.length - 1] === 'reconcile finished' ? e : undefined;
    });
    // never two runs in flight: a start always follows a finish (the slice may begin mid-run)
    let inFlight = events[0] === 'reconcile finished' ? 1 : 0;
    for (const m of events) {
      inFlight += m === 'reconcile started' ? 1 : -1;
      expect(inFlight === 0 || inFlight === 1).toBe(true);
    }
  });

  it('stays healthy through garbage, a 10 MB body, 500 idle connections and a half-sent request', async () => {
    const idles = await Promise.all(Array.from({ length: 500 }, () => idle(sock)));
    expect((await http(sock, 'GET', '/v1/health')).status).toBe(200);
    const garbage = await raw(sock, Buffer.from([0, 1, 2, 255, 13, 10, 13, 10]));
    expect(garbage === '' || /^HTTP\/1.1 400/.test(garbage)).toBe(true);
    const big = await http(sock, 'POST', '/v1/reconcile', { body: Buffer.alloc(10 * 1024 * 1024, 'x') }).catch((e: Error) => ({ status: -1, error: e }));
    expect([413, -1]).toContain(big.status); // the server may close before the upload ends
    const half = raw(sock, 'POST /v1/reconcile HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
    expect((await http(sock, 'GET', '/v1/health')).status).toBe(200);
    expect((await http(sock, 'GET', '/v1/status')).status).toBe(200);
    await half;
    for (const s of idles) s.destroy();
    const m = await http(sock, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.text).toMatch(/^loopkeeper_reconciles_total\{trigger="startup",result="ok"\} 1$/m);
    expect(m.text).toMatch(/^loopkeeper_aliases_desired \d+$/m);
    // Lint the real exposition as Prometheus users' tooling does (package `prometheus`).
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: m.text, encoding: 'utf8' });
    if (promtool.error) {
      if (process.env.CI === 'true') throw new Error(`promtool is needed in CI (apt-get install prometheus): ${promtool.error.message}`);
      console.warn(`skipping the promtool lint: ${promtool.error.message}`); // eslint-disable-line no-console
    } else {
      expect({ code: promtool.status, out: promtool.stdout + promtool.stderr }).toEqual({ code: 0, out: '' });
    }
  });

  it('reloads and reconciles on SIGHUP', async () => {
    const mark = logs.length;
    ns.run(['ip', 'addr', 'del', '127.0.0.3/32', 'dev', 'lo']);
    daemon.kill('SIGHUP');
    await until('127.0.0.3 to be back', () => addresses().includes('127.0.0.3'));
    await until('the signal reconcile to be reported', async () => (await status()).lastReconcile.trigger === 'signal');
    await logged(/"msg":"SIGHUP: reloading the config and reconciling"/, mark);
  });

  it('refuses a second daemon on the same socket with a clear error', () => {
    const r = ns.run([process.execPath, DAEMON, '--config', cfg, '--socket', sock, '--state-dir', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/another loopkeeperd is already running/);
  });

  it('stops on SIGTERM: socket removed, aliases left in place', async () => {
    daemon.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(existsSync(sock)).toBe(false);
    expect(addresses()).toEqual(expect.arrayContaining(['127.0.0.2', '127.0.0.3', 'fd00::2', '127.0.0.9']));
    const r = cli(['status'], env());
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/not reachable/);
  });
});
