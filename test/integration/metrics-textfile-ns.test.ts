// `loopkeeperd --metrics-textfile PATH` for real: the built daemon in a private namespace writes
// the /metrics text to PATH at start-up and after every reconcile (before it answers the request
// that asked for it), as node_exporter's textfile collector wants it: mode 0644, `promtool check
// metrics` clean, replaced by rename so a reader never sees half a file.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, DAEMON } from '../helpers/cli';
import { http } from '../helpers/http-unix';
import { describeInNamespace, holdNamespace, type HeldNamespace } from '../helpers/namespace';

const CONFIG = 'version: 1\naliases:\n  - 127.0.0.2\nhosts:\n  api.lk-metrics.test: 127.0.0.2\nsettings:\n  schedule: "0 0 1 1 *"\n';

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 30000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function promtool(text: string): { code: number | null; out: string } | null {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) {
    if (process.env.CI === 'true') throw new Error(`promtool is needed in CI (apt-get install prometheus): ${r.error.message}`);
    console.warn(`skipping the promtool lint: ${r.error.message}`); // eslint-disable-line no-console
    return null;
  }
  return { code: r.status, out: r.stdout + r.stderr };
}

const series = (t: string) => t.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(/[ ]/)[0]!.replace(/\{.*$/, ''));

describeInNamespace('loopkeeperd --metrics-textfile', () => {
  let dir: string;
  let sock: string;
  let prom: string;
  let ns: HeldNamespace;
  let daemon: ChildProcess;
  let logs = '';

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lk-textfile-ns-'));
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(dir, 'loopkeeper.yaml'), CONFIG);
    mkdirSync(join(dir, 'node-exporter'));
    sock = join(dir, 'lk.sock');
    prom = join(dir, 'node-exporter', 'loopkeeper.prom');
    ns = await holdNamespace({ hostsFile: join(dir, 'hosts') });
    daemon = ns.spawn([process.execPath, DAEMON, '--config', join(dir, 'loopkeeper.yaml'), '--socket', sock, '--state-dir', join(dir, 'state'), '--metrics-textfile', prom]);
    daemon.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    daemon.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
    await until('the daemon to converge', async () => (await http(sock, 'GET', '/v1/health')).status === 200);
  });

  afterAll(() => {
    daemon?.kill('SIGKILL');
    ns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has written the start-up reconcile by the time the daemon answers: 0644, lint-clean, the same series as GET /metrics', async () => {
    const text = readFileSync(prom, 'utf8');
    expect(text).toMatch(/^loopkeeper_reconciles_total\{trigger="startup",result="ok"\} 1$/m);
    expect(text).toMatch(/^loopkeeper_ready 1$/m);
    expect(text).toMatch(/^loopkeeper_aliases_present 1$/m);
    expect(statSync(prom).mode & 0o777).toBe(0o644);
    expect(readdirSync(join(dir, 'node-exporter'))).toEqual(['loopkeeper.prom']);
    const lint = promtool(text);
    if (lint) expect(lint).toEqual({ code: 0, out: '' });
    const live = await http(sock, 'GET', '/metrics');
    // Requests counted after the file was written show only in the live text.
    const noApi = (t: string) => [...new Set(series(t))].filter((n) => n !== 'loopkeeper_api_requests_total');
    expect(noApi(text)).toEqual(noApi(live.text));
    expect(logs).toMatch(/"msg":"writing the metrics textfile after every reconcile"/);
  });

  it('is rewritten after every reconcile, before the request that asked for it is answered', async () => {
    for (let i = 1; i <= 3; i++) {
      const r = await http(sock, 'POST', '/v1/reconcile');
      expect(r.status).toBe(200);
      expect(readFileSync(prom, 'utf8')).toMatch(new RegExp(`^loopkeeper_reconciles_total\\{trigger="api",result="ok"\\} ${i}$`, 'm'));
    }
  });

  it('a reader never sees a partial file while reconciles rewrite it (rename, not write in place)', async () => {
    const inodes = new Set<number>();
    let reads = 0;
    const last = /\nloopkeeper_heap_total_bytes \d+\n$/;
    for (let i = 0; i < 40; i++) {
      let done = false;
      const answered = http(sock, 'POST', '/v1/reconcile').finally(() => (done = true));
      while (!done) {
        const text = readFileSync(prom, 'utf8');
        reads += 1;
        expect(text.startsWith('# HELP loopkeeper_')).toBe(true);
        expect(text).toMatch(last);
        inodes.add(statSync(prom).ino);
        await new Promise((r) => setImmediate(r));
      }
      await answered;
    }
    expect(reads).toBeGreaterThan(40);
    expect(inodes.size).toBeGreaterThan(1);
    expect(readdirSync(join(dir, 'node-exporter'))).toEqual(['loopkeeper.prom']);
  });

  it('refuses a directory as PATH, from the flag and from LOOPKEEPER_METRICS_TEXTFILE, before it starts', () => {
    const other = join(dir, 'other.sock');
    const flag = ns.run([process.execPath, DAEMON, '--config', join(dir, 'loopkeeper.yaml'), '--socket', other, '--metrics-textfile', join(dir, 'node-exporter')]);
    expect(flag).toMatchObject({ code: 2, stderr: `loopkeeperd: --metrics-textfile ${join(dir, 'node-exporter')} is a directory: give a file in it, e.g. ${prom}\n` });
    const env = ns.run([process.execPath, DAEMON, '--config', join(dir, 'loopkeeper.yaml'), '--socket', other], {
      env: { ...process.env, LOOPKEEPER_METRICS_TEXTFILE: join(dir, 'node-exporter') },
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/is a directory: give a file in it/);
  });
});
