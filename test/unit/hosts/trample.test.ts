import { TrampleGuard } from '../../../src/hosts';

describe('TrampleGuard', () => {
  it('is trampled after more than 10 repairs within 5 minutes, by default', () => {
    let t = 0;
    const g = new TrampleGuard({ now: () => t });
    for (let i = 0; i < 10; i++) {
      g.recordRepair();
      t += 1000;
    }
    expect(g.isTrampled()).toBe(false);
    g.recordRepair();
    expect(g.isTrampled()).toBe(true);
  });

  it('forgets repairs older than the window', () => {
    let t = 0;
    const g = new TrampleGuard({ now: () => t });
    for (let i = 0; i < 11; i++) {
      t = i * 29_000;
      g.recordRepair();
    }
    // 11 repairs over 290 s: the first leaves the 5-minute window once 300 s have passed.
    expect(g.isTrampled()).toBe(true);
    t = 300_001;
    expect(g.isTrampled()).toBe(false);
  });

  it('reset clears the count; limit and window are configurable', () => {
    let t = 0;
    const g = new TrampleGuard({ limit: 2, windowMs: 100, now: () => t });
    g.recordRepair();
    g.recordRepair();
    g.recordRepair();
    expect(g.isTrampled()).toBe(true);
    g.reset();
    expect(g.isTrampled()).toBe(false);
    g.recordRepair();
    g.recordRepair();
    g.recordRepair();
    t = 101;
    expect(g.isTrampled()).toBe(false);
  });
});
