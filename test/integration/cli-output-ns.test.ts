// The CLI's human output against a real `lo`, inside private namespaces (never the machine's
// own): a 4,096-address range summarised to one line and listed whole with --verbose, runs that
// split where an address went missing, `plan | head -1` through a real shell pipeline, and a hosts
// write that fails (a read-only mount) shown as such. The hosts files are temp files; nothing is
// written to the machine's /etc.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeInNamespace, runInNamespace } from '../helpers/namespace';
import { CLI, assertBuilt } from '../helpers/cli';

const DRIVER = `
const { spawnSync } = require('node:child_process');
const [cli, dir] = process.argv.slice(2);
const run = (argv, env = {}) => { const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1', ...env } }); return { code: r.status, stdout: r.stdout, stderr: r.stderr }; };
const base = ['--state-dir', dir + '/state', '--hosts-file', dir + '/hosts', '--socket', dir + '/none.sock'];
const lk = (cfg, ...a) => run([process.execPath, cli, '--config', dir + '/' + cfg, ...base, ...a]);
const sh = (script) => run(['bash', '-c', script, 'sh', process.execPath, cli, dir + '/range.yaml', ...base]);
const out = {};
out.apply = lk('range.yaml', 'apply');
out.plan = lk('range.yaml', 'plan');
out.planVerbose = lk('range.yaml', 'plan', '--verbose');
out.del = run(['ip', 'addr', 'del', '127.10.7.7/32', 'dev', 'lo']).code;
out.planHole = lk('range.yaml', 'plan');
out.status = lk('range.yaml', 'status');
// A real pipeline into head -1, three times (a race shows up as a stack trace some of the time).
out.heads = [0, 1, 2].map(() => sh('"$1" "$2" --config "$3" "\${@:4}" plan --verbose | head -1; echo "exit \${PIPESTATUS[0]}"'));
out.headsBoth = sh('"$1" "$2" --config "$3" "\${@:4}" plan --verbose 2>&1 | head -1; echo "exit \${PIPESTATUS[0]}"');
out.statusHead = sh('"$1" "$2" --config "$3" "\${@:4}" status --verbose | head -1; echo "exit \${PIPESTATUS[0]}"');
out.reapply = lk('range.yaml', 'apply');
out.down = lk('range.yaml', 'down');
// A hosts file on a read-only mount: the write fails; the output names the desired hosts.
out.ro = run(['mount', '--bind', '-o', 'ro', dir + '/ro', dir + '/ro']).code;
// (its own state dir: the \`down\` above paused the first one, and apply refuses while paused)
out.roApply = run([process.execPath, cli, '--config', dir + '/hosts.yaml', '--state-dir', dir + '/state-ro', '--hosts-file', dir + '/ro/hosts', '--socket', dir + '/none.sock', 'apply']);
console.log(JSON.stringify(out));
`;

describeInNamespace('CLI output against a real lo: summaries, --verbose, a closed pipe, a failed write', () => {
  let out: Record<string, any>;
  beforeAll(() => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'lk-ns-output-'));
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    mkdirSync(join(dir, 'ro'));
    writeFileSync(join(dir, 'ro', 'hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(dir, 'range.yaml'), 'version: 1\naliases:\n  - range: 127.10.0.0/20\n');
    writeFileSync(join(dir, 'hosts.yaml'), 'version: 1\nsettings:\n  aliasesFromHosts: false\nhosts:\n  api.myteam.test: 127.0.0.2\n  web.myteam.test: [127.0.0.3, fd00::2]\n');
    writeFileSync(join(dir, 'driver.js'), DRIVER);
    const r = runInNamespace([process.execPath, join(dir, 'driver.js'), CLI, dir]);
    if (r.code !== 0) throw new Error(`driver failed (${r.code}): ${r.stderr}`);
    out = JSON.parse(r.stdout);
  });

  it('apply of a 4,096-address range: the change is one line with its count', () => {
    expect(out.apply.code).toBe(0);
    expect(out.apply.stdout).toContain('Changes made (4,096 added)\n  + alias 127.10.0.0–127.10.15.255 (4,096 addresses)\n');
    expect(out.apply.stdout).toMatch(/^Done: 4,096 added\. \(\d+ ms\)$/m);
    expect(out.apply.stdout.split('\n').length).toBeLessThan(12);
  });

  it('plan: the range is one line with its count; --verbose lists every address', () => {
    expect(out.plan.code).toBe(0);
    expect(out.plan.stdout).toBe(
      'Aliases on lo (4,096)\n  present  127.10.0.0–127.10.15.255 (4,096 addresses)  owned\n' +
        `Hosts in ${out.plan.stdout.match(/Hosts in (\S+)/)[1]} (0)\n  none desired\nNo changes: the machine matches the config.\n`,
    );
    const rows = out.planVerbose.stdout.split('\n').filter((l: string) => /^ {2}present {2}127\.10\.\d+\.\d+ +owned$/.test(l));
    expect(rows).toHaveLength(4096);
  });

  it('an address deleted by hand splits the run where it is, and is the one pending change', () => {
    expect(out.del).toBe(0);
    expect(out.planHole.stdout).toContain(
      '  present  127.10.0.0–127.10.7.6 (1,799 addresses)     owned\n' +
        // Still in the ledger: loopkeeper added it, and the next apply puts it back.
        '  missing  127.10.7.7                                  owned\n' +
        '  present  127.10.7.8–127.10.15.255 (2,296 addresses)  owned\n',
    );
    expect(out.planHole.stdout).toContain('Pending changes (1 to add, 0 to update, 0 to remove)\n  + alias 127.10.7.7\n');
  });

  it('`plan --verbose | head -1` prints the first line and ends quietly: exit 0, no stack trace', () => {
    for (const h of out.heads) {
      expect(h.stdout).toBe('Aliases on lo (4,096)\nexit 0\n');
      expect(h.stderr).toBe('');
    }
    expect(out.headsBoth.stdout).toBe('Aliases on lo (4,096)\nexit 0\n');
    expect(out.headsBoth.stderr).toBe('');
  });

  it('`status | head -1` without a daemon: its own exit code (4), no stack trace', () => {
    expect(out.status.code).toBe(4);
    expect(out.statusHead.stdout).toBe('loopkeeperd is not running. The local plan (what it would change now):\nexit 4\n');
    expect(out.statusHead.stderr).toMatch(/^loopkeeper: loopkeeperd is not reachable on \S+: no socket there/);
    expect(out.statusHead.stderr).not.toMatch(/EPIPE|\n\s+at /);
  });

  it('down removes the range, said in one line', () => {
    expect(out.reapply.stdout).toMatch(/^Done: 1 added\./m);
    expect(out.down.code).toBe(0);
    expect(out.down.stdout).toContain('Changes made (4,096 removed)\n  - alias 127.10.0.0–127.10.15.255 (4,096 addresses)\n');
    expect(out.down.stdout).toMatch(/^Done: 4,096 removed\. \(\d+ ms\)$/m);
  });

  it('a hosts write that fails shows the desired names and that the write failed, never "Hosts (0) none desired"', () => {
    expect(out.ro).toBe(0);
    const r = out.roApply;
    expect(r.code).toBe(1);
    expect(r.stdout.slice(r.stdout.indexOf('Hosts in'))).not.toMatch(/none desired|matches the config/);
    expect(r.stdout).toMatch(/^Hosts in \S+ro\/hosts \(2\): nothing can be changed — \S+ro\/hosts could not be written: its file system is read-only$/m);
    expect(r.stdout).toMatch(/^ {2}unknown {2}api\.myteam\.test {2}127\.0\.0\.2 +not written$/m);
    expect(r.stdout).toMatch(/^ {2}unknown {2}web\.myteam\.test {2}127\.0\.0\.3 fd00::2 {2}not written$/m);
    expect(r.stdout).toMatch(/^ {2}! .*read-only \(EROFS\)/m);
    expect(r.stdout).toMatch(/^Finished with problems \(degraded\): nothing changed; could not change the hosts file/m);
  });
});
