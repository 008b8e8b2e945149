// The status and health documents are pure functions of the daemon's state: the same state gives
// the same document, nothing else (clock, process, files) goes in.
import { healthDocument, statusDocument, type DaemonState } from '../../../src/daemon/status-document';
import type { Condition } from '../../../src/api/types';
import type { ReconcileReport } from '../../../src/reconcile/types';

const STARTING: Condition[] = (['Ready', 'AliasesInSync', 'HostsInSync'] as const).map((type) => ({
  type,
  status: 'Unknown',
  reason: 'Starting',
  message: 'no reconcile has finished yet',
  lastTransitionTime: '2026-01-01T00:00:00.000Z',
}));

function state(over: Partial<DaemonState> = {}): DaemonState {
  return {
    version: '9.9.9',
    pid: 4242,
    startedAt: Date.parse('2026-01-01T00:00:00Z'),
    now: Date.parse('2026-01-01T00:01:01.600Z'),
    socket: '/run/lk.sock',
    hostsFile: '/etc/hosts',
    interfaceName: 'lo',
    reconciling: false,
    config: { files: ['/etc/loopkeeper/a.yaml'], valid: true, error: null, errors: [], warnings: [], enforcing: true },
    lastReport: null,
    conditions: STARTING,
    drift: { repairs: 0, lastAt: null },
    ...over,
  };
}

const REPORT: ReconcileReport = {
  at: '2026-01-01T00:00:01.000Z',
  durationMs: 12,
  trigger: 'startup',
  dryRun: false,
  result: 'ok',
  changes: [{ kind: 'alias', action: 'add', address: '127.0.0.2' }],
  aliases: [{ address: '127.0.0.2', state: 'present', owned: true, desired: true }],
  hosts: [{ name: 'a.test', addresses: ['127.0.0.2'], state: 'present', detail: 'in the managed block' }],
  aliasesInSync: { status: 'True', reason: 'InSync', message: '' },
  hostsInSync: { status: 'True', reason: 'InSync', message: '' },
  problems: [],
  spawned: 1,
  hostsWritten: true,
  hostsDiff: ['+127.0.0.2 a.test'],
};

describe('statusDocument (pure)', () => {
  it('before the first reconcile: the daemon part from the state, nothing observed, the config with errors and enforcing', () => {
    const doc = statusDocument(state({ config: { files: [], valid: false, error: 'being loaded', errors: [], warnings: [], enforcing: false, loading: true } }));
    expect(doc.daemon).toEqual({
      version: '9.9.9',
      pid: 4242,
      startedAt: '2026-01-01T00:00:00.000Z',
      uptimeSeconds: 62,
      socket: '/run/lk.sock',
      hostsFile: '/etc/hosts',
      interface: 'lo',
      reconciling: false,
    });
    expect(doc.config).toEqual({ files: [], valid: false, error: 'being loaded', errors: [], warnings: [], enforcing: false, loading: true });
    expect(doc.lastReconcile).toBeNull();
    expect(doc.aliases).toEqual([]);
    expect(doc.hosts).toEqual([]);
    expect(doc.conditions.map((c) => c.reason)).toEqual(['Starting', 'Starting', 'Starting']);
  });

  it('after a reconcile: its entries and a summary of it (not the hosts diff, not the spawn count)', () => {
    const doc = statusDocument(state({ lastReport: REPORT, drift: { repairs: 2, lastAt: '2026-01-01T00:00:30.000Z' } }));
    expect(doc.lastReconcile).toEqual({ at: REPORT.at, durationMs: 12, trigger: 'startup', result: 'ok', changes: REPORT.changes, problems: [] });
    expect(doc.aliases).toEqual(REPORT.aliases);
    expect(doc.hosts).toEqual(REPORT.hosts);
    expect(doc.drift).toEqual({ repairs: 2, lastAt: '2026-01-01T00:00:30.000Z' });
    expect(Object.keys(doc)).not.toContain('hostsDiff');
  });

  it('the same state gives the same document, and its config, drift and conditions are copies (the entry lists are shared, read-only)', () => {
    const s = state({ lastReport: REPORT });
    const a = statusDocument(s);
    expect(statusDocument(s)).toEqual(a);
    a.config.files.length = 0;
    a.drift.repairs = 99;
    (a.conditions[0] as { message: string }).message = 'changed';
    expect(s.config.files).toEqual(['/etc/loopkeeper/a.yaml']);
    expect(s.drift.repairs).toBe(0);
    expect(s.conditions[0]!.message).toBe('no reconcile has finished yet');
  });

  it('health: healthy only after an ok reconcile, with the Ready condition', () => {
    expect(healthDocument(state()).healthy).toBe(false);
    expect(healthDocument(state()).body).toEqual({ healthy: false, lastReconcile: null, ready: STARTING[0] });
    const ok = healthDocument(state({ lastReport: REPORT }));
    expect(ok).toEqual({ healthy: true, body: { healthy: true, lastReconcile: { at: REPORT.at, result: 'ok', trigger: 'startup' }, ready: STARTING[0] } });
    expect(healthDocument(state({ lastReport: { ...REPORT, result: 'degraded' } })).healthy).toBe(false);
    expect(() => healthDocument(state({ conditions: [] }))).toThrow(/no Ready condition/);
  });
});

describe('live status overlay (pure)', () => {
  const READY: Condition[] = [
    { type: 'Ready', status: 'True', reason: 'Converged', message: 'the machine matches the config', lastTransitionTime: '2026-01-01T00:00:01.000Z' },
    { type: 'AliasesInSync', status: 'True', reason: 'InSync', message: '1 desired alias(es) present', lastTransitionTime: '2026-01-01T00:00:01.000Z' },
    { type: 'HostsInSync', status: 'True', reason: 'InSync', message: '1 name(s)', lastTransitionTime: '2026-01-01T00:00:01.000Z' },
  ];
  const at = Date.parse('2026-01-01T00:00:05Z');

  it('an alias deleted since the last reconcile: missing, AliasesInSync False/AliasesMissing, Ready False', () => {
    const doc = statusDocument(state({ lastReport: REPORT, conditions: READY, live: { at, present: new Set(['127.0.0.1']), hosts: null } }));
    expect(doc.aliases).toEqual([{ ...REPORT.aliases[0], state: 'missing' }]);
    expect(REPORT.aliases[0]!.state).toBe('present'); // the report is not changed
    expect(doc.conditions).toEqual([
      { type: 'Ready', status: 'False', reason: 'AliasesNotInSync', message: expect.stringContaining('127.0.0.2'), lastTransitionTime: '2026-01-01T00:00:05.000Z' },
      { type: 'AliasesInSync', status: 'False', reason: 'AliasesMissing', message: '1 desired alias(es) gone since the last reconcile: 127.0.0.2; a repair is due', lastTransitionTime: '2026-01-01T00:00:05.000Z' },
      READY[2],
    ]);
    expect(doc.live).toEqual({ at: '2026-01-01T00:00:05.000Z', aliasesMissing: 1, hostsMissing: 0 });
  });

  it('all there: the report\'s own lists (not copied) and conditions', () => {
    const doc = statusDocument(state({ lastReport: REPORT, conditions: READY, live: { at, present: new Set(['127.0.0.2']), hosts: REPORT.hosts } }));
    expect(doc.aliases).toBe(REPORT.aliases);
    expect(doc.hosts).toBe(REPORT.hosts);
    expect(doc.conditions).toEqual(READY);
    expect(doc.live).toEqual({ at: '2026-01-01T00:00:05.000Z', aliasesMissing: 0, hostsMissing: 0 });
  });

  it('a part already False (paused, say) keeps its reason; the entries still show what is seen', () => {
    const paused: Condition[] = READY.map((c) => ({ ...c, status: 'False', reason: 'Paused', message: 'paused' }) as Condition);
    const doc = statusDocument(state({ lastReport: REPORT, conditions: paused, live: { at, present: new Set(), hosts: null } }));
    expect(doc.aliases[0]!.state).toBe('missing');
    expect(doc.conditions).toEqual(paused);
  });

  it('the interface not listed: every desired alias missing, and said so', () => {
    const doc = statusDocument(state({ lastReport: REPORT, conditions: READY, live: { at, present: null, hosts: null } }));
    expect(doc.aliases[0]!.state).toBe('missing');
    expect(doc.conditions[1]!.message).toMatch(/not listed as up/);
  });

  it('a name gone from the hosts file: missing, HostsInSync False/NamesMissing', () => {
    const gone = [{ ...REPORT.hosts[0]!, state: 'missing' as const, detail: 'not in the file' }];
    const doc = statusDocument(state({ lastReport: REPORT, conditions: READY, live: { at, present: new Set(['127.0.0.2']), hosts: gone } }));
    expect(doc.hosts).toEqual(gone);
    expect(doc.conditions.map((c) => [c.status, c.reason])).toEqual([
      ['False', 'HostsNotInSync'],
      ['True', 'InSync'],
      ['False', 'NamesMissing'],
    ]);
  });

  it('an alias the last reconcile could not add but that is there now: present; a failed one stays failed', () => {
    const r: ReconcileReport = {
      ...REPORT,
      aliases: [
        { address: '127.0.0.2', state: 'missing', owned: false, desired: true },
        { address: '127.0.0.4', state: 'failed', owned: false, desired: true, error: 'x' },
      ],
    };
    const doc = statusDocument(state({ lastReport: r, conditions: READY, live: { at, present: new Set(['127.0.0.2', '127.0.0.4']), hosts: null } }));
    expect(doc.aliases.map((a) => a.state)).toEqual(['present', 'failed']);
  });
});
