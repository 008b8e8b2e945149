// Who owns what, from the kernel's marks, the ledger and a pending batch (src/reconcile/ownership.ts).
import fc from 'fast-check';
import { judgeOwnership, needsInspection } from '../../../src/reconcile/ownership';
import type { Ledger, LedgerPending } from '../../../src/reconcile/ledger';
import type { InterfaceState } from '../../../src/platform/types';

const seen = (addresses: string[], marked: string[], families: (4 | 6)[] = [4]): InterfaceState => ({
  name: 'lo',
  exists: true,
  up: true,
  addresses: ['127.0.0.1', '::1', ...addresses],
  marked,
  markedFamilies: families,
});
const ledger = (owned: string[], pending?: LedgerPending): Pick<Ledger, 'owned' | 'pending'> => (pending ? { owned, pending } : { owned });

describe('judgeOwnership', () => {
  it('a marked address is owned even when the ledger lost it; an unmarked, unrecorded one never is', () => {
    const o = judgeOwnership({ observed: seen(['127.0.0.2', '127.0.0.3'], ['127.0.0.2']), ledger: ledger([]) });
    expect(o).toEqual({ owned: ['127.0.0.2'], doubtful: [] });
  });

  it('the ledger still owns what it recorded without a mark (an older loopkeeper, macOS), while it is there', () => {
    const o = judgeOwnership({ observed: seen(['127.0.0.2'], []), ledger: ledger(['127.0.0.2', '127.0.0.9']) });
    expect(o.owned).toEqual(['127.0.0.2']);
  });

  it('never owns 127.0.0.1 or ::1, even marked or recorded', () => {
    const o = judgeOwnership({ observed: seen([], ['127.0.0.1'], [4, 6]), ledger: ledger(['::1']) });
    expect(o.owned).toEqual([]);
  });

  it('a crash right after a removal: an address someone else added there since is not owned (issue 11 item 4)', () => {
    // The intent took 127.0.0.2 out of `owned` before ip removed it; another program added it back, unmarked.
    const o = judgeOwnership({ observed: seen(['127.0.0.2', 'fd00::2'], []), ledger: ledger([], { add: [], remove: ['127.0.0.2', 'fd00::2'] }) });
    expect(o.owned).toEqual([]);
    expect(o.doubtful).toEqual(['fd00::2']); // its mark was not looked at: in doubt, not owned
    const deep = judgeOwnership({ observed: seen(['127.0.0.2', 'fd00::2'], [], [4, 6]), ledger: ledger([], { add: [], remove: ['127.0.0.2', 'fd00::2'] }) });
    expect(deep).toEqual({ owned: [], doubtful: [] });
  });

  it('a removal that never ran leaves a marked address owned (it will be removed again)', () => {
    const o = judgeOwnership({ observed: seen(['127.0.0.2'], ['127.0.0.2']), ledger: ledger([], { add: [], remove: ['127.0.0.2'] }) });
    expect(o.owned).toEqual(['127.0.0.2']);
  });

  it('a pending add: marked → owned; seen unmarked → someone else\'s; IPv6 not looked at → doubtful', () => {
    const p: LedgerPending = { add: ['127.0.0.2', '127.0.0.3', 'fd00::2'], remove: [] };
    const o = judgeOwnership({ observed: seen(['127.0.0.2', '127.0.0.3', 'fd00::2'], ['127.0.0.2']), ledger: ledger([], p) });
    expect(o).toEqual({ owned: ['127.0.0.2'], doubtful: ['fd00::2'] });
    const confirmed = judgeOwnership({ observed: seen(['fd00::2'], []), ledger: ledger([], p), confirmed: new Set(['fd00::2']) });
    expect(confirmed.owned).toEqual(['fd00::2']);
    const rejected = judgeOwnership({ observed: seen(['fd00::2'], []), ledger: ledger([], p), rejected: new Set(['fd00::2']) });
    expect(rejected).toEqual({ owned: [], doubtful: [] });
  });

  it('a pending add without marks (macOS): there now means it was added by that batch', () => {
    const o = judgeOwnership({
      observed: { name: 'lo0', exists: true, up: true, addresses: ['127.0.0.2', 'fd00::2'] },
      ledger: ledger([], { add: ['127.0.0.2', 'fd00::2'], remove: ['127.0.0.3'], unmarked: true }),
      rejected: new Set(['fd00::2']),
    });
    expect(o).toEqual({ owned: ['127.0.0.2'], doubtful: [] });
  });

  it('an interface that cannot be seen keeps the ledger as it is', () => {
    const o = judgeOwnership({ observed: { name: 'lo', exists: true, up: false, addresses: [] }, ledger: ledger(['127.0.0.2']) });
    expect(o.owned).toEqual(['127.0.0.2']);
  });

  const v4 = fc.integer({ min: 2, max: 30 }).map((i) => `127.0.0.${i}`);
  const v6 = fc.integer({ min: 2, max: 30 }).map((i) => `fd00::${i.toString(16)}`);
  const addr = fc.oneof(v4, v6);
  const world = fc.record({
    present: fc.uniqueArray(addr, { maxLength: 25 }),
    marked: fc.uniqueArray(addr, { maxLength: 25 }),
    owned: fc.uniqueArray(addr, { maxLength: 25 }),
    pendingAdd: fc.uniqueArray(addr, { maxLength: 10 }),
    pendingRemove: fc.uniqueArray(addr, { maxLength: 10 }),
    hasPending: fc.boolean(),
    unmarked: fc.boolean(),
    families: fc.constantFrom<(4 | 6)[]>([4], [4, 6], []),
  });

  it('property: owns only present addresses; an unmarked one only by a record; a seen mark always', () => {
    fc.assert(
      fc.property(world, (w) => {
        const marked = w.marked.filter((a) => w.present.includes(a));
        const pending = w.hasPending ? { add: w.pendingAdd, remove: w.pendingRemove, ...(w.unmarked ? { unmarked: true as const } : {}) } : undefined;
        const o = judgeOwnership({ observed: seen(w.present, marked, w.families), ledger: ledger(w.owned, pending) });
        const known = (a: string) => w.families.includes(a.includes(':') ? 6 : 4);
        for (const a of o.owned) {
          expect(w.present).toContain(a);
          const byMark = known(a) && marked.includes(a);
          const byRecord = w.owned.includes(a) || (pending?.unmarked === true && pending.add.includes(a));
          expect(byMark || byRecord).toBe(true);
        }
        for (const a of marked) if (known(a)) expect(o.owned).toContain(a);
        for (const a of o.doubtful) expect(o.owned).not.toContain(a);
        // A pending removal is never owned by the record alone.
        for (const a of w.pendingRemove) if (!w.owned.includes(a) && !(known(a) && marked.includes(a)) && !(pending?.unmarked && w.pendingAdd.includes(a))) expect(o.owned).not.toContain(a);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('needsInspection', () => {
  it('only for a pending batch naming present addresses whose marks were not seen, or for down', () => {
    const v6present = seen(['fd00::2'], []);
    expect(needsInspection(v6present, {}, 'reconcile')).toBe(false);
    expect(needsInspection(v6present, { pending: { add: ['fd00::2'], remove: [] } }, 'reconcile')).toBe(true);
    expect(needsInspection(v6present, { pending: { add: ['fd00::3'], remove: [] } }, 'reconcile')).toBe(false); // absent: nothing to judge
    expect(needsInspection(v6present, { pending: { add: ['fd00::2'], remove: [], unmarked: true } }, 'reconcile')).toBe(false);
    expect(needsInspection(seen(['127.0.0.2'], []), { pending: { add: ['127.0.0.2'], remove: [] } }, 'reconcile')).toBe(false); // IPv4 marks were seen
    expect(needsInspection(v6present, {}, 'down')).toBe(true);
    expect(needsInspection(seen(['127.0.0.2'], []), {}, 'down')).toBe(false);
    expect(needsInspection({ name: 'lo', exists: true, up: false, addresses: [] }, { pending: { add: ['fd00::2'], remove: [] } }, 'down')).toBe(false);
  });
});
