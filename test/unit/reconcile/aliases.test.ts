import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { planAliases, reconcileAliases } from '../../../src/reconcile/aliases';
import type { Ledger } from '../../../src/reconcile/ledger';
import type { InterfaceState, Platform } from '../../../src/platform/types';
import { fakePlatform, type FakePlatform } from '../../helpers/fake-platform';

const up = (addresses: string[]): InterfaceState => ({ name: 'lo', exists: true, up: true, addresses: ['127.0.0.1', '::1', ...addresses] });
const ledger = (owned: string[]): Ledger => ({ version: 1, owned });
const R = { prune: true, mode: 'reconcile' as const };

describe('planAliases (pure)', () => {
  it('adds what is desired and missing; removes only owned, present, undesired aliases', () => {
    const p = planAliases(up(['127.0.0.2', '127.0.0.8', '127.0.0.9']), ['127.0.0.2', '127.0.0.3', 'FD00::2'], ledger(['127.0.0.8', '127.0.0.2', '127.0.0.7']), R);
    expect(p.add).toEqual(['127.0.0.3', 'fd00::2']);
    expect(p.remove).toEqual(['127.0.0.8']); // 127.0.0.9 is not ours; 127.0.0.7 is ours but gone
    expect(p.changes).toEqual([
      { kind: 'alias', action: 'add', address: '127.0.0.3' },
      { kind: 'alias', action: 'add', address: 'fd00::2' },
      { kind: 'alias', action: 'remove', address: '127.0.0.8' },
    ]);
    expect(p.entries).toEqual([
      { address: '127.0.0.2', state: 'present', owned: true, desired: true },
      { address: '127.0.0.3', state: 'missing', owned: false, desired: true },
      { address: 'fd00::2', state: 'missing', owned: false, desired: true },
      { address: '127.0.0.8', state: 'present', owned: true, desired: false },
    ]);
    expect(p.problems).toEqual([]);
  });

  it('with prune off keeps owned undesired aliases (listed, not removed)', () => {
    const p = planAliases(up(['127.0.0.8']), [], ledger(['127.0.0.8']), { prune: false, mode: 'reconcile' });
    expect(p.remove).toEqual([]);
    expect(p.entries).toEqual([{ address: '127.0.0.8', state: 'present', owned: true, desired: false }]);
  });

  it('down removes every owned present alias and ignores desired', () => {
    const p = planAliases(up(['127.0.0.2', '127.0.0.9']), ['127.0.0.2', '127.0.0.3'], ledger(['127.0.0.2']), { prune: false, mode: 'down' });
    expect(p.add).toEqual([]);
    expect(p.remove).toEqual(['127.0.0.2']);
  });

  it('ignores 127.0.0.1, ::1, duplicates; reports what is not an address', () => {
    const p = planAliases(up([]), ['127.0.0.1', '::1', '127.0.0.2', '127.0.0.2', 'bogus'], ledger([]), R);
    expect(p.add).toEqual(['127.0.0.2']);
    expect(p.problems).toEqual(['ignoring alias "bogus": not a plain IP address']);
  });

  it('a down interface: a clear problem saying "down" and how to fix it, no changes', () => {
    const p = planAliases({ name: 'lo', exists: true, up: false, addresses: [] }, ['127.0.0.2'], ledger(['127.0.0.5']), R);
    expect(p.changes).toEqual([]);
    expect(p.problems).toEqual(['interface lo is down; loopkeeper never changes the interface state — bring it up with `ip link set lo up`']);
    expect(p.entries).toEqual([{ address: '127.0.0.2', state: 'missing', owned: false, desired: true }]);
    const mac = planAliases({ name: 'lo0', exists: true, up: false, addresses: [] }, [], ledger([]), { ...R, platform: 'darwin' });
    expect(mac.problems[0]).toMatch(/`sudo ifconfig lo0 up`/);
  });

  it('a missing interface: "does not exist", no changes', () => {
    const p = planAliases({ name: 'lo9', exists: false, up: null, addresses: [] }, ['127.0.0.2'], ledger([]), R);
    expect(p.changes).toEqual([]);
    expect(p.problems[0]).toMatch(/^interface lo9 does not exist/);
  });

  const addr = fc.integer({ min: 2, max: 40 }).map((i) => `127.0.0.${i}`);
  const world = fc.record({
    present: fc.uniqueArray(addr, { maxLength: 20 }),
    desired: fc.uniqueArray(addr, { maxLength: 20 }),
    owned: fc.uniqueArray(addr, { maxLength: 20 }),
    prune: fc.boolean(),
    mode: fc.constantFrom('reconcile' as const, 'down' as const),
  });

  it('property: never removes an address that is not owned, nor 127.0.0.1 / ::1', () => {
    fc.assert(
      fc.property(world, (w) => {
        const p = planAliases(up(w.present), w.desired, ledger(w.owned), w);
        for (const r of p.remove) {
          expect(w.owned).toContain(r);
          expect(w.present).toContain(r);
        }
        expect(p.remove.filter((r) => r === '127.0.0.1' || r === '::1')).toEqual([]);
        expect(p.add.filter((a) => w.present.includes(a))).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: idempotent — applying the plan and planning again yields no changes', () => {
    fc.assert(
      fc.property(world, (w) => {
        const p = planAliases(up(w.present), w.desired, ledger(w.owned), w);
        const present = new Set(w.present);
        const owned = new Set(w.owned.filter((a) => present.has(a)));
        for (const a of p.add) present.add(a), owned.add(a);
        for (const r of p.remove) present.delete(r), owned.delete(r);
        const again = planAliases(up([...present]), w.desired, ledger([...owned]), w);
        expect(again.changes).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});

function setup(initial?: string[]) {
  const stateDir = join(mkdtempSync(join(tmpdir(), 'lk-aliases-')), 'state');
  const platform = fakePlatform(initial);
  const opts = (o: Partial<{ prune: boolean; mode: 'reconcile' | 'down'; dryRun: boolean }> = {}) => ({
    stateDir,
    prune: true,
    mode: 'reconcile' as const,
    dryRun: false,
    ...o,
  });
  const ledgerFile = join(stateDir, 'state.json');
  const owned = () => (JSON.parse(readFileSync(ledgerFile, 'utf8')) as Ledger).owned;
  return { stateDir, platform, opts, ledgerFile, owned };
}

describe('reconcileAliases', () => {
  it('adds, records ownership, and a second run changes nothing and writes nothing', async () => {
    const t = setup();
    const first = await reconcileAliases(t.platform, ['127.0.0.2', 'fd00::2'], t.opts());
    expect(first.applied).toEqual([
      { kind: 'alias', action: 'add', address: '127.0.0.2' },
      { kind: 'alias', action: 'add', address: 'fd00::2' },
    ]);
    expect(first.entries).toEqual([
      { address: '127.0.0.2', state: 'present', owned: true, desired: true },
      { address: 'fd00::2', state: 'present', owned: true, desired: true },
    ]);
    expect(t.owned()).toEqual(['127.0.0.2', 'fd00::2']);
    const mtime = statSync(t.ledgerFile).mtimeMs;
    const second = await reconcileAliases(t.platform, ['127.0.0.2', 'fd00::2'], t.opts());
    expect(second.plan.changes).toEqual([]);
    expect(second.applied).toEqual([]);
    expect(t.platform.requests.length).toBe(1);
    expect(statSync(t.ledgerFile).mtimeMs).toBe(mtime);
    expect(second.ledgerProblem).toBeNull();
  });

  it('a hand-added alias survives prune and down, even after being desired for a while', async () => {
    const t = setup(['127.0.0.1', '::1', '127.0.0.9']);
    await reconcileAliases(t.platform, ['127.0.0.9', '127.0.0.2'], t.opts());
    expect(t.owned()).toEqual(['127.0.0.2']);
    const pruned = await reconcileAliases(t.platform, [], t.opts());
    expect(pruned.applied).toEqual([{ kind: 'alias', action: 'remove', address: '127.0.0.2' }]);
    await reconcileAliases(t.platform, [], t.opts({ mode: 'down' }));
    expect([...t.platform.addresses].sort()).toEqual(['127.0.0.1', '127.0.0.9', '::1']);
    expect(t.owned()).toEqual([]);
  });

  it('dry run plans only: no change request, no ledger, no state dir', async () => {
    const t = setup();
    const r = await reconcileAliases(t.platform, ['127.0.0.2'], t.opts({ dryRun: true }));
    expect(r.plan.add).toEqual(['127.0.0.2']);
    expect(r.applied).toEqual([]);
    expect(t.platform.requests).toEqual([]);
    expect(existsSync(t.stateDir)).toBe(false);
  });

  it('does not create the state dir when nothing is owned', async () => {
    const t = setup(['127.0.0.1', '::1', '127.0.0.2']);
    const r = await reconcileAliases(t.platform, ['127.0.0.2'], t.opts());
    expect(r.entries).toEqual([{ address: '127.0.0.2', state: 'present', owned: false, desired: true }]);
    expect(existsSync(t.stateDir)).toBe(false);
  });

  it('forgets owned aliases someone removed by hand (they are not ours to remove any more)', async () => {
    const t = setup();
    await reconcileAliases(t.platform, ['127.0.0.2', '127.0.0.3'], t.opts());
    t.platform.addresses.delete('127.0.0.3');
    const r = await reconcileAliases(t.platform, ['127.0.0.2'], t.opts());
    expect(r.plan.changes).toEqual([]);
    expect(t.platform.requests.length).toBe(1);
    expect(t.owned()).toEqual(['127.0.0.2']);
  });

  it('a failed add is reported per address; the ledger records only what was added', async () => {
    const t = setup();
    t.platform.failing.add('127.0.0.3');
    const r = await reconcileAliases(t.platform, ['127.0.0.2', '127.0.0.3', '127.0.0.4'], t.opts());
    expect(r.failed).toEqual([{ address: '127.0.0.3', action: 'add', error: 'simulated failure' }]);
    expect(r.entries.find((e) => e.address === '127.0.0.3')).toEqual({ address: '127.0.0.3', state: 'failed', owned: false, desired: true, error: 'simulated failure' });
    expect(t.owned()).toEqual(['127.0.0.2', '127.0.0.4']);
  });

  it('an address that turned out to exist already is present but never owned', async () => {
    const t = setup();
    const base = t.platform.aliases.change.bind(t.platform.aliases);
    const platform: Platform = {
      ...t.platform,
      aliases: {
        ...t.platform.aliases,
        async change(req) {
          const rep = await base(req);
          return { ...rep, results: rep.results.map((r) => (r.address === '127.0.0.3' ? { ...r, existed: true } : r)) };
        },
      },
    };
    const r = await reconcileAliases(platform, ['127.0.0.2', '127.0.0.3'], t.opts());
    expect(r.entries.map((e) => [e.address, e.state, e.owned])).toEqual([['127.0.0.2', 'present', true], ['127.0.0.3', 'present', false]]);
    expect(t.owned()).toEqual(['127.0.0.2']);
  });

  it('a down interface: problem, no change, the ledger untouched', async () => {
    const t = setup();
    await reconcileAliases(t.platform, ['127.0.0.2'], t.opts());
    const before = readFileSync(t.ledgerFile, 'utf8');
    t.platform.up = false;
    const downPlatform: FakePlatform = t.platform;
    const observe = downPlatform.aliases.observe;
    downPlatform.aliases.observe = async () => ({ ...(await observe()), addresses: [] });
    const r = await reconcileAliases(downPlatform, ['127.0.0.2', '127.0.0.3'], t.opts());
    expect(r.plan.problems[0]).toMatch(/is down/);
    expect(t.platform.requests.length).toBe(1);
    expect(readFileSync(t.ledgerFile, 'utf8')).toBe(before);
  });

  it('a corrupt ledger owns nothing: nothing is removed, the problem is reported, the bad file kept aside when replaced', async () => {
    const t = setup(['127.0.0.1', '::1', '127.0.0.5']);
    mkdirSync(t.stateDir, { recursive: true });
    writeFileSync(t.ledgerFile, '{"version": 1, "owned": ["127.0.0.5"');
    const r = await reconcileAliases(t.platform, [], t.opts());
    expect(r.plan.remove).toEqual([]);
    expect(r.ledgerProblem).toMatch(/is not valid JSON/);
    expect(readFileSync(t.ledgerFile, 'utf8')).toBe('{"version": 1, "owned": ["127.0.0.5"'); // nothing to record: left for a human
    await reconcileAliases(t.platform, ['127.0.0.2'], t.opts());
    expect(t.owned()).toEqual(['127.0.0.2']);
    expect(readFileSync(`${t.ledgerFile}.corrupt`, 'utf8')).toBe('{"version": 1, "owned": ["127.0.0.5"');
  });

  it('a ledger written for another interface owns nothing here, and says so', async () => {
    const t = setup(['127.0.0.1', '::1', '127.0.0.5']);
    mkdirSync(t.stateDir, { recursive: true });
    writeFileSync(t.ledgerFile, JSON.stringify({ version: 1, interface: 'lo0', owned: ['127.0.0.5'] }));
    const r = await reconcileAliases(t.platform, [], t.opts());
    expect(r.plan.remove).toEqual([]);
    expect(r.ledgerProblem).toMatch(/added on lo0, but it now manages lo/);
  });

  it('changes nothing it could not record: a state dir that cannot be used fails the change, once', async () => {
    const t = setup();
    mkdirSync(join(t.stateDir, '..'), { recursive: true });
    writeFileSync(t.stateDir, 'a file where the state dir should be');
    const r = await reconcileAliases(t.platform, ['127.0.0.2', '127.0.0.3'], t.opts());
    expect(r.applied).toEqual([]);
    expect(t.platform.requests).toEqual([]);
    expect(r.failed.map((f) => f.address)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(r.failed[0]!.error).toBe('not changed: the state lock could not be taken');
    expect(r.ledgerFailure).toMatchObject({ reason: 'LedgerNotWritten', message: expect.stringMatching(/could not record owned aliases in .*: cannot take the state lock .*state\/lock: .*not a directory.*nothing was changed/) });
  });
});
