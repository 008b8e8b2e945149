import { Conditions } from '../../../src/daemon/conditions';
import { Metrics } from '../../../src/daemon/metrics';
import { TokenBucket } from '../../../src/api/rate-limit';

describe('Conditions', () => {
  it('moves lastTransitionTime only when the status changes', () => {
    const c = new Conditions(new Date(0));
    expect(c.get('Ready')).toMatchObject({ status: 'Unknown', lastTransitionTime: new Date(0).toISOString() });
    c.set('Ready', 'True', 'Converged', 'ok', new Date(1000));
    c.set('Ready', 'True', 'Converged', 'still ok', new Date(2000));
    expect(c.get('Ready')).toMatchObject({ message: 'still ok', lastTransitionTime: new Date(1000).toISOString() });
    c.set('Ready', 'False', 'HostsNotInSync', 'x', new Date(3000));
    expect(c.get('Ready').lastTransitionTime).toBe(new Date(3000).toISOString());
    expect(c.list().map((x) => x.type)).toEqual(['Ready', 'AliasesInSync', 'HostsInSync']);
  });
});

describe('Metrics', () => {
  const gauges = {
    aliasesDesired: 3,
    aliasesPresent: 2,
    hostsDesired: 4,
    hostsPresent: 4,
    configValid: true,
    ready: false,
    lastReconcileTimestampSeconds: 1700000000.5,
    startTimeSeconds: 1700000000,
    residentBytes: 50_000_000,
    heapUsedBytes: 9_000_000,
    heapTotalBytes: 12_000_000,
  };

  it('renders Prometheus text: every series prefixed, with HELP and TYPE, counters ending in _total', () => {
    const m = new Metrics();
    m.recordReconcile('startup', 'ok', 12, 3);
    m.recordReconcile('schedule', 'degraded', 3000, 0);
    m.recordRequest('/v1/status', 200);
    const text = m.render(gauges);
    const lines = text.trimEnd().split('\n');
    const samples = lines.filter((l) => !l.startsWith('#'));
    for (const s of samples) expect(s).toMatch(/^loopkeeper_[a-z_]+(\{[^}]*\})? -?[0-9.e+]+$/);
    const types = new Map(lines.filter((l) => l.startsWith('# TYPE')).map((l) => [l.split(' ')[2]!, l.split(' ')[3]!]));
    for (const [name, type] of types) {
      expect(lines).toContain(lines.find((l) => l.startsWith(`# HELP ${name} `)));
      if (type === 'counter') expect(name).toMatch(/_total$/);
    }
    expect(text).toContain('loopkeeper_reconciles_total{trigger="startup",result="ok"} 1');
    expect(text).toContain('loopkeeper_reconcile_errors_total 1');
    expect(text).toContain('loopkeeper_reconcile_duration_seconds_bucket{le="0.025"} 1');
    expect(text).toContain('loopkeeper_reconcile_duration_seconds_bucket{le="+Inf"} 2');
    expect(text).toContain('loopkeeper_reconcile_duration_seconds_count 2');
    expect(text).toContain('loopkeeper_changes_applied_total 3');
    expect(text).toContain('loopkeeper_aliases_present 2');
    expect(text).toContain('loopkeeper_resident_memory_bytes 50000000');
    expect(text).toContain('loopkeeper_api_requests_total{route="/v1/status",code="200"} 1');
    expect(text.endsWith('\n')).toBe(true);
  });
});

describe('TokenBucket', () => {
  it('allows a burst of 10, then one per 100 ms, and says how long to wait', () => {
    let t = 0;
    const b = new TokenBucket(10, 10, () => t);
    for (let i = 0; i < 10; i++) expect(b.take()).toBe(0);
    expect(b.take()).toBe(1);
    t += 100;
    expect(b.take()).toBe(0);
    expect(b.take()).toBeGreaterThan(0);
    t += 10_000;
    for (let i = 0; i < 10; i++) expect(b.take()).toBe(0);
    expect(b.take()).toBeGreaterThan(0);
  });
});
