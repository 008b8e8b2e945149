// What the human output says, on plain reports: every line true, long lists summarised.
import type { AliasEntry, Change, HostEntry } from '../../../src/model';
import type { ReconcileReport, SyncVerdict } from '../../../src/reconcile/types';
import type { AliasReason, HostsReason } from '../../../src/reconcile/reasons';
import { changeLines, renderReport, renderSummary, runsOf, MAX_ROWS } from '../../../src/cli/render';
import { configState, renderStatus, type StatusDocument } from '../../../src/cli/commands/status';
import { lineList } from '../../../src/lines';
import { painter } from '../../../src/cli/render';

const IN_SYNC: SyncVerdict<'InSync'> = { status: 'True', reason: 'InSync', message: '' };
const PENDING: SyncVerdict<'ChangesPending'> = { status: 'False', reason: 'ChangesPending', message: '' };

function report(over: Partial<ReconcileReport> = {}): ReconcileReport {
  return {
    at: '2026-01-01T00:00:00.000Z',
    durationMs: 3,
    trigger: 'cli',
    dryRun: true,
    result: 'ok',
    changes: [],
    aliases: [],
    hosts: [],
    aliasesInSync: IN_SYNC,
    hostsInSync: IN_SYNC,
    problems: [],
    spawned: 0,
    hostsWritten: false,
    hostsDiff: [],
    ...over,
  };
}

/** `count` consecutive addresses from 127.10.0.0. */
function range(count: number, over: Partial<AliasEntry> = {}): AliasEntry[] {
  return Array.from({ length: count }, (_, i) => ({ address: `127.10.${i >> 8}.${i & 255}`, state: 'present' as const, owned: true, desired: true, ...over }));
}

const OPTS = { color: false, interfaceName: 'lo', hostsFile: '/etc/hosts' };
const host = (name: string, state: HostEntry['state'] = 'present', detail = 'in the managed block'): HostEntry => ({ name, addresses: ['127.0.0.2'], state, detail });

describe('summaries of long lists', () => {
  it('a range of 4,096 aliases is one line with its count; --verbose lists every address', () => {
    const r = report({ aliases: range(4096) });
    const text = renderReport(r, OPTS);
    expect(text.split('\n')).toContain('  present  127.10.0.0–127.10.15.255 (4,096 addresses)  owned');
    expect(text.split('\n').length).toBeLessThan(10);
    const verbose = renderReport(r, { ...OPTS, verbose: true });
    expect(verbose.split('\n').filter((l) => l.includes('127.10.')).length).toBe(4096);
    expect(verbose).toContain('  present  127.10.15.255  owned');
  });

  it('runs break where the state, ownership or consecutiveness changes', () => {
    const aliases = [...range(10), { address: '127.10.0.10', state: 'missing' as const, owned: false, desired: true }, ...range(20).slice(11)];
    const text = renderReport(report({ aliases }), OPTS);
    expect(text).toContain('  present  127.10.0.0–127.10.0.9 (10 addresses)   owned\n');
    expect(text).toContain('  missing  127.10.0.10                            not owned\n');
    expect(text).toContain('  present  127.10.0.11–127.10.0.19 (9 addresses)  owned\n');
    // A pair reads better as two lines.
    expect(renderReport(report({ aliases: range(2) }), OPTS)).toContain('  present  127.10.0.0  owned\n  present  127.10.0.1  owned\n');
    expect(runsOf(['127.0.0.1', '127.0.0.2', 'fd00::1', 'fd00::2', 'junk', 'junk'], (a) => a, () => '').map((r) => r.items.length)).toEqual([2, 2, 1, 1]);
  });

  it('at most MAX_ROWS rows a list, the ones that need attention first, and a count of the rest by state', () => {
    // Every other address: nothing collapses.
    const scattered: AliasEntry[] = Array.from({ length: 500 }, (_, i) => ({ address: `127.20.${i >> 7}.${(i & 127) * 2}`, state: i % 100 === 7 ? 'missing' : 'present', owned: false, desired: true }));
    const text = renderReport(report({ aliases: scattered }), OPTS);
    const rows = text.split('\n').filter((l) => /^ {2}(present|missing)/.test(l));
    expect(rows).toHaveLength(MAX_ROWS);
    expect(rows.filter((l) => l.includes('missing'))).toHaveLength(5);
    expect(text).toContain('  … and 480 more addresses (480 present); --verbose lists every one\n');
  });

  it('collapses pending alias changes the same way; host changes stay one a line, capped', () => {
    const adds: Change[] = range(4096).map((a) => ({ kind: 'alias', action: 'add', address: a.address }));
    expect(changeLines(adds, false)).toEqual(['+ alias 127.10.0.0–127.10.15.255 (4,096 addresses)']);
    expect(changeLines(adds, true)).toHaveLength(4096);
    const hostChanges: Change[] = Array.from({ length: 50 }, (_, i) => ({ kind: 'hosts', action: 'add', name: `h${i}.test`, addresses: ['127.0.0.2'] }));
    const lines = changeLines(hostChanges, false);
    expect(lines).toHaveLength(MAX_ROWS + 1);
    expect(lines[MAX_ROWS]).toBe('… and 30 more changes; --verbose lists every one');
    const text = renderReport(report({ changes: adds, aliases: range(4096, { state: 'missing', owned: false }) }), OPTS);
    expect(text).toContain('Pending changes (4,096 to add, 0 to update, 0 to remove)\n  + alias 127.10.0.0–127.10.15.255 (4,096 addresses)\n');
  });

  it('caps the block diff and the problems', () => {
    const diff = ['+ # BEGIN loopkeeper', ...Array.from({ length: 100 }, (_, i) => `+ 127.0.0.2\th${i}.test`), '+ # END loopkeeper'];
    const problems = Array.from({ length: 30 }, (_, i) => `could not add alias 127.0.0.${i}: File exists`);
    const text = renderReport(report({ hostsDiff: diff, problems }), OPTS);
    expect(text).toContain('  … 62 more changed lines not shown; --verbose shows the whole block\n');
    expect(text).toContain('  … and 20 more problems; --verbose lists every one\n');
    const verbose = renderReport(report({ hostsDiff: diff, problems }), { ...OPTS, verbose: true });
    expect(verbose).toContain('+ # END loopkeeper');
    expect(verbose).toContain('127.0.0.29: File exists');
  });
});

describe('every message says what is true', () => {
  const damaged: SyncVerdict<HostsReason> = { status: 'False', reason: 'BlockDamaged', message: 'the loopkeeper block is damaged: a BEGIN marker without an END marker' };
  const missingIf: SyncVerdict<AliasReason> = { status: 'False', reason: 'InterfaceMissing', message: 'interface lo5 does not exist; …' };

  it('a damaged hosts block: never "No changes", but that it cannot be planned', () => {
    const r = report({
      hostsInSync: damaged,
      hosts: [host('web.test', 'missing', 'the loopkeeper block is damaged: a BEGIN marker without an END marker (line 2); nothing is changed until it is fixed')],
      problems: ['/etc/hosts: the loopkeeper block is damaged: a BEGIN marker without an END marker (line 2); nothing was written'],
    });
    const text = renderReport(r, OPTS) + renderSummary(r, false, OPTS);
    expect(text).not.toMatch(/No changes|matches the config/);
    expect(text).toContain('Hosts in /etc/hosts (1): nothing can be planned — the managed block in /etc/hosts is damaged\n  missing  web.test  127.0.0.2\n');
    expect(renderSummary(r, false, OPTS)).toBe('Cannot plan the hosts file (the managed block in /etc/hosts is damaged): see the problems above. Nothing else is pending.\n');
  });

  it('a missing interface: nothing can be planned for the aliases, and the rest is said separately', () => {
    const r = report({
      aliasesInSync: missingIf,
      hostsInSync: PENDING,
      aliases: [{ address: '127.0.0.2', state: 'missing', owned: false, desired: true }],
      changes: [{ kind: 'hosts', action: 'add', name: 'a.test', addresses: ['127.0.0.2'] }],
      problems: ['interface lo5 does not exist; …'],
    });
    const opts = { ...OPTS, interfaceName: 'lo5' };
    expect(renderReport(r, opts)).toContain('Aliases on lo5 (1): nothing can be planned — interface lo5 does not exist\n');
    expect(renderSummary(r, false, opts)).toBe(
      'Cannot plan the aliases (interface lo5 does not exist): see the problems above. Planned for the rest: 1 to add, 0 to update, 0 to remove.\n',
    );
    const none = report({ aliasesInSync: missingIf, problems: ['x'] });
    expect(renderSummary(none, false, opts)).not.toMatch(/No changes/);
    expect(renderReport(none, opts)).not.toMatch(/none desired\n[\s\S]*Hosts/); // no "none desired" for aliases it could not look at
  });

  it('a failed hosts write shows the desired names and that the write failed, not "(0) none desired"', () => {
    const failed: SyncVerdict<HostsReason> = { status: 'False', reason: 'HostsError', message: 'hosts file /etc/hosts: EROFS: read-only file system' };
    const r = report({ dryRun: false, result: 'degraded', hostsInSync: failed, problems: ['hosts file /etc/hosts: EROFS: read-only file system'] });
    const desiredHosts = [{ name: 'api.test', addresses: ['127.0.0.2'] }, { name: 'web.test', addresses: ['127.0.0.3', 'fd00::2'] }];
    const text = renderReport(r, { ...OPTS, desiredHosts });
    expect(text.slice(text.indexOf('Hosts'))).not.toContain('none desired');
    expect(text).toContain('Hosts in /etc/hosts (2): nothing can be changed — /etc/hosts could not be read or written\n');
    expect(text).toContain('  unknown  web.test  127.0.0.3 fd00::2  not written\n');
    // Without the names (the daemon's report), still no "none desired".
    expect(renderReport(r, OPTS)).toContain('Hosts in /etc/hosts (0): nothing can be changed — /etc/hosts could not be read or written\nProblems');
    expect(renderSummary(r, false, OPTS)).toBe('Finished with problems (degraded): nothing changed; could not change the hosts file (/etc/hosts could not be read or written). (3 ms)\n');
  });

  it("names the hosts writer's failure kind", () => {
    const kind = (reason: HostsReason) =>
      renderReport(report({ dryRun: false, result: 'degraded', hostsInSync: { status: 'False', reason, message: 'x' } }), OPTS).split('\n').find((l) => l.startsWith('Hosts'));
    expect(kind('HostsNotWritten')).toBe('Hosts in /etc/hosts (0): nothing can be changed — /etc/hosts could not be written');
    expect(kind('StateDirUnusable')).toBe('Hosts in /etc/hosts (0): nothing can be changed — no backup could be kept in the state dir, so /etc/hosts was not touched');
    expect(kind('HostsRestored')).toMatch(/failed half-way and the old content was put back$/);
    expect(kind('HostsDamaged')).toMatch(/failed half-way and the old content could not be put back$/);
  });

  it('"matches the config" only when there is no problem at all', () => {
    expect(renderSummary(report(), false)).toBe('No changes: the machine matches the config.\n');
    const shadowed = report({ hosts: [host('a.test', 'shadowed', 'line 3 maps it to 10.0.0.1')], hostsInSync: { status: 'True', reason: 'Shadowed', message: '' }, problems: ['host a.test is shadowed'] });
    expect(renderSummary(shadowed, false)).toBe('No changes to make, but see the problems above.\n');
    expect(renderSummary({ ...shadowed, dryRun: false }, false)).toBe('Nothing to do, but see the problems above. (3 ms)\n');
    expect(renderSummary({ ...report(), dryRun: false }, false, { configNote: '(That is the last valid config: the one on disk is invalid and not applied.)' })).toBe(
      'Nothing to do: the machine matches the config. (That is the last valid config: the one on disk is invalid and not applied.) (3 ms)\n',
    );
  });

  it('down speaks of what loopkeeper added, and of what it removed', () => {
    const done = report({ dryRun: false, changes: [{ kind: 'alias', action: 'remove', address: '127.0.0.2' }, { kind: 'hosts', action: 'remove', name: 'a.test', addresses: ['127.0.0.2'] }] });
    const text = renderReport(done, { ...OPTS, mode: 'down' });
    expect(text).toContain('Aliases on lo (0)\n  none that loopkeeper added\n');
    expect(text).toContain('  the managed block was removed (1 name)\n');
    expect(text).toContain('Changes made (2 removed)\n');
    expect(renderSummary(done, false, { mode: 'down' })).toBe('Done: 2 removed. (3 ms)\n');
    expect(renderSummary(report({ dryRun: false }), false, { mode: 'down' })).toBe('Nothing to remove: nothing loopkeeper added is left. (3 ms)\n');
  });

  it('"(line 5)", "(lines 2 and 7)"', () => {
    expect(lineList([5])).toBe('line 5');
    expect(lineList([2, 7])).toBe('lines 2 and 7');
    expect(lineList([2, 5, 7])).toBe('lines 2, 5 and 7');
  });

  it('status right after start: the config is being loaded, nothing is observed yet', () => {
    const doc: StatusDocument = {
      daemon: { version: '0.1.0', pid: 7, uptimeSeconds: 0, hostsFile: '/etc/hosts', interface: 'lo' },
      config: { files: [], valid: false, error: 'being loaded (loopkeeperd has just started)', errors: [], warnings: [], enforcing: false, loading: true },
      lastReconcile: null,
      conditions: (['Ready', 'AliasesInSync', 'HostsInSync'] as const).map((type) => ({ type, status: 'Unknown', reason: 'Starting', message: 'no reconcile has finished yet', lastTransitionTime: '' })),
      aliases: [],
      hosts: [],
      changes: [],
      drift: { repairs: 0, lastAt: null },
      summary: {
        aliases: { total: 0, shown: 0, offset: 0, byState: {}, notPresent: [], notPresentTotal: 0, all: '/v1/status?aliases=all', owned: 0 },
        hosts: { total: 0, shown: 0, offset: 0, byState: {}, notPresent: [], notPresentTotal: 0, all: '/v1/status?hosts=all' },
      },
    };
    const text = renderStatus(doc, { color: false, runtime: { interfaceName: 'lo', hostsFile: '/etc/hosts' } as never });
    expect(text).toContain('Config: (none) — being loaded (loopkeeperd has just started)\n');
    expect(text).not.toMatch(/invalid|none desired/);
    expect(text).toContain('Aliases on lo (0)\n  not observed yet: the first reconcile has not finished\n');
    expect(configState({ ...doc.config, loading: undefined, error: 'x.yaml:1:1: bad' }, painter(false))).toBe('invalid: x.yaml:1:1: bad');
  });

  it('status of a bounded summary counts and names what the daemon did not send', () => {
    const shown = Array.from({ length: 100 }, (_, i) => ({ address: `127.9.0.${i + 1}`, state: 'present' as const, owned: true, desired: true }));
    const doc = {
      daemon: { version: '0.1.0', pid: 7, uptimeSeconds: 5 },
      config: { files: ['/etc/loopkeeper/loopkeeper.yaml'], valid: true, error: null, warnings: [] },
      lastReconcile: null,
      conditions: [],
      aliases: shown,
      hosts: [],
      changes: [],
      drift: { repairs: 0, lastAt: null },
      summary: {
        aliases: { total: 300, shown: 100, offset: 0, byState: { present: 299, missing: 1 }, notPresent: [{ address: '127.9.1.44', state: 'missing', owned: false, desired: true }], notPresentTotal: 1, all: '/v1/status?aliases=all', owned: 299 },
        hosts: { total: 0, shown: 0, offset: 0, byState: {}, notPresent: [], notPresentTotal: 0, all: '/v1/status?hosts=all' },
      },
    } as unknown as StatusDocument;
    const text = renderStatus(doc, { color: false, runtime: { interfaceName: 'lo', hostsFile: '/etc/hosts' } as never });
    expect(text).toContain('Aliases on lo (300)\n  present  127.9.0.1–127.9.0.100 (100 addresses)  owned\n  … and 200 more addresses (199 present, 1 missing); --verbose lists every one\n');
    expect(text).toContain('Not present among the aliases not listed: 127.9.1.44\n');
  });
});
