// The LaunchDaemon on an emulated Mac, through the machine's fake launchd (which boots out
// asynchronously, like launchd): install on a fresh machine, the daemon applying and repairing,
// a reboot, reinstall with a changed plist, uninstall → install, log rotation, and a Homebrew
// node upgrade followed by a reboot — with the versioned path the old install wrote as the
// control that fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatedMac, builtRepo, describeOnEmulatedMac } from '../helpers/fake-mac/machine';
import { parsePlist } from '../unit/service/plist-xml';

const PLIST = '/Library/LaunchDaemons/dev.loopkeeper.daemon.plist';
const LOG = '/var/log/loopkeeper.log';
const CONFIG = `version: 1
aliases:
  - 127.0.0.2
  - fd00::2
  - range: 127.0.3.0/30
hosts:
  api.myteam.test: 127.0.0.2
settings:
  schedule: "* * * * * *"
`;
const ALIASES = ['127.0.0.2', 'fd00::2', '127.0.3.0', '127.0.3.1', '127.0.3.2', '127.0.3.3'];

/** plistutil (Debian's libplist-utils): a real plist parser. Required in CI. */
function plistutil(): boolean {
  const ok = spawnSync('plistutil', ['-h'], { encoding: 'utf8' }).status !== null;
  if (!ok && process.env.CI === 'true') throw new Error('plistutil (libplist-utils) must be installed in CI: .ci/run installs it');
  return ok;
}

describeOnEmulatedMac('the LaunchDaemon on an emulated Mac', () => {
  let mac: EmulatedMac;

  beforeAll(async () => {
    // launchd keeps a booted-out job 1.5 s after its exit and refuses bootstraps 1 s longer: an
    // install that bootstraps right after bootout fails here as on a Mac.
    mac = await EmulatedMac.create({ repo: builtRepo(), bootoutLingerMs: 1500, bootstrapBusyMs: 1000 });
    await mac.start();
  });
  afterAll(async () => {
    await mac?.destroy();
  });

  function job(): { state: string | null; pid: number | null; program: string | null; lastExit: string | null; code: number | null } {
    const r = mac.exec(['/bin/launchctl', 'print', 'system/dev.loopkeeper.daemon']);
    const field = (n: string) => new RegExp(`^\\t${n} = (.+)$`, 'm').exec(r.stdout)?.[1] ?? null;
    const pid = field('pid');
    return { code: r.code, state: field('state'), pid: pid === null ? null : Number(pid), program: field('program'), lastExit: field('last exit code') };
  }

  function status(): { code: number | null; doc: { daemon: { pid: number }; conditions: Array<{ type: string; status: string; reason: string; message: string }> } | null } {
    const r = mac.loopkeeper(['status', '--json']);
    return { code: r.code, doc: r.stdout.trim() ? JSON.parse(r.stdout) : null };
  }

  /** Waits for a line matching `re` in the daemon's log (tail -F inside: an event, not a sleep). */
  function waitForLog(re: RegExp, fromLine: number): Promise<string> {
    const tail = mac.spawn(['tail', '-n', `+${fromLine + 1}`, '-F', LOG]);
    return new Promise((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => {
        tail.kill('SIGKILL');
        reject(new Error(`no log line matching ${re} within 120 s; the log has:\n${buf}`));
      }, 120_000);
      tail.stdout!.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        const line = buf.split('\n').find((l) => re.test(l));
        if (line !== undefined) {
          clearTimeout(timer);
          tail.kill('SIGKILL');
          resolve(line);
        }
      });
    });
  }

  const logLines = () => (mac.readFile(LOG) ?? '').split('\n').filter((l) => l !== '').length;

  it('install on a fresh machine: a plist plistutil reads, naming /opt/homebrew/bin/node; the job runs and is the daemon that answers', () => {
    const r = mac.loopkeeper(['install']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote     ${PLIST} (node: /opt/homebrew/bin/node, a link to /opt/homebrew/Cellar/node/22.1.0/bin/node that survives upgrades)\n`);
    expect(r.stdout).toContain('wrote     /etc/newsyslog.d/loopkeeper.conf (rotates /var/log/loopkeeper.log)\n');
    expect(r.stdout).toMatch(/\nloopkeeper runs now and at boot \(sudo launchctl print system\/dev\.loopkeeper\.daemon\)\. Edit \/etc\/loopkeeper\/loopkeeper\.yaml/);

    const xml = mac.readFile(PLIST)!;
    const doc = parsePlist(xml) as { ProgramArguments: string[]; ProcessType: string; RunAtLoad: boolean; KeepAlive: boolean };
    expect(doc.ProgramArguments[0]).toBe('/opt/homebrew/bin/node');
    expect(doc.ProgramArguments).toContain('/opt/homebrew/lib/node_modules/loopkeeper/dist/daemon/main.js');
    expect(doc).toMatchObject({ ProcessType: 'Standard', RunAtLoad: true, KeepAlive: true });
    if (plistutil()) {
      // Through a real plist parser: XML -> binary -> XML, and the same data comes back.
      const dir = mkdtempSync(join(tmpdir(), 'lk-plist-'));
      writeFileSync(join(dir, 'in.plist'), xml);
      const toBin = spawnSync('plistutil', ['-i', join(dir, 'in.plist'), '-f', 'bin', '-o', join(dir, 'out.bin')], { encoding: 'utf8' });
      expect(toBin.status).toBe(0);
      expect(readFileSync(join(dir, 'out.bin')).subarray(0, 8).toString('latin1')).toBe('bplist00');
      const back = spawnSync('plistutil', ['-i', join(dir, 'out.bin'), '-f', 'xml'], { encoding: 'utf8' });
      expect(back.status).toBe(0);
      expect(parsePlist(back.stdout)).toEqual(doc);
    }

    const j = job();
    expect(j).toMatchObject({ code: 0, state: 'running', program: '/opt/homebrew/bin/node' });
    const s = status();
    expect(s.code).toBe(0);
    expect(s.doc!.daemon.pid).toBe(j.pid);
  });

  it('the daemon applies the config and repairs an alias deleted by hand', async () => {
    mac.writeFile('/etc/loopkeeper/loopkeeper.yaml', CONFIG);
    const r = mac.loopkeeper(['reconcile']);
    expect(r.code).toBe(0);
    expect(mac.lo0()).toEqual(expect.arrayContaining(ALIASES));
    const from = logLines();
    mac.ok(['/sbin/ifconfig', 'lo0', '-alias', '127.0.0.2']);
    expect(mac.lo0()).not.toContain('127.0.0.2');
    await waitForLog(/"msg":"drift repaired"/, from);
    expect(mac.lo0()).toContain('127.0.0.2');
    // With the daemon running, `apply` asks it (on macOS's socket, /var/run/loopkeeper.sock)
    // instead of racing it; nothing to do now.
    const before = mac.calls().length;
    const applied = mac.loopkeeper(['apply', '--json']);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ via: 'daemon', daemonPid: job().pid, changes: [] });
    expect(mac.calls().slice(before).filter((c) => c.tool === 'ifconfig')).toEqual([]);
  });

  it('a reboot: launchd starts the daemon at boot and lo0 has its aliases again', async () => {
    const from = logLines();
    await mac.reboot();
    expect(mac.waitForDaemon().code).toBe(0); // the daemon's first reconcile has finished
    expect(mac.lo0()).toEqual(expect.arrayContaining(ALIASES));
    // The new lo0 had lost them (a Mac keeps no alias across a reboot): the daemon put them back at
    // start-up. (Read from its log, not by racing it to lo0.)
    // The lines after the last "loopkeeperd started" (the daemon launchd started at this boot),
    // rather than after a line offset taken before the reboot; which trigger carried the adds is
    // not the point here.
    const addsSinceLastStart = () => {
      const lines = (mac.readFile(LOG) ?? '').split('\n').filter((l) => l !== '');
      const start = lines.map((l) => l.includes('"msg":"loopkeeperd started"')).lastIndexOf(true);
      return lines
        .slice(start >= 0 ? start : from)
        .filter((l) => l.includes('"msg":"changed"'))
        .map((l) => (JSON.parse(l) as { change: { kind: string; action: string; address?: string } }).change)
        .filter((c) => c.kind === 'alias' && c.action === 'add')
        .map((c) => c.address);
    };
    const added = addsSinceLastStart();
    if (!ALIASES.every((a) => added.includes(a))) {
      // eslint-disable-next-line no-console
      console.error(`reboot: start-up adds not found; the log since line ${from}:\n${(mac.readFile(LOG) ?? '').split('\n').slice(Math.max(0, from - 5)).join('\n')}`);
    }
    expect(added).toEqual(expect.arrayContaining(ALIASES));
    expect(status().doc!.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
  });

  it('in this emulation a bootstrap right after bootout fails, as on a Mac (the reason install waits)', () => {
    // The control for the next test: what `launchctl bootout` + `launchctl bootstrap` does.
    const out = mac.exec(['/bin/launchctl', 'bootout', 'system/dev.loopkeeper.daemon']);
    const again = mac.exec(['/bin/launchctl', 'bootstrap', 'system', PLIST]);
    expect(out.code).toBe(0);
    expect([5, 37]).toContain(again.code);
    expect(again.stderr).toMatch(/^Bootstrap failed: (5: Input\/output error|37: Operation already in progress)\n$/);
    // install repairs it: the job is still being removed; install waits and bootstraps.
    const r = mac.loopkeeper(['install']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(job()).toMatchObject({ state: 'running' });
  });

  it('reinstall with a changed plist: the old job is gone before the new one is bootstrapped, and the new one answers', () => {
    const old = job().pid!;
    // The plist an earlier loopkeeper wrote (ProcessType Background).
    mac.writeFile(PLIST, mac.readFile(PLIST)!.replace('<string>Standard</string>', '<string>Background</string>'));
    const r = mac.loopkeeper(['install']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`updated   ${PLIST}`);
    expect(r.stdout).toContain('ran       /bin/launchctl bootout system/dev.loopkeeper.daemon\n');
    expect(r.stdout).toMatch(/ran {7}\/bin\/launchctl print system\/dev\.loopkeeper\.daemon \(until launchd no longer lists the job: \d+ time\(s\), \d+ ms\)\n/);
    expect(r.stdout).toMatch(/ran {7}\/bin\/launchctl bootstrap system \/Library\/LaunchDaemons\/dev\.loopkeeper\.daemon\.plist( \(attempt \d+\))?\n/);
    const now = job();
    expect(now.state).toBe('running');
    expect(now.pid).not.toBe(old);
    expect(status().doc!.daemon.pid).toBe(now.pid);
    expect(mac.readFile(PLIST)).toContain('<string>Standard</string>');
    // launchd's own record: the old job exited and was removed before the new one started.
    const launchd = mac.readFile('/var/log/fake-launchd.log')!.split('\n').filter((l) => l.includes('dev.loopkeeper.daemon'));
    const exited = launchd.findIndex((l) => l.includes('exited'));
    const removed = launchd.findIndex((l, i) => i > exited && l.endsWith('removed'));
    const started = launchd.findIndex((l) => l.includes(`started pid ${now.pid} `));
    expect(exited).toBeGreaterThanOrEqual(0);
    expect(removed).toBeGreaterThan(exited);
    expect(started).toBeGreaterThan(removed);
  });

  it('uninstall, then install at once', () => {
    const u = mac.loopkeeper(['uninstall']);
    expect(u.code).toBe(0);
    expect(u.stdout).toContain('removed   /Library/LaunchDaemons/dev.loopkeeper.daemon.plist\n');
    expect(u.stdout).toContain('removed   /etc/newsyslog.d/loopkeeper.conf\n');
    expect(u.stdout).toContain("kept      /var/log/loopkeeper.log (the daemon's log (and its rotated copies))\n");
    expect(job().code).toBe(113);
    const i = mac.loopkeeper(['install']);
    expect(i.stderr).toBe('');
    expect(i.code).toBe(0);
    expect(job().state).toBe('running');
    expect(status().code).toBe(0);
  });

  it("newsyslog rotates the log and the daemon's next lines land in the new file", () => {
    const rotate = mac.exec(['/usr/sbin/newsyslog', '-F']);
    expect(rotate.stderr).toBe('');
    expect(rotate.code).toBe(0);
    expect(mac.readFile(`${LOG}.0`)).toContain('"msg":');
    expect(mac.readFile(LOG)).toBe('');
    mac.writeFile('/etc/loopkeeper/conf.d/more.yaml', 'version: 1\naliases:\n  - 127.0.0.4\n');
    expect(mac.loopkeeper(['reconcile']).code).toBe(0);
    expect(mac.readFile(LOG)).toMatch(/"address":"127\.0\.0\.4"/);
    expect(mac.readFile(`${LOG}.0`)).not.toMatch(/127\.0\.0\.4/);
  });

  it('a Homebrew node upgrade (new keg, links moved, old keg deleted) followed by a reboot: the daemon still starts', async () => {
    mac.brewUpgradeNode('22.1.0', '22.2.0');
    expect(mac.exists('/opt/homebrew/Cellar/node/22.1.0')).toBe(false);
    expect(status().code).toBe(0); // the running daemon does not notice
    await mac.reboot();
    expect(mac.waitForDaemon().code).toBe(0);
    const j = job();
    expect(j).toMatchObject({ state: 'running', program: '/opt/homebrew/bin/node' });
    expect(mac.ok(['readlink', `/proc/${j.pid}/exe`]).trim()).toBe('/opt/homebrew/Cellar/node/22.2.0/bin/node');
    expect(mac.lo0()).toEqual(expect.arrayContaining([...ALIASES, '127.0.0.4']));
  });

  it('the control: a plist naming the versioned Cellar path (what install wrote before) leaves lo0 bare after the next upgrade and reboot; install repairs it', async () => {
    mac.writeFile(PLIST, mac.readFile(PLIST)!.replace('<string>/opt/homebrew/bin/node</string>', '<string>/opt/homebrew/Cellar/node/22.2.0/bin/node</string>'));
    await mac.reboot();
    expect(mac.waitForDaemon().code).toBe(0);
    mac.brewUpgradeNode('22.2.0', '22.3.0');
    await mac.reboot();
    expect(job()).toMatchObject({ code: 0, pid: null, lastExit: '78: EX_CONFIG' });
    expect(mac.lo0().sort()).toEqual(['127.0.0.1', '::1', 'fe80::1'].sort());
    expect(status().code).toBe(4);

    const r = mac.loopkeeper(['install']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(job()).toMatchObject({ state: 'running', program: '/opt/homebrew/bin/node' });
    expect(mac.waitForDaemon().code).toBe(0);
    expect(mac.lo0()).toEqual(expect.arrayContaining(ALIASES));
  });
});
