// Two writers at once (issue 11 item 3): the daemon reconciles (SIGHUP) while `loopkeeper apply`
// runs with another socket — so it cannot defer to the daemon — on the same state dir and `lo`,
// with different desired sets, started together or at the moment the other takes the lock or
// writes its intent. Right after both finished, with no further reconcile, the ledger must equal
// the kernel's marks: ownership is never lost.
import { describeInNamespace } from '../helpers/namespace';
import { expectNothingLost, runFaultDriver, type FaultSummary } from './alias-fault.helpers';

describeInNamespace('CLI apply and the daemon at once (seed 1103, 40 rounds)', () => {
  let s: FaultSummary;
  beforeAll(async () => {
    s = await runFaultDriver('race', 1103, 40);
  }, 30 * 60 * 1000);

  it('never loses ownership, and the two really contended for the lock', () => {
    expectNothingLost(s);
    expect(s.rounds).toBe(40);
    expect(s.checks).toBe(40);
    expect(s.lockWaits).toBeGreaterThan(0);
  });
});
