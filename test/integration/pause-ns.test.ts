// `loopkeeper down` / `up` with loopkeeperd running (SPEC "Pausing: down and up"), in a private
// network + mount namespace, through the built binaries: down stays down whatever triggers the
// daemon (each trigger is driven by the test and its reconcile waited for in the daemon's log, then
// the machine is checked), apply refuses, an edit is written but not applied, the pause survives a
// daemon restart, and up restores. The daemon and the CLI share one --hosts-file (a temp file;
// the real /etc/hosts is never the target) and one --state-dir.
import { type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, CLI, DAEMON, REPO } from '../helpers/cli';
import { http } from '../helpers/http-unix';
import { describeInNamespace, holdNamespace, type HeldNamespace } from '../helpers/namespace';
import { until } from '../helpers/wait';

const ORIGINAL = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n# my own line\n';
const YEARLY = '0 0 1 1 *';

function config(opts: { schedule?: string; comment?: string } = {}): string {
  return [
    'version: 1',
    ...(opts.comment ? [`# ${opts.comment}`] : []),
    'aliases:',
    '  - 127.0.0.2',
    '  - 127.0.0.3',
    '  - fd00::2',
    'hosts:',
    '  api.pause.test: 127.0.0.2',
    '  web.pause.test: [127.0.0.3, fd00::2]',
    'settings:',
    `  schedule: "${opts.schedule ?? YEARLY}"`,
    '',
  ].join('\n');
}

/** A daemon's log, with waits on its lines (checked on every chunk: no polling, no deadline). */
class Log {
  text = '';
  private waits: { test: (line: Record<string, unknown>) => boolean; from: number; res: (l: Record<string, unknown>) => void }[] = [];

  attach(child: ChildProcess): void {
    const on = (c: Buffer): void => {
      this.text += c.toString();
      this.check();
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  }

  get mark(): number {
    return this.text.length;
  }

  lines(from: number): Record<string, unknown>[] {
    // Only whole lines: the last one may still be arriving.
    const part = this.text.slice(from);
    const whole = part.slice(0, part.lastIndexOf('\n') + 1);
    return whole
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }

  /** The first line since `from` that passes `test`. */
  wait(test: (line: Record<string, unknown>) => boolean, from: number): Promise<Record<string, unknown>> {
    const found = this.lines(from).find(test);
    if (found) return Promise.resolve(found);
    return new Promise((res) => this.waits.push({ test, from, res }));
  }

  /** A reconcile reported under `trigger` finished since `from`. */
  reconciled(trigger: string, from: number): Promise<Record<string, unknown>> {
    return this.wait((l) => l.msg === 'reconcile finished' && l.trigger === trigger, from);
  }

  private check(): void {
    for (const w of [...this.waits]) {
      const found = this.lines(w.from).find(w.test);
      if (found) {
        this.waits.splice(this.waits.indexOf(w), 1);
        w.res(found);
      }
    }
  }
}

describeInNamespace('loopkeeper down / up with loopkeeperd running', () => {
  let dir: string;
  let hosts: string;
  let cfg: string;
  let sock: string;
  let state: string;
  let ns: HeldNamespace;
  let daemon: ChildProcess;
  let exit: Promise<number | null>;
  let log: Log;
  let downAt = 0;

  const env = (): NodeJS.ProcessEnv => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LOOPKEEPER_')) clean[k] = v;
    return { ...clean, NO_COLOR: '1', LOOPKEEPER_SOCKET: sock, LOOPKEEPER_CONFIG: cfg, LOOPKEEPER_HOSTS_FILE: hosts, LOOPKEEPER_STATE_DIR: state };
  };
  /** The built CLI, inside the namespace (it changes that namespace's lo). */
  const lk = (...args: string[]) => ns.run([process.execPath, CLI, ...args], { env: env() });

  const ours = ['127.0.0.2', '127.0.0.3', 'fd00::2'];
  function addresses(): string[] {
    const r = ns.run(['ip', '-j', 'addr', 'show', 'dev', 'lo']);
    return (JSON.parse(r.stdout) as { addr_info: { local: string }[] }[]).flatMap((i) => i.addr_info.map((a) => a.local));
  }
  const anyOfOurs = (): string[] => addresses().filter((a) => ours.includes(a));
  const hasBlock = (): boolean => readFileSync(hosts, 'utf8').includes('# BEGIN loopkeeper');

  function writeConfig(text: string): void {
    writeFileSync(`${cfg}.swp`, text); // as editors save: a temp file renamed over the original
    renameSync(`${cfg}.swp`, cfg);
  }

  async function status(): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return (await http(sock, 'GET', '/v1/status')).json;
  }

  async function startDaemon(): Promise<void> {
    log = new Log();
    daemon = ns.spawn([process.execPath, DAEMON, '--config', cfg, '--socket', sock, '--state-dir', state, '--hosts-file', hosts, '--log-level', 'debug']);
    log.attach(daemon);
    exit = new Promise((r) => daemon.once('exit', (code) => r(code)));
    await log.reconciled('startup', 0);
  }

  /** Nothing of loopkeeper's is back: no alias of ours on lo, no managed block. */
  function assertStillDown(after: string): void {
    expect({ after, aliases: anyOfOurs(), block: hasBlock() }).toEqual({ after, aliases: [], block: false });
  }

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lk-pause-ns-'));
    hosts = join(dir, 'hosts');
    cfg = join(dir, 'loopkeeper.yaml');
    sock = join(dir, 'run', 'loopkeeper.sock');
    state = join(dir, 'state');
    writeFileSync(hosts, ORIGINAL);
    writeFileSync(cfg, config());
    ns = await holdNamespace();
    ns.run(['ip', 'addr', 'add', '127.0.0.9/32', 'dev', 'lo']); // somebody else's alias
    await startDaemon();
    await until('the daemon to converge', async () => (await http(sock, 'GET', '/v1/health')).status === 200);
    expect(anyOfOurs().sort()).toEqual([...ours].sort());
    expect(hasBlock()).toBe(true);
  });

  afterAll(() => {
    daemon?.kill('SIGKILL');
    ns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('down removes what loopkeeper added, records the pause, and the daemon reports Paused', async () => {
    const mark = log.mark;
    downAt = Date.now();
    const r = lk('down');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Paused \(since \S+ by uid 0\b.*\)\. loopkeeperd \(pid \d+\) adds and repairs nothing until `.*\bup`\.$/m);
    expect(anyOfOurs()).toEqual([]);
    expect(addresses()).toContain('127.0.0.9'); // not ours: left alone
    expect(readFileSync(hosts, 'utf8')).toBe(ORIGINAL);
    const record = JSON.parse(readFileSync(join(state, 'paused'), 'utf8'));
    expect(record).toMatchObject({ by: 0 });
    expect(Number.isFinite(Date.parse(record.at))).toBe(true);
    // down told the daemon before it removed anything (an api reconcile that read the pause) …
    await log.wait((l) => l.msg === 'paused: nothing is added or repaired until `loopkeeper up`', mark);
    const told = mark + log.text.slice(mark).indexOf('"msg":"paused: nothing');
    // … and its write of the hosts file is a hosts trigger: that reconcile changes nothing either.
    await log.reconciled('hosts', told);
    assertStillDown('the hosts trigger of down itself');
    // A reconcile asked for now has observed the machine after down.
    expect((await http(sock, 'POST', '/v1/reconcile')).status).toBe(200);

    const s = await status();
    const byType = Object.fromEntries(s.conditions.map((c: { type: string }) => [c.type, c]));
    for (const type of ['Ready', 'AliasesInSync', 'HostsInSync']) {
      expect(byType[type]).toMatchObject({ status: 'False', reason: 'Paused' });
      expect(byType[type].message).toContain('`loopkeeper up`');
    }
    expect(s.paused).toMatchObject({ at: record.at, by: 0, problem: null });
    // What status observed: everything desired is missing now (nothing was put back).
    expect(s.aliases.filter((a: { address: string; state: string }) => ours.includes(a.address)).map((a: { state: string }) => a.state)).toEqual(['missing', 'missing', 'missing']);
    expect((await http(sock, 'GET', '/v1/health')).status).toBe(503);

    const human = lk('status');
    expect(human.code).toBe(1); // answers, not Ready
    expect(human.stdout).toMatch(/^Paused since \S+ by uid 0\b.*nothing is added or repaired until `.*\bup`$/m);
    expect(human.stdout).toMatch(/Ready\s+False\s+Paused/);
  });

  it('stays down through every trigger: hosts file, config change, the schedule, SIGHUP, the API', async () => {
    let mark = log.mark;
    writeFileSync(hosts, `${readFileSync(hosts, 'utf8')}10.9.9.9 touched.example\n`); // in place
    await log.reconciled('hosts', mark);
    assertStillDown('a hosts-file change');

    mark = log.mark;
    writeConfig(config({ schedule: '* * * * * *', comment: 'every second' }));
    await log.reconciled('config', mark);
    assertStillDown('a config change');
    // The schedule now fires every second: wait for one of its reconciles.
    await log.reconciled('schedule', mark);
    assertStillDown('a scheduled reconcile');
    mark = log.mark;
    writeConfig(config());
    await log.reconciled('config', mark);
    assertStillDown('another config change');

    mark = log.mark;
    daemon.kill('SIGHUP');
    await log.reconciled('signal', mark);
    assertStillDown('SIGHUP');

    const api = await http(sock, 'POST', '/v1/reconcile');
    expect(api.status).toBe(200);
    expect(api.json.result).toBe('degraded');
    expect(api.json.changes).toEqual([]);
    expect(api.json.aliasesInSync).toMatchObject({ status: 'False', reason: 'Paused' });
    assertStillDown('POST /v1/reconcile');

    const rec = lk('reconcile');
    expect(rec.code).toBe(1);
    expect(rec.stdout + rec.stderr).toMatch(/loopkeeper up/);
    assertStillDown('loopkeeper reconcile');

    // An observation window of 10 s of real time since `down` (an extra: nothing is timed or
    // synchronised on it; every trigger above was waited for on its own log line).
    const left = 10000 - (Date.now() - downAt);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    assertStillDown('10 s');
    expect((await status()).conditions[0]).toMatchObject({ type: 'Ready', reason: 'Paused' });
  });

  it('apply refuses with exit 1 naming `loopkeeper up`; an edit is written but not applied; down again says so', async () => {
    const r = lk('apply');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^loopkeeper: loopkeeper is paused \(`loopkeeper down`, since \S+ by uid 0\b.*\): apply changes nothing until `.*\bup` ends the pause$/m);
    assertStillDown('apply');
    const json = lk('apply', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ refused: true, paused: { by: 0 } });

    const mark = log.mark;
    const add = lk('aliases', 'add', '127.0.0.4', '--file', cfg);
    expect(add.code).toBe(0);
    expect(add.stderr).toMatch(/the config is written but not applied; `.*\bup` ends the pause and applies it/);
    expect(readFileSync(cfg, 'utf8')).toContain('127.0.0.4');
    await log.reconciled('config', mark); // the daemon saw the edit, and changed nothing
    assertStillDown('aliases add');
    expect(addresses()).not.toContain('127.0.0.4');

    const plan = lk('plan');
    expect(plan.stderr).toMatch(/loopkeeper is paused .*: this is what `.*\bup` would change/);

    const again = lk('down');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Already paused \(since \S+ by uid 0\b.*\): nothing new to pause\./m);
  });

  it('a user who is not root sees the pause, may run down again, and is pointed at sudo for up', () => {
    chmodSync(dir, 0o755); // mkdtemp's 0700 would keep user 65534 out of the socket and state dir
    const mnt = mkdtempSync(join(tmpdir(), 'lk-public-'));
    chmodSync(mnt, 0o755);
    // As test/helpers/cli.ts asNobody, inside the namespace: REPO where user 65534 can reach it.
    const script = 'mount --bind "$0" "$1" && shift && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"';
    const nobody = (...args: string[]) =>
      ns.run(['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, REPO, mnt, process.execPath, join(mnt, 'dist', 'cli', 'main.js'), ...args], { env: { ...env(), CI: 'true' } });
    try {
      const st = nobody('status');
      expect(st.code).toBe(1);
      expect(st.stdout).toMatch(/^Paused since \S+ by uid 0\b/m);
      const down = nobody('down');
      expect(down).toMatchObject({ code: 0 });
      expect(down.stdout).toMatch(/^Already paused \(since .*\): nothing new to pause\./m);
      const up = nobody('up');
      expect(up.code).toBe(1);
      expect(up.stderr).toMatch(/sudo .*\bup\b/);
      expect(existsSync(join(state, 'paused'))).toBe(true);
      assertStillDown('down and up by a user who is not root');
    } finally {
      rmdirSync(mnt);
    }
  });

  it('the pause survives a daemon restart', async () => {
    daemon.kill('SIGTERM');
    expect(await exit).toBe(0);
    await startDaemon();
    assertStillDown('a restart');
    await log.wait((l) => l.msg === 'paused: nothing is added or repaired until `loopkeeper up`', 0);
    expect((await status()).conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'Paused' });
    expect((await http(sock, 'GET', '/v1/health')).status).toBe(503);
  });

  it('up ends the pause and the daemon restores everything; up again says it is not paused', async () => {
    const mark = log.mark;
    const t0 = process.hrtime.bigint();
    const r = lk('up');
    const answered = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^loopkeeper: pause ended \(it held since \S+ by uid 0\b.*\); reconciling now$/m);
    // up answers once the daemon's reconcile is done: it is all back by then.
    expect(anyOfOurs().sort()).toEqual([...ours].sort());
    expect(addresses()).toContain('127.0.0.4'); // the edit made while paused
    expect(hasBlock()).toBe(true);
    const restored = Number(process.hrtime.bigint() - t0) / 1e6;
    await log.wait((l) => l.msg === 'pause ended: enforcing again', mark);
    const rec = await log.reconciled('api', mark);
    // eslint-disable-next-line no-console
    console.log(`up → restored: ${restored.toFixed(0)} ms (CLI answered after ${answered.toFixed(0)} ms; the daemon's reconcile took ${rec.durationMs} ms)`);
    expect(existsSync(join(state, 'paused'))).toBe(false);
    expect((await http(sock, 'GET', '/v1/health')).status).toBe(200);
    const s = await status();
    expect(s.paused).toBeNull();
    expect(s.conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });
    expect(s.drift.repairs).toBe(0); // a restore after up is not drift

    const again = lk('up');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Not paused: nothing to resume/);
  });

  it('without a daemon: down says it is not running, and up ends the pause and applies once itself', async () => {
    daemon.kill('SIGTERM');
    expect(await exit).toBe(0);
    const down = lk('down');
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^Paused \(since .*\)\. loopkeeperd is not running; when it starts it adds and repairs nothing until `.*\bup`\.$/m);
    assertStillDown('down without a daemon');
    const up = lk('up');
    expect(up.code).toBe(0);
    expect(up.stderr).toMatch(/pause ended/);
    expect(anyOfOurs().sort()).toEqual([...ours].sort());
    expect(hasBlock()).toBe(true);
    expect(existsSync(join(state, 'paused'))).toBe(false);
  });
});
