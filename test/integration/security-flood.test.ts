// The red-team flood against the real daemon (in a private network + mount namespace, with the
// unit's node flags): 40 connections each pipelining 50,000 `GET /v1/status` without reading an
// answer. Before, that took the daemon from 58 MB to 1.6 GB and left /v1/health silent for 48 s.
// Now each connection holds at most the answers the kernel buffers, /v1/health keeps answering
// while the flood is in progress, and resident memory stays bounded. Then the reconcile flood:
// another user exhausting the public rate limit does not make root's `loopkeeper reconcile` 429.
//
// Synchronised on the daemon's answers (its request counters), never on time. Latencies are
// measured and printed, not asserted: the suite must pass on a loaded 2-core machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asNobody, assertBuilt, cli, CLI, DAEMON } from '../helpers/cli';
import { http } from '../helpers/http-unix';
import { describeInNamespace, holdNamespace, type HeldNamespace } from '../helpers/namespace';

const CONNECTIONS = 40;
const PIPELINED = 50_000;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Like helpers/cli's cli(), without blocking this process (the flood keeps running meanwhile). */
function cliAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LOOPKEEPER_')) clean[k] = v;
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...clean, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function statusAnswers(sock: string): Promise<number> {
  const m = await http(sock, 'GET', '/metrics');
  let n = 0;
  for (const x of m.text.matchAll(/^loopkeeper_api_requests_total\{route="\/v1\/status",code="\d+"\} (\d+)$/gm)) n += Number(x[1]);
  return n;
}

describeInNamespace('security: the daemon under a pipelined no-read flood', () => {
  let dir: string;
  let sock: string;
  let ns: HeldNamespace;
  let daemon: ChildProcess;
  let logs = '';
  const env = (): NodeJS.ProcessEnv => ({ LOOPKEEPER_SOCKET: sock, LOOPKEEPER_CONFIG: join(dir, 'c.yaml'), LOOPKEEPER_HOSTS_FILE: join(dir, 'hosts'), LOOPKEEPER_STATE_DIR: join(dir, 'state') });

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lk-sec-flood-'));
    chmodSync(dir, 0o755);
    sock = join(dir, 'run', 'loopkeeper.sock');
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    const hosts = Array.from({ length: 200 }, (_, i) => `  h${i}.flood.test: 127.1.0.${(i % 250) + 1}`).join('\n');
    // A /20: 4,096 aliases. (A /16 is within the limits too, but adding 65,536 addresses takes the
    // kernel minutes; the status document is bounded either way, see status-view.test.ts.)
    writeFileSync(join(dir, 'c.yaml'), `version: 1\naliases:\n  - range: 127.1.0.0/20\nhosts:\n${hosts}\nsettings:\n  schedule: "0 0 1 1 *"\n`);
    ns = await holdNamespace({ hostsFile: join(dir, 'hosts') });
    daemon = ns.spawn([process.execPath, '--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm', DAEMON, '--config', join(dir, 'c.yaml'), '--socket', sock, '--state-dir', join(dir, 'state'), '--hosts-file', join(dir, 'hosts')]);
    daemon.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    daemon.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
    for (let i = 0; ; i++) {
      const h = await http(sock, 'GET', '/v1/health').catch(() => null);
      if (h?.status === 200) break;
      if (i > 600) throw new Error(`the daemon did not converge: ${logs.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(() => {
    daemon?.kill('SIGKILL');
    ns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`answers /v1/health throughout ${CONNECTIONS} connections × ${PIPELINED.toLocaleString('en-US')} pipelined GET /v1/status that never read, with memory bounded`, async () => {
    const pid = daemon.pid!;
    const baseline = rssMiB(pid);
    const full = (await http(sock, 'GET', '/v1/status')).json;
    expect(full.summary.aliases.total).toBe(4096);
    const answeredBefore = await statusAnswers(sock);

    const request = Buffer.from('GET /v1/status HTTP/1.1\r\nHost: localhost\r\n\r\n'.repeat(PIPELINED));
    const flood: Socket[] = await Promise.all(
      Array.from(
        { length: CONNECTIONS },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const s = connect({ path: sock });
            s.pause(); // never reads an answer
            s.on('error', () => undefined);
            s.once('connect', () => {
              s.write(request);
              resolve(s);
            });
            s.once('error', reject);
          }),
      ),
    );
    // The flood is in progress once every connection has had answers and the daemon stopped
    // reading from them (their requests wait in the client's buffers).
    for (;;) {
      const answered = (await statusAnswers(sock)) - answeredBefore;
      if (answered >= CONNECTIONS) break;
      await new Promise((r) => setImmediate(r));
    }
    const latencies: number[] = [];
    let peak = rssMiB(pid);
    for (let i = 0; i < 30; i++) {
      const t0 = process.hrtime.bigint();
      const h = await http(sock, 'GET', '/v1/health');
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      expect(h.status).toBe(200);
      peak = Math.max(peak, rssMiB(pid));
    }
    const s = await http(sock, 'GET', '/v1/status');
    expect(s.status).toBe(200);
    expect(s.json.summary.aliases.total).toBe(4096);
    // Still in progress: nearly all of the flood is unread, and the daemon answered only a few per connection.
    const pending = flood.map((c) => c.writableLength);
    expect(pending.every((p) => p > request.length / 2)).toBe(true);
    const answered = (await statusAnswers(sock)) - answeredBefore;
    expect(answered).toBeLessThan(CONNECTIONS * 1000);
    peak = Math.max(peak, rssMiB(pid));
    // Bounded: connections hold a few buffered requests and one shared answer each. (Before: +1.5 GB.)
    expect(peak - baseline).toBeLessThan(150);
    for (const c of flood) c.destroy();
    latencies.sort((a, b) => a - b);
    console.log( // eslint-disable-line no-console
      `flood: ${CONNECTIONS}×${PIPELINED} pipelined, ${answered} answered while unread; /v1/health ${latencies.length} answers, ` +
        `median ${latencies[latencies.length >> 1]!.toFixed(1)} ms, worst ${latencies[latencies.length - 1]!.toFixed(1)} ms; ` +
        `RSS ${baseline.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB peak`,
    );
    expect((await http(sock, 'GET', '/v1/health')).status).toBe(200);
  });

  it('another user’s reconcile flood exhausts the public rate limit, not root’s: `loopkeeper reconcile` as root still succeeds', async () => {
    // The attacker: 20 loops on the public socket, each asking again as soon as it is answered.
    let flooding = true;
    const seen: number[] = [];
    const loops = Array.from({ length: 20 }, async () => {
      while (flooding) seen.push((await http(sock, 'POST', '/v1/reconcile')).status);
    });
    while (seen.filter((c) => c === 429).length < 20) await new Promise((r) => setImmediate(r));
    // Another unprivileged user meanwhile: the public bucket is theirs to share with the flood.
    chmodSync(dir, 0o755);
    const nobody = asNobody([process.execPath, CLI, 'status', '--json'], { env: { PATH: process.env.PATH, ...env() } });
    expect(nobody.code).toBe(0);
    const before429 = seen.filter((c) => c === 429).length;
    const r = await cliAsync(['reconcile', '--json'], env()); // root: the owner socket; the flood goes on meanwhile
    const after429 = seen.filter((c) => c === 429).length;
    flooding = false;
    await Promise.all(loops);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).summary.aliases.total).toBe(4096);
    // The public limit was exhausted when root's request started (20 refusals before it), and the
    // flood kept asking meanwhile. (Whether more refusals land during root's run depends on how
    // long reconciles take on a loaded machine, so it is reported, not asserted.)
    expect(before429).toBeGreaterThanOrEqual(20);
    console.log(`reconcile flood: ${before429} refusals before root's request, ${after429 - before429} during it; root: exit ${r.code}`); // eslint-disable-line no-console
    expect(seen.every((c) => c === 200 || c === 429)).toBe(true);
  });

  it('`loopkeeper status` shows the summary with the counts; --verbose --json reads every alias a page at a time', () => {
    const human = cli(['status'], env());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Aliases on lo \(4,096\)\n  present  127\.1\.0\.0–127\.1\.0\.99 \(100 addresses\)  owned\n  … and 3,996 more addresses \(3,996 present\); --verbose lists every one\n/);
    expect(human.stdout).toMatch(/… and 180 more names \(180 present\); --verbose lists every one\n/);
    const all = JSON.parse(cli(['status', '--verbose', '--json'], env()).stdout);
    expect(all.aliases).toHaveLength(4096);
    expect(new Set(all.aliases.map((a: { address: string }) => a.address)).size).toBe(4096);
    expect(all.hosts).toHaveLength(100 + 100);
  });
});
