import { formatJson, formatReport, printable } from '../../../src/doctor/format';
import { CHECKS, CHECK_IDS } from '../../../src/doctor/registry';
import { runDoctor, selectChecks } from '../../../src/doctor/run';
import { desired, errno, fakeSeams, LINUX } from './fakes';

describe('the check registry', () => {
  it('has one entry per check with a unique, stable id, a title and what it looks at', () => {
    expect(CHECK_IDS).toEqual([
      'config', 'daemon', 'aliases-bindable', 'aliases-lost', 'hosts-resolve', 'hosts-shadowed', 'hosts-symlink', 'hosts-flags',
      'localhost', 'port', 'port-sharing', 'ephemeral-ports', 'ephemeral-use',
    ]);
    expect(new Set(CHECK_IDS).size).toBe(CHECKS.length);
    for (const c of CHECKS) expect(c.title.length * c.about.length).toBeGreaterThan(0);
  });

  it('selects what applies here, or exactly what --check names; unknown ids and port checks without --port are refused', () => {
    const ids = (s: ReturnType<typeof selectChecks>) => ('checks' in s ? s.checks.map((c) => c.id) : s);
    expect(ids(selectChecks(undefined, { platform: 'linux', ports: [] }))).toEqual(['config', 'daemon', 'aliases-bindable', 'hosts-resolve', 'hosts-shadowed', 'localhost', 'ephemeral-ports', 'ephemeral-use']);
    expect(ids(selectChecks([], { platform: 'linux', ports: [80] }))).toContain('port-sharing');
    expect(ids(selectChecks(['localhost', 'config'], { platform: 'linux', ports: [] }))).toEqual(['config', 'localhost']);
    expect(selectChecks(['localhost', 'nope', 'port-3000'], { platform: 'linux', ports: [] })).toEqual({ unknown: ['nope', 'port-3000'] });
    expect(selectChecks(['port-sharing'], { platform: 'linux', ports: [] })).toEqual({ needPorts: ['port-sharing'] });
  });
});

describe('runDoctor', () => {
  it('runs the checks in registry order and is ok when nothing fails', async () => {
    const seams = fakeSeams({ readFile: async () => Buffer.from('32768 60999\n') });
    const report = await runDoctor({ ...LINUX, ports: [3000] }, seams);
    expect(report.checks.map((c) => c.id)).toEqual([
      'config', 'daemon', 'aliases-bindable', 'hosts-resolve', 'hosts-shadowed', 'localhost', 'port-3000', 'port-sharing', 'ephemeral-ports', 'ephemeral-use',
    ]);
    expect(report.checks.find((c) => c.id === 'port-3000')?.status).toBe('warn'); // nothing listens: not a failure
    expect(report.ok).toBe(true);
  });

  it('adds the macOS checks on darwin', async () => {
    const report = await runDoctor({ ...LINUX, platform: 'darwin', interfaceName: 'lo0' }, fakeSeams());
    expect(report.checks.map((c) => c.id)).toEqual([
      'config', 'daemon', 'aliases-bindable', 'aliases-lost', 'hosts-resolve', 'hosts-shadowed', 'hosts-symlink', 'hosts-flags', 'localhost', 'ephemeral-ports', 'ephemeral-use',
    ]);
  });

  it('--check runs only the named checks, and gathers only what they need', async () => {
    let loads = 0;
    let health = 0;
    const seams = fakeSeams({
      loadConfig: async () => (loads++, { files: ['a'], desired: desired(), diagnostics: [] }),
      health: async () => (health++, { status: 200, body: '' }),
    });
    const report = await runDoctor(LINUX, seams, { only: ['localhost'] });
    expect(report.checks.map((c) => c.id)).toEqual(['localhost']);
    expect([loads, health]).toEqual([0, 0]);
    const macOnly = await runDoctor(LINUX, seams, { only: ['hosts-flags'] });
    expect(macOnly.checks).toEqual([{ id: 'hosts-flags', title: 'hosts file flags', status: 'skip', detail: 'only on darwin' }]);
  });

  it('loads the config once however many checks need it', async () => {
    let loads = 0;
    const seams = fakeSeams({ loadConfig: async () => (loads++, { files: ['a'], desired: desired({ aliases: ['127.0.0.2'] }), diagnostics: [] }) });
    await runDoctor({ ...LINUX, ports: [80] }, seams);
    expect(loads).toBe(1);
  });

  it('skips the checks that need the desired state when the config is unusable, and fails', async () => {
    const seams = fakeSeams({
      loadConfig: async () => ({ files: ['a.yaml'], desired: null, diagnostics: [{ file: 'a.yaml', line: 1, col: 1, severity: 'error', message: 'version must be 1' }] }),
    });
    const report = await runDoctor(LINUX, seams);
    expect(Object.fromEntries(report.checks.map((c) => [c.id, c.status]))).toMatchObject({
      config: 'fail',
      'aliases-bindable': 'skip',
      'hosts-resolve': 'skip',
      'hosts-shadowed': 'skip',
    });
    expect(report.ok).toBe(false);
  });

  it('reports a check that throws instead of dying (e.g. a module that is missing)', async () => {
    const seams = fakeSeams({
      loadConfig: () => Promise.reject(new Error("Cannot find module '../config'")),
      planHosts: () => {
        throw new Error('boom');
      },
    });
    const report = await runDoctor(LINUX, seams);
    expect(report.checks[0]).toMatchObject({ id: 'config', status: 'warn', detail: "could not run this check: Cannot find module '../config'" });
    expect(report.checks.find((c) => c.id === 'hosts-shadowed')?.status).toBe('skip');
  });

  it('passes the desired aliases to the bind, port and ephemeral checks', async () => {
    const bound: string[] = [];
    const seams = fakeSeams({
      loadConfig: async () => ({ files: ['a'], desired: desired({ aliases: ['127.0.0.2', 'fd00::2'] }), diagnostics: [] }),
      bind: async (a) => void bound.push(a),
      readFile: async () => Buffer.from('32768 60999'),
    });
    const report = await runDoctor(LINUX, seams);
    expect(bound.sort()).toEqual(['127.0.0.2', 'fd00::2']);
    expect(report.checks.find((c) => c.id === 'ephemeral-ports')?.data).toMatchObject({ sourceAddresses: { ipv4: 2, ipv6: 2 } });
  });

  it('is healthy without a daemon while the machine matches the config (SPEC), not when something is missing', async () => {
    const noDaemon = { health: () => Promise.reject(errno('ENOENT')), readFile: async () => Buffer.from('32768 60999') };
    const matches = await runDoctor(LINUX, fakeSeams(noDaemon));
    expect(matches.checks.find((c) => c.id === 'daemon')?.status).toBe('warn');
    expect(matches.ok).toBe(true);
    const missing = await runDoctor(
      LINUX,
      fakeSeams({
        ...noDaemon,
        planMachine: async () => ({ aliases: [{ address: '127.0.0.2', state: 'missing', owned: false, desired: true }], hosts: [], changes: [], problems: [] }),
      }),
    );
    expect(missing.checks.find((c) => c.id === 'daemon')?.status).toBe('fail');
    expect(missing.ok).toBe(false);
  });
});

describe('formatting', () => {
  const report = {
    ok: false,
    checks: [
      { id: 'config', title: 'config', status: 'ok' as const, detail: '1 file valid' },
      { id: 'daemon', title: 'daemon', status: 'fail' as const, detail: 'not running', hints: ['sudo loopkeeper install'] },
      { id: 'port-80', title: 'port 80', status: 'warn' as const, detail: 'line one\nline two' },
    ],
  };

  it('prints a readable, aligned list with hints and a summary, without colour when asked', () => {
    expect(formatReport(report, false)).toBe(
      '  ok    config   1 file valid\n' +
        '  FAIL  daemon   not running\n' +
        '                 → sudo loopkeeper install\n' +
        '  warn  port 80  line one\n' +
        '                 line two\n' +
        '\nproblems found: 1 ok, 1 warning(s), 1 problem(s)\n',
    );
    expect(formatReport(report, false)).not.toMatch(/\u001b/);
    expect(formatReport(report, true)).toMatch(/\u001b\[31mFAIL\u001b\[0m/);
  });

  it('never lets control characters from the machine reach the terminal', () => {
    expect(printable('a\u001b[2Jb\u0007c\td')).toBe('a\\x1b[2Jb\\x07c\\x09d');
    const hostile = { ok: true, checks: [{ id: 'x', title: 'x', status: 'ok' as const, detail: '\u001b]0;pwned\u0007' }] };
    expect(formatReport(hostile, false)).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('--json is one document with checks and ok', () => {
    const doc = JSON.parse(formatJson(report));
    expect(Object.keys(doc)).toEqual(['checks', 'ok']);
    expect(doc.ok).toBe(false);
    expect(doc.checks).toHaveLength(3);
  });
});
