// `loopkeeper backups list|restore` through the built CLI, against the real /etc/hosts of private
// namespaces (/etc overlaid by a tmpfs, a temp file bind-mounted over /etc/hosts): the kept
// versions are listed with the names their blocks had; restore shows the diff, writes only after
// --yes or a "y" on a terminal (a real pty, from `script`), and never over a file that changed
// since the diff was shown.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeInNamespace } from '../helpers/namespace';
import { CLI, assertBuilt } from '../helpers/cli';
import { cliHint, invocationOf, realInvocationFacts } from '../../src/cli/hint';

/** How hints name the CLI run as `node CLI` with this PATH (no `loopkeeper` on it): e.g. `node /repo/dist/cli/main.js`. */
const ran = cliHint('', { how: invocationOf({ ...realInvocationFacts(), argv1: CLI }) });

const HOSTS = '127.0.0.1\tlocalhost\r\n::1\tlocalhost\r\n10.1.2.3 legacy.test\r\n'; // CRLF: restored byte for byte

function nsWithOverlay(hostsFile: string, scratch: string): string[] {
  const steps = [
    'mount -t sysfs sysfs /sys',
    'ip link set lo up',
    'mount -t tmpfs tmpfs "$1"',
    'mkdir "$1/upper" "$1/work"',
    'mount -t overlay overlay -o lowerdir=/etc,upperdir="$1/upper",workdir="$1/work" /etc',
    'mount --bind "$0" /etc/hosts',
    'shift',
    'exec "$@"',
  ];
  return ['unshare', '-n', '-m', '--propagation', 'private', '-p', '-f', '--kill-child', '--mount-proc', 'sh', '-c', steps.join(' && '), hostsFile, scratch];
}

const DRIVER = String.raw`
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const [cli, work] = process.argv.slice(2);
const env = { PATH: process.env.PATH, HOME: work, NO_COLOR: '1', TERM: 'dumb', LOOPKEEPER_STATE_DIR: path.join(work, 'state'), LOOPKEEPER_SOCKET: path.join(work, 'lk.sock') };
const run = (argv) => { const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env }); return { code: r.status, stdout: r.stdout, stderr: r.stderr }; };
const lk = (...a) => run([process.execPath, cli, ...a]);
const hosts = () => fs.readFileSync('/etc/hosts', 'latin1');
const sha = (t) => crypto.createHash('sha256').update(Buffer.from(t, 'latin1')).digest('hex');
const out = {};

/** Runs the CLI on a pty (script), waits for the prompt, runs 'meanwhile', then answers. */
function onTerminal(args, answer, meanwhile) {
  return new Promise((resolve) => {
    const cmd = [process.execPath, cli, ...args].map((a) => "'" + a + "'").join(' ');
    const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let text = '';
    let answered = false;
    child.stdout.on('data', (c) => {
      text += c;
      if (!answered && text.includes('[y/N]')) {
        answered = true;
        meanwhile();
        child.stdin.write(answer + '\n');
      }
    });
    child.stderr.on('data', (c) => (text += c));
    child.on('exit', (code) => resolve({ code, output: text.replace(/\r\n/g, '\n') }));
  });
}

(async () => {
  fs.mkdirSync('/etc/loopkeeper');
  fs.writeFileSync('/etc/loopkeeper/loopkeeper.yaml', 'version: 1\nhosts:\n  a.test: 127.0.0.2\n');
  out.original = hosts();
  out.add1 = lk('hosts', 'add', 'b.test', '127.0.0.3');
  fs.appendFileSync('/etc/hosts', '10.9.9.9 handmade.test\r\n');
  out.second = hosts();
  out.add2 = lk('hosts', 'add', 'c.test', '127.0.0.4');
  out.third = hosts();
  out.list = lk('backups', 'list', '--json');
  out.listText = lk('backups', 'list');
  const backups = JSON.parse(out.list.stdout).backups;
  const oldest = backups[backups.length - 1].id;
  out.oldest = oldest;

  out.noTerminal = lk('backups', 'restore', oldest);
  out.afterNoTerminal = hosts();
  const shownSha = sha(hosts());
  fs.appendFileSync('/etc/hosts', '10.8.8.8 late.test\r\n');
  out.changed = hosts();
  out.staleExpect = lk('backups', 'restore', oldest, '--yes', '--expect', shownSha);
  out.afterStaleExpect = hosts();

  out.ttyChanged = await onTerminal(['backups', 'restore', oldest], 'y', () => fs.appendFileSync('/etc/hosts', '10.7.7.7 during.test\r\n'));
  out.afterTtyChanged = hosts();
  out.ttyNo = await onTerminal(['backups', 'restore', oldest], 'n', () => {});
  out.afterTtyNo = hosts();
  const beforeRestore = hosts();
  out.ttyYes = await onTerminal(['backups', 'restore', oldest], 'y', () => {});
  out.afterTtyYes = hosts();
  out.listAfter = JSON.parse(lk('backups', 'list', '--json').stdout).backups;
  out.newestBackup = fs.readFileSync(path.join(work, 'state', 'backups', 'hosts.' + out.listAfter[0].id), 'latin1');
  out.beforeRestore = beforeRestore;
  out.legacy = run(['getent', 'hosts', 'legacy.test']).stdout;
  out.mode = (fs.statSync('/etc/hosts').mode & 0o777).toString(8);
  out.same = lk('backups', 'restore', oldest, '--yes');
  out.unknown = lk('backups', 'restore', 'nope');
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e.stack); process.exit(1); });
`;

describeInNamespace('backups list / restore against a real /etc/hosts', () => {
  let out: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeAll(() => {
    assertBuilt();
    const work = mkdtempSync(join(tmpdir(), 'lk-backups-ns-'));
    const hosts = join(work, 'hosts');
    const scratch = join(work, 'overlay');
    mkdirSync(scratch);
    writeFileSync(hosts, HOSTS, { mode: 0o644 });
    writeFileSync(join(work, 'driver.js'), DRIVER);
    const machine = readFileSync('/etc/hosts');
    const argv = [...nsWithOverlay(hosts, scratch), process.execPath, join(work, 'driver.js'), CLI, work];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 300000 });
    expect(readFileSync('/etc/hosts')).toEqual(machine);
    expect(existsSync('/etc/loopkeeper/loopkeeper.yaml') && readFileSync('/etc/loopkeeper/loopkeeper.yaml', 'utf8').includes('b.test')).toBe(false);
    if (r.status !== 0) throw new Error(`driver failed (${r.status}): ${r.stderr}`);
    out = JSON.parse(r.stdout);
  });

  it('list: id, time, size and the names of each kept version, newest first', () => {
    expect(out.add1.code).toBe(0);
    expect(out.add2.code).toBe(0);
    const backups = JSON.parse(out.list.stdout).backups;
    expect(backups.map((b: any) => [b.size, b.names])).toEqual([ // eslint-disable-line @typescript-eslint/no-explicit-any
      [Buffer.byteLength(out.second, 'latin1'), ['a.test', 'b.test']],
      [Buffer.byteLength(out.original, 'latin1'), null],
    ]);
    for (const b of backups) expect(b.at).toBe(new Date(b.at).toISOString());
    expect(out.listText.stdout).toMatch(new RegExp(`${backups[0].id}\\s+\\S+ \\S+ UTC\\s+${backups[0].size} bytes\\s+a\\.test b\\.test`));
    expect(out.listText.stdout).toContain('(no managed block)');
  });

  it('restore without a terminal or --yes shows the diff and writes nothing, naming the exact command', () => {
    expect(out.noTerminal.code).toBe(1);
    expect(out.noTerminal.stdout).toContain(`/etc/hosts → backup ${out.oldest}`);
    expect(out.noTerminal.stdout).toMatch(/^- 10\.9\.9\.9 handmade\.test$/m);
    expect(out.noTerminal.stdout).toMatch(/^- 127\.0\.0\.4\tc\.test$/m);
    expect(out.noTerminal.stderr).toContain(`${ran} backups restore ${out.oldest} --yes --expect `);
    expect(out.noTerminal.stderr).toMatch(/--yes --expect [0-9a-f]{64}\n/);
    expect(out.afterNoTerminal).toBe(out.third);
  });

  it('refuses when the file changed since the diff was shown (--expect, and between the diff and the answer on a terminal)', () => {
    expect(out.staleExpect.code).toBe(1);
    expect(out.staleExpect.stderr).toContain('/etc/hosts changed since the diff was shown; nothing was written');
    expect(out.afterStaleExpect).toBe(out.changed);
    expect(out.ttyChanged.code).toBe(1);
    expect(out.ttyChanged.output).toContain('[y/N]');
    expect(out.ttyChanged.output).toContain('/etc/hosts changed since the diff was shown; nothing was written');
    expect(out.afterTtyChanged).toBe(`${out.changed}10.7.7.7 during.test\r\n`);
    expect(out.ttyNo.code).toBe(1);
    expect(out.afterTtyNo).toBe(out.afterTtyChanged);
  });

  it('a "y" on the terminal writes the version back byte for byte; the replaced version becomes a backup', () => {
    expect(out.ttyYes.code).toBe(0);
    expect(out.ttyYes.output).toContain(`Restored backup ${out.oldest} to /etc/hosts`);
    expect(out.afterTtyYes).toBe(out.original);
    expect(out.newestBackup).toBe(out.beforeRestore);
    expect(out.legacy).toMatch(/^10\.1\.2\.3\s+legacy\.test/);
    expect(out.mode).toBe('644');
    expect(out.same).toMatchObject({ code: 0 });
    expect(out.same.stdout).toContain('nothing to restore');
    expect(out.unknown.code).toBe(2);
    expect(out.unknown.stderr).toMatch(/no backup nope \(backups: /);
  });
});
