// Integrity under faults (issue 11): the built `loopkeeper apply` and `loopkeeperd` are SIGKILLed
// during alias batches, at points chosen by events (the Nth address appearing or going, the Kth
// ledger write, the daemon's "reconcile started" line), with fixed seeds. After each round's next
// reconcile: nothing orphaned, nothing hand-added removed or owned, the ledger equal to the
// kernel's marks and nothing pending; after a final `loopkeeper down`, nothing loopkeeper added is
// left. The work happens in test/integration/alias-fault.driver.js inside a private namespace.
import { describeInNamespace } from '../helpers/namespace';
import { expectNothingLost, runFaultDriver, type FaultSummary } from './alias-fault.helpers';

const BOUND = 30 * 60 * 1000; // a hang, not a performance limit

describeInNamespace('SIGKILL of `loopkeeper apply` during alias batches (seed 1101, 120 rounds)', () => {
  let s: FaultSummary;
  beforeAll(async () => {
    s = await runFaultDriver('apply', 1101, 120);
  }, BOUND);

  it('loses nothing: no orphan, nothing hand-added removed, the ledger equal to the kernel marks after each next reconcile', () => {
    expectNothingLost(s);
    expect(s.rounds).toBe(120);
    expect(s.checks).toBeGreaterThanOrEqual(80);
  });

  it('really killed it before, during and after batches, and had others re-add what it had just removed', () => {
    expect(s.killed).toBeGreaterThanOrEqual(90);
    expect(s.killedMidBatch).toBeGreaterThan(0);
    expect(s.killedBeforeBatch + s.killedAfterBatch).toBeGreaterThan(0);
    expect(s.reAddedByOthers).toBeGreaterThan(0);
  });
});

describeInNamespace('SIGKILL of `loopkeeperd` during alias batches (seed 1102, 80 rounds)', () => {
  let s: FaultSummary;
  beforeAll(async () => {
    s = await runFaultDriver('daemon', 1102, 80);
  }, BOUND);

  it('loses nothing: the restarted daemon settles every batch it left half-done', () => {
    expectNothingLost(s);
    expect(s.rounds).toBe(80);
    expect(s.checks).toBe(80);
  });

  it('really killed it during its reconciles', () => {
    expect(s.killed).toBeGreaterThanOrEqual(50);
    expect(s.killedMidBatch).toBeGreaterThan(0);
    expect(s.kills.log).toBeGreaterThan(0);
  });
});
