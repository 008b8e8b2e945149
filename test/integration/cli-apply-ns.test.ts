// The one-shot pipeline end to end, as a user runs it, against a real `lo` and a real
// /etc/hosts — inside private namespaces, with a temp file bind-mounted over /etc/hosts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeInNamespace, runInNamespace } from '../helpers/namespace';
import { CLI, assertBuilt } from '../helpers/cli';

const ORIGINAL = '127.0.0.1\tlocalhost\r\n::1\tlocalhost ip6-localhost\r\n# keep me\r\n10.1.2.3 other.test'; // CRLF, no final newline

const CONFIG = `version: 1
aliases:
  - 127.0.0.2
  - range: 127.0.3.0/30
  - fd00::2
hosts:
  api.myteam.test: 127.0.0.2
  web.myteam.test: [127.0.0.3, fd00::2]
`;

// Runs each step inside ONE namespace and reports every result as JSON, so the test can assert
// on the whole story: plan, apply, re-apply, resolution, down.
const DRIVER = `
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const [cli, cfg, state] = process.argv.slice(2);
const run = (argv) => { const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } }); return { code: r.status, stdout: r.stdout, stderr: r.stderr }; };
const lk = (...a) => run([process.execPath, cli, '--config', cfg, '--state-dir', state, ...a]);
const addrs = () => JSON.parse(run(['ip', '-j', 'addr', 'show', 'dev', 'lo']).stdout)[0].addr_info.map((a) => a.local);
const out = {};
out.handAdded = run(['ip', 'addr', 'add', '127.0.0.9/32', 'dev', 'lo']).code;
out.planBefore = lk('plan', '--exit-code');
out.planJson = lk('plan', '--json');
out.apply = lk('apply');
out.addrsAfterApply = addrs();
out.hostsAfterApply = fs.readFileSync('/etc/hosts', 'latin1');
out.statAfterApply = fs.statSync('/etc/hosts').mtimeMs;
out.getentApi = run(['getent', 'ahosts', 'api.myteam.test']).stdout;
out.getentWeb = run(['getent', 'ahostsv4', 'web.myteam.test']).stdout;
out.planAfter = lk('plan', '--exit-code');
out.apply2 = lk('apply', '--json');
out.statAfterApply2 = fs.statSync('/etc/hosts').mtimeMs;
out.down = lk('down');
out.addrsAfterDown = addrs();
out.hostsAfterDown = fs.readFileSync('/etc/hosts', 'latin1');
console.log(JSON.stringify(out));
`;

describeInNamespace('loopkeeper apply/plan/down against a real lo and /etc/hosts', () => {
  let out: Record<string, any>;
  beforeAll(() => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'lk-ns-apply-'));
    const hosts = join(dir, 'hosts');
    writeFileSync(hosts, ORIGINAL);
    writeFileSync(join(dir, 'loopkeeper.yaml'), CONFIG);
    writeFileSync(join(dir, 'driver.js'), DRIVER);
    const realHosts = readFileSync('/etc/hosts');
    const r = runInNamespace([process.execPath, join(dir, 'driver.js'), CLI, join(dir, 'loopkeeper.yaml'), join(dir, 'state')], { hostsFile: hosts });
    expect(readFileSync('/etc/hosts')).toEqual(realHosts); // the machine's own file is untouched
    if (r.code !== 0) throw new Error(`driver failed (${r.code}): ${r.stderr}`);
    out = JSON.parse(r.stdout);
  });

  it('plan --exit-code reports pending changes with exit 3, and plan --json is one document', () => {
    expect(out.planBefore.code).toBe(3);
    const plan = JSON.parse(out.planJson.stdout);
    expect(plan.changes).toEqual(expect.arrayContaining([{ kind: 'alias', action: 'add', address: '127.0.0.2' }]));
    expect(plan.hosts.map((h: any) => h.state)).toEqual(['missing', 'missing']);
    expect(plan.hostsDiff[0]).toBe('+ # BEGIN loopkeeper (managed, edits here are overwritten)');
    expect(out.planBefore.stdout).toMatch(/Managed block in \/etc\/hosts \(planned\)\n {2}\+ # BEGIN loopkeeper/);
  });

  it('apply through the bind mount adds the aliases and the block, and the resolver sees them', () => {
    expect(out.apply.code).toBe(0);
    expect(out.addrsAfterApply).toEqual(expect.arrayContaining(['127.0.0.2', '127.0.3.0', '127.0.3.3', 'fd00::2', '127.0.0.9']));
    expect(out.hostsAfterApply.startsWith(ORIGINAL)).toBe(true);
    expect(out.hostsAfterApply).toContain('# BEGIN loopkeeper (managed, edits here are overwritten)\r\n');
    expect(out.getentApi.split('\n')[0]).toMatch(/^127\.0\.0\.2\s/);
    expect(out.getentWeb.split('\n')[0]).toMatch(/^127\.0\.0\.3\s/);
  });

  it('a second apply changes nothing and does not write', () => {
    expect(out.planAfter.code).toBe(0);
    expect(out.apply2.code).toBe(0);
    const report = JSON.parse(out.apply2.stdout);
    expect(report.changes).toEqual([]);
    expect(report.spawned).toBe(0);
    expect(out.statAfterApply2).toBe(out.statAfterApply);
  });

  it('down removes what loopkeeper added and gives back the original file byte for byte', () => {
    expect(out.down.code).toBe(0);
    expect(out.hostsAfterDown).toBe(ORIGINAL);
    expect(out.addrsAfterDown).not.toContain('127.0.0.2');
    expect(out.addrsAfterDown).not.toContain('fd00::2');
    expect(out.addrsAfterDown).toContain('127.0.0.9'); // hand-added: never owned, never removed
  });
});
