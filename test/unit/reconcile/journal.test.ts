// The intent journal: each batch is written to the ledger (as `pending`, its removals already out
// of `owned`) before it runs, and settled after. A "crash" is simulated by a platform whose change
// throws at a chosen point — before the tool ran, half-way, or after it finished — so the ledger is
// left exactly as a SIGKILL would leave it; the next reconcile must then own exactly what
// loopkeeper added and nothing else (issue 11 items 1, 2 and 4).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_BATCH, reconcileAliases, type ReconcileAliasOptions } from '../../../src/reconcile/aliases';
import { parseLedger, renderLedger, sameLedger, type Ledger } from '../../../src/reconcile/ledger';
import { createRunner } from '../../../src/platform/runner';
import type { AliasChangeRequest, InterfaceState, Platform } from '../../../src/platform/types';

type CrashPoint = 'before' | 'half' | 'after' | null;

/** A kernel lo that marks what loopkeeper adds (like Linux), or not (like macOS). */
function kernel(opts: { marks: boolean }) {
  const addrs = new Map<string, boolean>([
    ['127.0.0.1', false],
    ['::1', false],
  ]); // address -> carries loopkeeper's mark
  const k = {
    addrs,
    crash: null as CrashPoint,
    requests: [] as AliasChangeRequest[],
    inspections: 0,
    handAdd(a: string) {
      addrs.set(a, false);
    },
    state(deep: boolean): InterfaceState {
      const s: InterfaceState = { name: 'lo', exists: true, up: true, addresses: [...addrs.keys()] };
      if (opts.marks) {
        s.marked = [...addrs].filter(([a, m]) => m && (deep || !a.includes(':'))).map(([a]) => a);
        s.markedFamilies = deep ? [4, 6] : [4];
      }
      return s;
    },
  };
  const platform: Platform = {
    name: 'linux',
    flushDnsCache: async () => undefined,
    aliases: {
      interfaceName: 'lo',
      marks: opts.marks,
      observe: async () => k.state(false),
      ...(opts.marks
        ? {
            inspect: async () => {
              k.inspections++;
              return k.state(true);
            },
          }
        : {}),
      async change(req) {
        k.requests.push(req);
        const work = [...req.add.map((a) => ['add', a] as const), ...req.remove.map((a) => ['remove', a] as const)];
        const crashAt = k.crash === 'before' ? 0 : k.crash === 'half' ? Math.floor(work.length / 2) : work.length;
        const results = [];
        for (let i = 0; i < work.length; i++) {
          if (k.crash !== null && i === crashAt) throw new Error('SIGKILL');
          const [action, a] = work[i]!;
          if (action === 'add') {
            if (addrs.has(a)) results.push({ address: a, action, ok: true, existed: true });
            else addrs.set(a, opts.marks), results.push({ address: a, action, ok: true, ...(opts.marks ? { added: true } : {}) });
          } else {
            addrs.delete(a);
            results.push({ address: a, action, ok: true });
          }
        }
        if (k.crash === 'after') throw new Error('SIGKILL');
        return { results, after: k.state(false) };
      },
    },
  };
  return { k, platform };
}

function setup(marks = true) {
  const stateDir = join(mkdtempSync(join(tmpdir(), 'lk-journal-')), 'state');
  const { k, platform } = kernel({ marks });
  const runner = createRunner();
  const run = (desired: string[], o: Partial<ReconcileAliasOptions> = {}) =>
    reconcileAliases(platform, desired, { stateDir, prune: true, mode: 'reconcile', dryRun: false, runner, ...o });
  const ledger = (): Ledger => parseLedger(readFileSync(join(stateDir, 'state.json'), 'utf8')).ledger;
  const mine = () => [...k.addrs].filter(([, m]) => m).map(([a]) => a).sort();
  return { k, platform, run, ledger, mine, stateDir };
}

describe('ledger: the pending batch', () => {
  it('round-trips, sorted, and is compared by content', () => {
    const l: Ledger = { version: 1, interface: 'lo', owned: ['127.0.0.3'], pending: { add: ['fd00::2', '127.0.0.2'], remove: ['127.0.0.9'], unmarked: true, pid: 42, at: 'x' } };
    const text = renderLedger(l);
    expect(text).toContain('"pending": {\n    "add": [\n      "127.0.0.2",\n      "fd00::2"\n    ],\n    "remove": [\n      "127.0.0.9"\n    ],\n    "unmarked": true,\n    "pid": 42');
    const back = parseLedger(text);
    expect(back.problem).toBeNull();
    expect(back.ledger.pending).toEqual({ add: ['127.0.0.2', 'fd00::2'], remove: ['127.0.0.9'], unmarked: true, pid: 42, at: 'x' });
    expect(sameLedger(back.ledger, l)).toBe(true);
    expect(sameLedger(back.ledger, { ...l, pending: undefined })).toBe(false);
    expect(sameLedger(back.ledger, { ...l, pending: { add: ['127.0.0.2'], remove: ['127.0.0.9'], unmarked: true } })).toBe(false);
  });

  it.each([
    ['not an object', '"x"'],
    ['an array', '[]'],
    ['add not a list', '{"add": "127.0.0.2", "remove": []}'],
    ['garbage address', '{"add": ["127.0.0.2", "nope"], "remove": []}'],
    ['127.0.0.1', '{"add": [], "remove": ["127.0.0.1"]}'],
  ])('a pending record loopkeeper never writes (%s) is ignored, said, and the rest kept', (_n, pending) => {
    const r = parseLedger(`{"version": 1, "owned": ["127.0.0.5"], "pending": ${pending}}`);
    expect(r.corrupt).toBe(false);
    expect(r.ledger).toEqual({ version: 1, owned: ['127.0.0.5'] });
    expect(r.problem).toMatch(/ignored a "pending" batch record/);
  });
});

describe('reconcileAliases: intent first, outcome after', () => {
  it('writes the intent before the tool runs, and nothing pending after', async () => {
    const t = setup();
    let seenAtChange: Ledger | null = null;
    const change = t.platform.aliases.change.bind(t.platform.aliases);
    t.platform.aliases.change = async (req) => {
      seenAtChange = t.ledger();
      return change(req);
    };
    await t.run(['127.0.0.2', 'fd00::2']);
    expect(seenAtChange).toMatchObject({ owned: [], pending: { add: ['127.0.0.2', 'fd00::2'], remove: [] } });
    expect(t.ledger()).toMatchObject({ owned: ['127.0.0.2', 'fd00::2'] });
    expect(t.ledger().pending).toBeUndefined();
    await t.run(['127.0.0.2']);
    expect(t.ledger().owned).toEqual(['127.0.0.2']);
  });

  it.each(['before', 'half', 'after'] as const)('killed %s the batch: the next reconcile owns exactly what was added, and the ledger matches', async (point) => {
    const t = setup();
    t.k.handAdd('127.0.0.9');
    t.k.handAdd('fd00::9');
    await t.run(['127.0.0.2', 'fd00::2']);
    t.k.crash = point;
    const desired = ['127.0.0.2', '127.0.0.3', '127.0.0.4', 'fd00::3', 'fd00::4', '127.0.0.9'];
    await expect(t.run(desired)).rejects.toThrow('SIGKILL');
    expect(t.ledger().pending).toBeDefined(); // left as a crash leaves it
    t.k.crash = null;
    await t.run(desired);
    expect(t.ledger().pending).toBeUndefined();
    expect([...t.ledger().owned].sort()).toEqual(t.mine());
    expect(t.mine()).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', 'fd00::3', 'fd00::4'].sort());
    // Hand-added addresses are never ours: they survive down.
    await t.run([], { mode: 'down' });
    expect([...t.k.addrs.keys()].sort()).toEqual(['127.0.0.1', '127.0.0.9', '::1', 'fd00::9']);
    expect(t.ledger().owned).toEqual([]);
  });

  it('killed right after removing an address that another program then adds: it is never removed (item 4)', async () => {
    for (const marks of [true, false]) {
      const t = setup(marks);
      await t.run(['127.0.0.2', 'fd00::2', '127.0.0.3']);
      t.k.crash = 'after';
      await expect(t.run(['127.0.0.3'])).rejects.toThrow('SIGKILL'); // removed 127.0.0.2 and fd00::2, then died
      t.k.crash = null;
      t.k.handAdd('127.0.0.2');
      t.k.handAdd('fd00::2');
      await t.run(['127.0.0.3']);
      await t.run([], { mode: 'down' });
      expect([...t.k.addrs.keys()].sort()).toEqual(['127.0.0.1', '127.0.0.2', '::1', 'fd00::2']);
    }
  });

  it('without marks (macOS), an add whose batch was killed is still owned and removed by down (no orphan)', async () => {
    const t = setup(false);
    t.k.crash = 'after';
    await expect(t.run(['127.0.0.2', 'fd00::2'])).rejects.toThrow('SIGKILL');
    t.k.crash = null;
    await t.run([], { mode: 'down' });
    expect([...t.k.addrs.keys()].sort()).toEqual(['127.0.0.1', '::1']);
  });

  it('a lost ledger loses nothing on Linux: the marks are the record (down finds IPv6 by a deeper look)', async () => {
    const t = setup();
    t.k.handAdd('fd00::9');
    await t.run(['127.0.0.2', 'fd00::2']);
    const { rmSync } = require('node:fs') as typeof import('node:fs');
    rmSync(t.stateDir, { recursive: true });
    const pruned = await t.run(['fd00::2']);
    expect(pruned.applied).toEqual([{ kind: 'alias', action: 'remove', address: '127.0.0.2' }]); // IPv4 mark seen without spawning
    await t.run([], { mode: 'down' });
    expect([...t.k.addrs.keys()].sort()).toEqual(['127.0.0.1', '::1', 'fd00::9']);
  });

  it('a reconcile with nothing to do reads, plans and stops: no lock, no deeper look, no write', async () => {
    const t = setup();
    await t.run(['127.0.0.2', 'fd00::2']);
    const before = readFileSync(join(t.stateDir, 'state.json'), 'utf8');
    const inspections = t.k.inspections;
    let locks = 0;
    await t.run(['127.0.0.2', 'fd00::2'], { lock: async () => (locks++, { kind: 'flock', release: async () => undefined }) });
    expect(locks).toBe(0);
    expect(t.k.inspections).toBe(inspections);
    expect(readFileSync(join(t.stateDir, 'state.json'), 'utf8')).toBe(before);
  });

  it('a big change is split into batches, each journalled and recorded before the next', async () => {
    const t = setup();
    const desired = Array.from({ length: 10 }, (_, i) => `127.0.5.${i + 1}`);
    const intents: Ledger[] = [];
    const change = t.platform.aliases.change.bind(t.platform.aliases);
    t.platform.aliases.change = async (req) => {
      intents.push(t.ledger());
      return change(req);
    };
    await t.run(desired, { batchSize: 4 });
    expect(t.k.requests.map((r) => r.add.length)).toEqual([4, 4, 2]);
    expect(intents.map((l) => l.owned.length)).toEqual([0, 4, 8]); // progress recorded between batches
    expect(intents.map((l) => l.pending!.add.length)).toEqual([4, 4, 2]);
    expect(t.ledger().owned.length).toBe(10);
    expect(MAX_BATCH).toBeGreaterThanOrEqual(1000);
  });

  it('a batch that fails as a whole stops the rest: one error, the rest "not attempted"', async () => {
    const t = setup();
    t.platform.aliases.change = async (req) => ({
      results: [...req.add.map((address) => ({ address, action: 'add' as const, ok: false, error: 'no ip' }))],
      after: t.k.state(false),
      batchError: 'no ip',
    });
    const r = await t.run(['127.0.5.1', '127.0.5.2', '127.0.5.3'], { batchSize: 2 });
    expect(r.failed.map((f) => f.error)).toEqual(['no ip', 'no ip', 'not attempted: an earlier batch failed (no ip)']);
    expect(t.ledger().pending).toBeUndefined();
  });

  it('the intent cannot be written: nothing is changed, and it says why', async () => {
    const t = setup();
    const { mkdirSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
    mkdirSync(join(t.stateDir, 'state.json', 'x'), { recursive: true }); // rename onto a non-empty dir fails
    writeFileSync(join(t.stateDir, 'state.json', 'x', 'y'), '');
    const r = await t.run(['127.0.0.2']);
    expect(t.k.requests).toEqual([]);
    expect(r.failed).toEqual([{ address: '127.0.0.2', action: 'add', error: expect.stringMatching(/^not changed: the ownership ledger .*state\.json could not be written/) }]);
    expect(r.ledgerProblem).toMatch(/could not record owned aliases in .*; nothing was changed.*make room in the state dir or fix it/);
    expect(r.ledgerFailure).toMatchObject({ reason: 'LedgerNotWritten' });
  });

  it.each([true, false])('two reconciles at once (marks: %s) keep every ownership record: the lock serialises them', async (marks) => {
    // With marks the kernel would heal a lost record at the next look anyway; without them (macOS)
    // only the lock keeps the second writer from overwriting the first one's record.
    const t = setup(marks);
    const a = Array.from({ length: 30 }, (_, i) => `127.0.6.${i + 1}`);
    const b = Array.from({ length: 30 }, (_, i) => `127.0.7.${i + 1}`);
    for (let round = 0; round < 10; round++) {
      await Promise.all([t.run(round % 2 ? a : b, { prune: false }), t.run(round % 2 ? b : a, { prune: false })]);
      expect([...t.ledger().owned].sort()).toEqual([...t.k.addrs.keys()].filter((x) => x.startsWith('127.0.6') || x.startsWith('127.0.7')).sort());
    }
    expect(t.ledger().owned.length).toBe(60);
  });
});
