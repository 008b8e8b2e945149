// The status document is bounded (a /16 range made it 24 MB), summarised by default, complete a
// page at a time on request, and serialised once per change of the daemon's state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusCache } from '../../../src/api/status-cache';
import {
  MAX_HOST_ADDRESSES,
  PAGE_MAX,
  PAGE_MAX_BYTES,
  SUMMARY_ENTRIES,
  parseStatusQuery,
  reconcileBody,
  statusBody,
  type FullStatus,
  type StatusDocument,
} from '../../../src/api/status-view';
import type { LoadedConfig } from '../../../src/config';
import { Daemon } from '../../../src/daemon/daemon';
import { DEFAULT_SETTINGS, type AliasEntry, type HostEntry } from '../../../src/model';
import type { Reconciler } from '../../../src/reconcile/reconciler';
import type { ReconcileReport } from '../../../src/reconcile/types';
import { resolveRuntime } from '../../../src/runtime';
import { http } from '../../helpers/http-unix';

/** The aliases of 127.1.0.0/16 (65,536), every 1000th one missing. */
function slash16(): AliasEntry[] {
  return Array.from({ length: 65_536 }, (_, i) => ({
    address: `127.1.${i >> 8}.${i & 255}`,
    state: i % 1000 === 7 ? ('missing' as const) : ('present' as const),
    owned: true,
    desired: true,
  }));
}

function full(over: Partial<FullStatus> = {}): FullStatus {
  const aliases = slash16();
  const hosts: HostEntry[] = Array.from({ length: 5000 }, (_, i) => ({ name: `h${i}.team.test`, addresses: [aliases[i]!.address], state: 'present', detail: 'in the managed block' }));
  return {
    daemon: { version: '0.1.0', pid: 1, uptimeSeconds: 5, reconciling: false },
    config: { files: ['/etc/loopkeeper/loopkeeper.yaml'], valid: true, error: null, errors: [], warnings: Array.from({ length: 5000 }, (_, i) => `/etc/x.yaml:${i}:1: warning: h${i}.local`), enforcing: true },
    lastReconcile: {
      at: '2026-12-01T00:00:00.000Z',
      durationMs: 900,
      trigger: 'startup',
      result: 'ok',
      changes: aliases.map((a) => ({ kind: 'alias' as const, action: 'add' as const, address: a.address })),
      problems: Array.from({ length: 3000 }, (_, i) => `problem ${i} ${'x'.repeat(3000)}`),
    },
    conditions: [{ type: 'Ready', status: 'True', reason: 'Converged', message: 'ok', lastTransitionTime: '2026-12-01T00:00:00.000Z' }],
    aliases,
    hosts,
    changes: [],
    drift: { repairs: 0, lastAt: null },
    ...over,
  };
}

const doc = (f: FullStatus, q = 'aliases=all'): StatusDocument =>
  ({ daemon: f.daemon, ...statusBody(f, (parseStatusQuery(new URLSearchParams(q)) as { ok: true; query: never }).query) }) as StatusDocument;

describe('status document: summarised and bounded', () => {
  it('a /16 range: the default document is small, with counts per state, the first entries and the missing ones', () => {
    const f = full();
    const before = JSON.stringify(f).length; // what GET /v1/status used to send
    const d = { daemon: f.daemon, ...statusBody(f, { list: null }) } as StatusDocument;
    const size = JSON.stringify(d).length;
    expect(before).toBeGreaterThan(10_000_000);
    expect(size).toBeLessThan(256 * 1024);
    expect(d.aliases).toHaveLength(SUMMARY_ENTRIES);
    expect(d.aliases[0]!.address).toBe('127.1.0.0');
    expect(d.summary.aliases).toMatchObject({ total: 65_536, shown: 100, offset: 0, owned: 65_536, byState: { present: 65_470, missing: 66 }, notPresentTotal: 66, all: '/v1/status?aliases=all' });
    expect(d.summary.aliases.notPresent[0]).toMatchObject({ address: '127.1.0.7', state: 'missing' });
    expect(d.summary.hosts).toMatchObject({ total: 5000, shown: 100, byState: { present: 5000 } });
    expect(d.lastReconcile!.changes).toHaveLength(100);
    expect(d.lastReconcile!.changesTotal).toBe(65_536);
    expect(d.lastReconcile!.problemsTotal).toBe(3000);
    expect(d.lastReconcile!.problems[0]!.length).toBeLessThanOrEqual(1000);
    expect(d.config.warningsTotal).toBe(5000);
    expect(d.config.warnings).toHaveLength(50);
    console.log(`status of a /16: ${(before / 1e6).toFixed(1)} MB uncut, ${(size / 1024).toFixed(1)} KiB summarised`); // eslint-disable-line no-console
  });

  it('a small config: every entry, exactly as before (nothing is cut)', () => {
    const f = full({ aliases: slash16().slice(0, 3), hosts: [{ name: 'a.test', addresses: ['127.1.0.0'], state: 'present', detail: '' }] });
    const d = doc(f, '');
    expect(d.aliases).toEqual(f.aliases);
    expect(d.hosts).toEqual(f.hosts);
    expect(d.summary.aliases.shown).toBe(3);
  });

  it('?aliases=all pages through every entry: the pages join to the whole list, each within its byte bound', () => {
    const f = full();
    const seen: AliasEntry[] = [];
    let next: string | null = `/v1/status?aliases=all&offset=0&limit=${PAGE_MAX}`;
    let pages = 0;
    while (next !== null) {
      const d = doc(f, next.split('?')[1]);
      expect(JSON.stringify(d.aliases).length).toBeLessThanOrEqual(PAGE_MAX_BYTES);
      seen.push(...d.aliases);
      expect(d.page).toMatchObject({ list: 'aliases', total: 65_536, returned: d.aliases.length });
      next = d.page!.next;
      pages++;
    }
    expect(seen).toEqual(f.aliases);
    expect(pages).toBe(65_536 / PAGE_MAX);
    const last = doc(f, 'aliases=all&offset=70000');
    expect(last.aliases).toEqual([]);
    expect(last.page!.next).toBeNull();
  });

  it('a host with thousands of addresses and a huge detail is cut, with its total', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `127.2.${i >> 8}.${i & 255}`);
    const f = full({ hosts: [{ name: 'wide.test', addresses: many, state: 'missing', detail: 'd'.repeat(100_000) }] });
    const d = doc(f, 'hosts=all');
    expect(d.hosts[0]!.addresses).toHaveLength(MAX_HOST_ADDRESSES);
    expect(d.hosts[0]!.addressesTotal).toBe(10_000);
    expect(d.hosts[0]!.detail.length).toBeLessThanOrEqual(1000);
  });

  it('parses hostile queries into a clear refusal, never an exception', () => {
    const bad = ['x=1', 'aliases=', 'aliases=ALL', 'hosts=all&aliases=all', 'limit=5', 'aliases=all&limit=0x10', 'aliases=all&offset=1e3', 'aliases=all&offset=99999999999', 'aliases=all&limit=4097', 'aliases=all&limit=1&limit=2', `${'%zz'.repeat(1000)}=1`];
    for (const q of bad) {
      const r = parseStatusQuery(new URLSearchParams(q));
      expect(r.ok).toBe(false);
      expect((r as { message: string }).message.length).toBeLessThan(300);
    }
    expect(parseStatusQuery(new URLSearchParams('hosts=all&offset=10&limit=5'))).toEqual({ ok: true, query: { list: 'hosts', offset: 10, limit: 5 } });
  });

  it('the reconcile answer is bounded the same way', () => {
    const f = full();
    const report = { aliases: f.aliases, hosts: f.hosts, changes: f.lastReconcile!.changes, problems: f.lastReconcile!.problems, hostsDiff: Array(10_000).fill('+ x'), result: 'ok', config: f.config };
    const body = reconcileBody(report);
    expect(JSON.stringify(body).length).toBeLessThan(256 * 1024);
    expect(body.summary.aliases.total).toBe(65_536);
    expect(body.changesTotal).toBe(65_536);
    expect(body.hostsDiffTotal).toBe(10_000);
    expect(body.config.warningsTotal).toBe(5000);
  });
});

describe('status cache: serialised once per change', () => {
  it('1,000 requests at one version serialise once and share one buffer; a new version serialises again; uptime is always fresh', () => {
    const f = full();
    let version = 1;
    let uptime = 0;
    const cache = new StatusCache({ version: () => version, status: () => ({ ...f, daemon: { ...f.daemon, uptimeSeconds: uptime } }) });
    const first = cache.render({ list: null });
    for (let i = 0; i < 1000; i++) {
      uptime = i;
      const r = cache.render({ list: null });
      expect(r.chunks[1]).toBe(first.chunks[1]);
    }
    expect(cache.serializations).toBe(1);
    expect((cache.render({ list: null }).parse() as StatusDocument).daemon.uptimeSeconds).toBe(999);
    version = 2;
    cache.render({ list: null });
    expect(cache.serializations).toBe(2);
    // Pages are cached per version too (a --verbose walk in order), a bounded few of them.
    for (let p = 0; p < 3; p++) for (let i = 0; i < 10; i++) cache.render({ list: 'aliases', offset: p * 100, limit: 100 });
    expect(cache.serializations).toBe(5);
    const parsed = cache.render({ list: 'aliases', offset: 0, limit: 100 }).parse() as StatusDocument;
    expect(parsed.aliases).toEqual(f.aliases.slice(0, 100));
  });

  it('over the daemon socket: a reconcile shows at once (the daemon bumps the version), and 500 reads serialise once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-status-cache-'));
    let n = 0;
    const report = (): ReconcileReport => ({
      at: new Date().toISOString(),
      durationMs: 1,
      trigger: 'api',
      dryRun: false,
      result: 'ok',
      changes: [],
      aliases: slash16().slice(0, 500 + ++n),
      hosts: [],
      aliasesInSync: { status: 'True', reason: 'InSync', message: 'ok' },
      hostsInSync: { status: 'True', reason: 'InSync', message: 'ok' },
      problems: [],
      spawned: 0,
      hostsWritten: false,
      hostsDiff: [],
    });
    const reconciler: Reconciler = { reconcile: async () => report(), down: async () => { throw new Error('unused'); } };
    const config: LoadedConfig = { files: ['/x.yaml'], desired: { aliases: ['127.1.0.0'], hosts: [], settings: { ...DEFAULT_SETTINGS, schedule: '0 0 1 1 *' } }, diagnostics: [] };
    const daemon = new Daemon({
      runtime: resolveRuntime({ socket: join(dir, 'lk.sock'), stateDir: dir, hostsFile: join(dir, 'hosts'), config: [join(dir, 'c.yaml')] }, {}, 'linux'),
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      loadConfig: async () => config,
      configWatchPaths: () => [],
      reconciler,
      watch: false,
    });
    try {
      await daemon.start();
      const sock = join(dir, 'lk.sock');
      const cache = (daemon as unknown as { statusCache: StatusCache }).statusCache;
      const a = (await http(sock, 'GET', '/v1/status')).json;
      expect(a.summary.aliases.total).toBe(501);
      expect(a.aliases).toHaveLength(100);
      const before = cache.serializations;
      for (let i = 0; i < 500; i++) await http(sock, 'GET', '/v1/status');
      expect(cache.serializations).toBe(before);
      await http(sock, 'POST', '/v1/reconcile');
      expect((await http(sock, 'GET', '/v1/status')).json.summary.aliases.total).toBe(502);
      const all = (await http(sock, 'GET', '/v1/status?aliases=all&limit=4096')).json;
      expect(all.aliases).toHaveLength(502);
      expect(all.page).toMatchObject({ total: 502, next: null });
    } finally {
      await daemon.stop('test');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
