// The Linux adapter and the ownership ledger against a real kernel `lo`, inside private namespaces
// (the machine's own `lo` is never touched). One driver runs the whole story in one namespace and
// reports every step as JSON; `ip -j addr` is the independent witness of what is on the interface.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeInNamespace, runInNamespace } from '../helpers/namespace';
import { parseIpJson } from '../../src/platform/ipjson';

const REPO = resolve(__dirname, '..', '..');
const DIST = join(REPO, 'dist');

const DRIVER = `
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const [dist, stateDir] = process.argv.slice(2);
const { createPlatform } = require(dist + '/platform/index.js');
const { createRunner } = require(dist + '/platform/runner.js');
const { reconcileAliases } = require(dist + '/reconcile/aliases.js');
const runner = createRunner();
const platform = createPlatform({ platform: 'linux', interfaceName: 'lo', runner, allowAliasRanges: [] });
const ip = (...a) => spawnSync('ip', a, { encoding: 'utf8' });
const ipJson = () => ip('-j', 'addr', 'show', 'dev', 'lo').stdout;
const ledger = () => { try { return JSON.parse(fs.readFileSync(stateDir + '/state.json', 'utf8')); } catch (e) { return String(e.code); } };
const many = [];
for (let i = 0; i < 1000; i++) many.push('127.0.' + (10 + (i >> 8)) + '.' + (i & 255));
const v6 = ['fd00::2', 'fd00::3', 'fd00::a:1', 'fd00::a:2', 'fd00::a:3'];
async function step(desired, opts = {}) {
  const before = runner.spawned;
  const o = await reconcileAliases(platform, desired, { stateDir, prune: true, mode: 'reconcile', dryRun: false, runner, ...opts });
  return {
    spawned: runner.spawned - before,
    problems: o.plan.problems, ledgerProblem: o.ledgerProblem,
    planned: o.plan.changes.length, applied: o.applied.length, failed: o.failed,
    removed: o.applied.filter((c) => c.action === 'remove').map((c) => c.address),
    entries: o.entries.filter((e) => !e.address.startsWith('127.0.1')),
    entryStates: o.entries.reduce((m, e) => (m[e.state + (e.owned ? '+owned' : '')] = (m[e.state + (e.owned ? '+owned' : '')] || 0) + 1, m), {}),
    ledger: ledger(), ip: ipJson(),
  };
}
(async () => {
  const out = {};
  out.handAdd = ip('addr', 'add', '127.0.0.9/32', 'dev', 'lo').status;
  out.apply = await step([...many, ...v6, '127.0.0.9']);
  out.again = await step([...many, ...v6, '127.0.0.9']);
  out.prune = await step([...many.slice(0, 500), 'fd00::2']);
  // Someone adds one address by hand just before loopkeeper does: ip hits "already assigned".
  out.handAdd2 = ip('addr', 'add', '127.0.9.5/32', 'dev', 'lo').status;
  const late = ['127.0.9.1', '127.0.9.2', '127.0.9.3', '127.0.9.4', '127.0.9.5', '127.0.9.6', '127.0.9.7'];
  const fake = { ...platform, aliases: { ...platform.aliases, observe: async () => { const s = await platform.aliases.observe(); return { ...s, addresses: s.addresses.filter((a) => a !== '127.0.9.5') }; } } };
  {
    const before = runner.spawned;
    const o = await reconcileAliases(fake, [...many.slice(0, 500), 'fd00::2', ...late], { stateDir, prune: true, mode: 'reconcile', dryRun: false, runner });
    out.midBatch = { spawned: runner.spawned - before, failed: o.failed, late: o.entries.filter((e) => e.address.startsWith('127.0.9.')), ledger: ledger(), ip: ipJson() };
  }
  out.down = await step([], { mode: 'down' });
  out.afterDown = await step([], { mode: 'down' });
  out.reapply = await step(['127.0.0.2']);
  out.linkDown = ip('link', 'set', 'lo', 'down').status;
  out.whileDown = await step(['127.0.0.2', '127.0.0.3']);
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const addressesOf = (json: string) => parseIpJson(json)[0]!.addresses.map((a) => a.address);

describeInNamespace('aliases against a real lo (ip -batch, ledger)', () => {
  let out: Record<string, any>;
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-ns-aliases-'));
    writeFileSync(join(dir, 'driver.js'), DRIVER);
    // A fresh sysfs so /sys/class/net shows this namespace's lo (as it does under systemd or docker).
    const r = runInNamespace([process.execPath, join(dir, 'driver.js'), DIST, join(dir, 'state')]);
    if (r.code !== 0) throw new Error(`driver failed (${r.code}): ${r.stderr}\nDid you build? npx tsc -p tsconfig.build.json`);
    out = JSON.parse(r.stdout);
  });

  it('applies 1,000 IPv4 and 5 IPv6 aliases in one process, and owns exactly those it added', () => {
    expect(out.handAdd).toBe(0);
    const a = out.apply;
    expect(a.spawned).toBe(2); // the state lock's flock, then ONE ip -batch
    expect(a.failed).toEqual([]);
    expect(a.applied).toBe(1005);
    const onLo = new Set(addressesOf(a.ip));
    expect(onLo.size).toBe(1008); // + 127.0.0.1, ::1, 127.0.0.9
    for (const x of ['127.0.10.0', '127.0.13.231', 'fd00::2', 'fd00::a:3', '127.0.0.9']) expect(onLo.has(x)).toBe(true);
    expect(a.ledger.owned.length).toBe(1005);
    expect(a.ledger.owned).not.toContain('127.0.0.9');
    expect(a.entries.find((e: any) => e.address === '127.0.0.9')).toEqual({ address: '127.0.0.9', state: 'present', owned: false, desired: true });
    expect(parseIpJson(a.ip)[0]!.addresses.find((x) => x.address === 'fd00::2')!.prefixLength).toBe(128);
    expect(parseIpJson(a.ip)[0]!.addresses.find((x) => x.address === '127.0.10.0')!.prefixLength).toBe(32);
  });

  it('the kernel records ownership with each address: label lo:lk on IPv4, metric 27755 on IPv6, nothing on hand-added ones', () => {
    const info = JSON.parse(out.apply.ip)[0].addr_info as { local: string; label?: string; metric?: number }[];
    const of = (a: string) => info.find((x) => x.local === a)!;
    expect(of('127.0.10.0').label).toBe('lo:lk');
    expect(of('fd00::a:3').metric).toBe(27755);
    expect(of('127.0.0.9').label).toBe('lo');
    expect(of('127.0.0.9').metric).toBeUndefined();
    expect(info.filter((x) => x.label === 'lo:lk' || x.metric === 27755).length).toBe(1005);
  });

  it('a second reconcile spawns nothing and plans nothing', () => {
    expect(out.again).toMatchObject({ spawned: 0, planned: 0, applied: 0, problems: [], ledgerProblem: null });
    expect(out.again.entryStates).toEqual({ 'present+owned': 1005, present: 1 });
  });

  it('prune removes owned undesired aliases, never the hand-added 127.0.0.9', () => {
    const p = out.prune;
    expect(p.spawned).toBe(2);
    expect(p.removed.length).toBe(504);
    const onLo = new Set(addressesOf(p.ip));
    expect(onLo.has('127.0.0.9')).toBe(true);
    expect(onLo.has('127.0.11.243')).toBe(true); // index 499
    expect(onLo.has('127.0.11.244')).toBe(false); // index 500
    expect(onLo.has('fd00::3')).toBe(false);
    expect(p.ledger.owned.length).toBe(501);
  });

  it('a mid-batch "already assigned" leaves an accurate report and a correct ledger', () => {
    const m = out.midBatch;
    expect(out.handAdd2).toBe(0);
    expect(m.spawned).toBe(2);
    expect(m.failed).toEqual([]);
    expect(m.late.map((e: any) => [e.address, e.state, e.owned])).toEqual([
      ['127.0.9.1', 'present', true], ['127.0.9.2', 'present', true], ['127.0.9.3', 'present', true], ['127.0.9.4', 'present', true],
      ['127.0.9.5', 'present', false], // someone else put it there: never ours
      ['127.0.9.6', 'present', true], ['127.0.9.7', 'present', true],
    ]);
    expect(m.ledger.owned).not.toContain('127.0.9.5');
    expect(m.ledger.owned).toContain('127.0.9.7');
    const onLo = new Set(addressesOf(m.ip));
    for (let i = 1; i <= 7; i++) expect(onLo.has(`127.0.9.${i}`)).toBe(true);
  });

  it('down removes everything loopkeeper added and nothing else; a second down does nothing', () => {
    const d = out.down;
    expect(d.failed).toEqual([]);
    expect(d.spawned).toBe(3); // lock, one `ip -j addr` (IPv6 marks are seen only there), one ip -batch
    expect(addressesOf(d.ip).sort()).toEqual(['127.0.0.1', '127.0.0.9', '127.0.9.5', '::1']);
    expect(d.ledger.owned).toEqual([]);
    expect(out.afterDown).toMatchObject({ spawned: 0, planned: 0 });
  });

  it('a down lo is reported as a problem, with no process and no change', () => {
    expect(out.reapply.spawned).toBe(2);
    expect(out.linkDown).toBe(0);
    const w = out.whileDown;
    expect(w.spawned).toBe(0);
    expect(w.planned).toBe(0);
    expect(w.problems).toEqual(['interface lo is down; loopkeeper never changes the interface state — bring it up with `ip link set lo up`']);
    expect(w.ledger.owned).toEqual(['127.0.0.2']);
  });
});
