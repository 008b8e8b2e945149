// Live status and fast drift repair, through the built daemon in a private namespace: an alias
// deleted by hand (`ip addr del`) shows `missing` in the very next GET /v1/status — or, if the
// daemon's interface poll already put it back, `present` with drift.repairs counted — and it comes
// back without any command. 20 deletions; the delete→back latency of each is printed (min, median,
// p95, max). Everything waits on events (status answers, `ip` output): no deadline of our own.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { assertBuilt, DAEMON } from '../helpers/cli';
import { http } from '../helpers/http-unix';
import { describeInNamespace, holdNamespace, type HeldNamespace } from '../helpers/namespace';
import { until } from '../helpers/wait';
import type { StatusDocument } from '../../src/api/types';

const ALIASES = ['127.0.0.2', '127.0.0.3', 'fd00::2'];

describeInNamespace('loopkeeperd repairs an alias deleted by hand within seconds (drift poll)', () => {
  let dir: string;
  let sock: string;
  let ns: HeldNamespace;
  let daemon: ChildProcess;
  let logs = '';

  const status = async (): Promise<StatusDocument> => (await http(sock, 'GET', '/v1/status')).json as StatusDocument;
  const entry = (s: StatusDocument, address: string) => s.aliases.find((a) => a.address === address);
  const onLo = (address: string): boolean => {
    const parsed = JSON.parse(ns.run(['ip', '-j', 'addr', 'show', 'dev', 'lo']).stdout) as { addr_info: { local: string }[] }[];
    return parsed.some((i) => i.addr_info.some((a) => a.local === address));
  };

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lk-drift-ns-'));
    const hosts = join(dir, 'hosts');
    const cfg = join(dir, 'loopkeeper.yaml');
    sock = join(dir, 'run', 'loopkeeper.sock');
    writeFileSync(hosts, '127.0.0.1 localhost\n');
    // The schedule is once a year: any repair seen here is the poll's.
    writeFileSync(cfg, `version: 1\naliases:\n${ALIASES.map((a) => `  - ${a}\n`).join('')}hosts:\n  api.drift.test: 127.0.0.2\nsettings:\n  schedule: "0 0 1 1 *"\n`);
    ns = await holdNamespace({ hostsFile: hosts });
    daemon = ns.spawn([process.execPath, DAEMON, '--config', cfg, '--hosts-file', hosts, '--socket', sock, '--state-dir', join(dir, 'state'), '--log-level', 'info']);
    daemon.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    daemon.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
    await until('the daemon to converge', async () => (await http(sock, 'GET', '/v1/health')).status === 200);
  });

  afterAll(() => {
    daemon?.kill('SIGKILL');
    ns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('20 deletions: each shows missing at once (or already repaired and counted), each comes back by itself', async () => {
    const latencies: number[] = [];
    let sawMissing = 0;
    let byPoll = 0;
    for (let i = 0; i < 20; i++) {
      const address = ALIASES[i % ALIASES.length]!;
      const prefix = address.includes(':') ? 128 : 32;
      const before = await until(`${address} present before deletion ${i + 1}`, async () => {
        const s = await status();
        return entry(s, address)?.state === 'present' && onLo(address) && !s.daemon.reconciling ? s : undefined;
      });
      const del = ns.run(['ip', 'addr', 'del', `${address}/${prefix}`, 'dev', 'lo']);
      expect(del.stderr).toBe('');
      expect(del.code).toBe(0);
      const t0 = performance.now();
      // The very next status: it looked at the interface when asked.
      const next = await status();
      const seen = entry(next, address)!;
      if (seen.state === 'missing') {
        sawMissing++;
        expect(next.conditions.find((c) => c.type === 'AliasesInSync')).toMatchObject({ status: 'False', reason: 'AliasesMissing' });
        expect(next.live).toMatchObject({ aliasesMissing: 1 });
      } else {
        // The poll was faster than this request: then the repair is already counted.
        expect(seen.state).toBe('present');
        expect(next.drift.repairs).toBeGreaterThan(before.drift.repairs);
      }
      // Back, by itself: no reconcile asked for here.
      const back = await until(`${address} back after deletion ${i + 1}`, async () => {
        const s = await status();
        return entry(s, address)?.state === 'present' && s.drift.repairs === before.drift.repairs + 1 ? s : undefined;
      }, 5);
      latencies.push(performance.now() - t0);
      expect(onLo(address)).toBe(true);
      // No command asked for it: the poll's 'drift' run, or a run a late hosts-file event (from the
      // daemon's own write) had queued and that got there first — coalesced runs are reported
      // under the more deliberate trigger (hosts before drift).
      expect(['drift', 'hosts']).toContain(back.lastReconcile!.trigger);
      if (back.lastReconcile!.trigger === 'drift') byPoll++;
      expect(back.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
    // eslint-disable-next-line no-console
    console.log(
      `drift repair, delete -> back, ${sorted.length} deletions (poll 1 s): min ${sorted[0]!.toFixed(0)} ms, median ${q(0.5).toFixed(0)} ms, ` +
        `p95 ${q(0.95).toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms; shown missing by the next status ${sawMissing}/20, reported under 'drift' ${byPoll}/20\n` +
        `  all: ${latencies.map((x) => x.toFixed(0)).join(' ')}`,
    );
    expect(latencies).toHaveLength(20);
    expect(logs).toMatch(/"msg":"desired alias\(es\) gone from the interface; repairing"/);
  });
});
