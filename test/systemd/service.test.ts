// loopkeeper under the machine's real systemd (booted as PID 1 of throw-away namespaces, see
// test/helpers/systemd-container.ts), through the built CLI's `install` / `uninstall`:
// the unit comes up and answers, readiness holds for units ordered after it (at boot and on five
// restarts), a second install changes nothing, reload re-reads the config, drift is repaired
// under the full hardening, the daemon stops its own config-loader child, and uninstall removes
// everything install wrote. Nothing reaches the host. The numbers the suite measures (security
// score, start-to-active times, dependents' results) are printed at the end.
import { DAEMON, REPO, assertBuilt } from '../helpers/cli';
import { describeWithSystemd, hostSnapshot, REPO_INSIDE, SystemdContainer } from '../helpers/systemd-container';

const SOCKET = '/run/loopkeeper/loopkeeper.sock';
const UNIT = '/etc/systemd/system/loopkeeper.service';
const WANTS_LINK = '/etc/systemd/system/multi-user.target.wants/loopkeeper.service';
const ALIAS6 = 'fd00::2';
/** An alias only this suite uses: the host's lo must never get it. */
const EDIT_ALIAS = 'fd00::7e57';
const CONFIG = `version: 1
aliases:
  - 127.0.0.2
  - ${ALIAS6}
hosts:
  api.lk-test.test: [127.0.0.2, ${ALIAS6}]
`;

// A service that needs a desired alias: binds [fd00::2]:0 (an IPv6 ULA: unlike 127.0.0.0/8, Linux
// cannot bind it before the alias exists) and exits 0, or 1 with the error.
const BIND_JS = `const net = require('node:net');
const host = process.argv[2];
const s = net.createServer();
s.once('error', (e) => { console.error('bind [' + host + ']:0 failed: ' + e.code); process.exit(1); });
s.listen({ host, port: 0 }, () => { console.log('bound [' + host + ']:' + s.address().port); s.close(); });
`;
/** Two dependents: one Requires=, one Wants= + PartOf= (both restart with loopkeeper). */
const DEPENDENTS = {
  'lk-needs-alias.service': 'Requires=loopkeeper.service',
  'lk-wants-alias.service': 'Wants=loopkeeper.service\nPartOf=loopkeeper.service',
} as const;
const dependentUnit = (deps: string) => `[Unit]
Description=test: a service that binds a loopkeeper alias
${deps}
After=loopkeeper.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${process.execPath} /etc/lk-test/bind.js ${ALIAS6}

[Install]
WantedBy=multi-user.target
`;

/** A config loader that never answers: the stop test swaps it in for dist/daemon/config-child.js. */
const STUCK_CHILD_JS = `const fs = require('node:fs');
const log = (m) => fs.appendFileSync('/etc/lk-test/child.log', m + ' ' + process.pid + '\\n');
process.on('SIGTERM', () => { log('SIGTERM'); process.exit(0); });
log('started');
setInterval(() => {}, 1 << 30);
`;

interface Report {
  bootMs: number[];
  securityScore?: number;
  startToActiveMs: number[];
  dependentsAtBoot?: Record<string, string>;
  dependentsOnRestart: Array<Record<string, string>>;
}
const report: Report = { bootMs: [], startToActiveMs: [], dependentsOnRestart: [] };

describeWithSystemd('loopkeeper under real systemd (install, readiness, reload, drift, stop, uninstall)', () => {
  let c: SystemdContainer;
  let before: Record<string, string>;

  const show = (unit: string, props: string[]): Record<string, string> => {
    const out = c.ok(['systemctl', 'show', unit, ...props.flatMap((p) => ['-p', p])]);
    return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  };
  const mainPid = () => Number(show('loopkeeper.service', ['MainPID']).MainPID);
  /** systemd's own clock: from leaving "inactive" (start requested) to entering "active". */
  const startToActiveMs = () => {
    const p = show('loopkeeper.service', ['InactiveExitTimestampMonotonic', 'ActiveEnterTimestampMonotonic']);
    return Math.round((Number(p.ActiveEnterTimestampMonotonic) - Number(p.InactiveExitTimestampMonotonic)) / 1000);
  };
  const curl = (path: string, method = 'GET') =>
    c.exec(['curl', '-sS', '-X', method, '--unix-socket', SOCKET, '-w', '\\n%{http_code}', `http://localhost${path}`]);
  const loAddresses = () =>
    (JSON.parse(c.ok(['ip', '-j', 'addr', 'show', 'dev', 'lo'])) as Array<{ addr_info: Array<{ local: string }> }>)[0]!.addr_info.map((a) => a.local);
  /** The journal as it is now (after --sync: journald has stored what it had received). */
  const journal = (args: string[]) => {
    c.exec(['journalctl', '--sync']);
    return c.exec(['journalctl', '--no-pager', '-o', 'cat', ...args]).stdout;
  };
  /** The journal once it holds what `expected` looks for: services' output reaches journald on its own streams. */
  const journalWith = (args: string[], expected: (text: string) => boolean) => until(() => {
    const text = journal(args);
    return expected(text) && text;
  });
  /** Each dependent's state, invocation and output line ("bound …" or "bind … failed"). */
  const dependentResults = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const unit of Object.keys(DEPENDENTS)) {
      const p = show(unit, ['ActiveState', 'Result', 'ExecMainStatus', 'InvocationID']);
      out[unit] = `${p.ActiveState}/${p.Result}/exit ${p.ExecMainStatus}`;
      out[`${unit}#id`] = p.InvocationID!;
      out[`${unit}#log`] = p.InvocationID
        ? (await journalWith([`_SYSTEMD_INVOCATION_ID=${p.InvocationID}`], (t) => /bound|failed/.test(t))).trim()
        : '';
    }
    return out;
  };

  beforeAll(async () => {
    assertBuilt();
    before = hostSnapshot([EDIT_ALIAS]);
    c = await SystemdContainer.create({ repo: REPO });
    await c.start();
    c.writeFile('/etc/loopkeeper/loopkeeper.yaml', CONFIG);
    c.writeFile('/etc/lk-test/bind.js', BIND_JS);
    for (const [unit, deps] of Object.entries(DEPENDENTS)) c.writeFile(`/etc/systemd/system/${unit}`, dependentUnit(deps));
  });

  afterAll(async () => {
    await c?.destroy();
    report.bootMs = c?.bootTimes ?? [];
    const clean = (r?: Record<string, string>) => r && Object.fromEntries(Object.entries(r).filter(([k]) => !k.includes('#')));
    // eslint-disable-next-line no-console
    console.log(
      'real-systemd measurements:\n' +
        JSON.stringify(
          { ...report, dependentsAtBoot: clean(report.dependentsAtBoot), dependentsOnRestart: report.dependentsOnRestart.map(clean) },
          null,
          2,
        ),
    );
  });

  it('install: the unit is enabled and active only once the daemon answers, with the aliases in place', async () => {
    const r = c.loopkeeper(['install']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`wrote     ${UNIT}\n`);
    expect(r.stdout).toContain('exists    /etc/loopkeeper/loopkeeper.yaml (kept as it is)\n');
    expect(r.stdout).toMatch(/^loopkeeper runs now and at boot/m);
    expect(c.exec(['systemctl', 'is-enabled', 'loopkeeper']).stdout.trim()).toBe('enabled');
    expect(c.exec(['systemctl', 'is-active', 'loopkeeper']).stdout.trim()).toBe('active');
    report.startToActiveMs.push(startToActiveMs());
    // The unit names this checkout's node and daemon, at a path PrivateTmp does not hide.
    const unit = c.readFile(UNIT)!;
    expect(unit).toContain(`ExecStart=${process.execPath} --max-semi-space-size=1 --lite-mode --no-expose-wasm ${REPO_INSIDE}/dist/daemon/main.js\n`);
    expect(unit).toContain(`ExecStartPost=${process.execPath} ${REPO_INSIDE}/dist/service/ready.js\n`);
    // Active means the first reconcile is done: the readiness step logged it, the aliases are there.
    await journalWith(['-u', 'loopkeeper.service'], (t) => /loopkeeperd is ready: the first reconcile has finished/.test(t));
    expect(loAddresses()).toEqual(expect.arrayContaining(['127.0.0.2', ALIAS6]));
    const status = curl('/v1/status');
    expect(status.code).toBe(0);
    const [body, code] = status.stdout.split(/\n(?=\d+$)/);
    expect(code).toBe('200');
    const json = JSON.parse(body!);
    expect(json.conditions.find((x: { type: string }) => x.type === 'Ready')).toMatchObject({ status: 'True' });
    expect(json.daemon.pid).toBe(mainPid());
    // The CLI as an unprivileged user, over the 0666 socket.
    const asNobody = c.exec(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, `${REPO_INSIDE}/dist/cli/main.js`, 'status']);
    expect(asNobody.code).toBe(0);
    expect(c.ok(['getent', 'hosts', 'api.lk-test.test'])).toMatch(/^(127\.0\.0\.2|fd00::2)\s+api\.lk-test\.test/);
  });

  it('runs with the full hardening in force; the installed unit passes verify and rates at most 2.5', () => {
    const pid = mainPid();
    const st = c.ok(['cat', `/proc/${pid}/status`]);
    // CHOWN(0) DAC_OVERRIDE(1) FOWNER(3) NET_ADMIN(12) and nothing else; no new privileges; seccomp on.
    expect(st).toMatch(/^CapBnd:\s+000000000000100b$/m);
    expect(st).toMatch(/^CapEff:\s+000000000000100b$/m);
    expect(st).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(st).toMatch(/^Seccomp:\s+2$/m);
    // ProtectSystem=strict: /usr is read-only in the daemon's mount namespace, /etc is writable.
    expect(c.exec(['nsenter', '-t', String(pid), '-m', 'touch', '/usr/lk-probe']).stderr).toMatch(/Read-only file system/);
    expect(c.exec(['nsenter', '-t', String(pid), '-m', 'sh', '-c', 'touch /etc/lk-probe && rm /etc/lk-probe']).code).toBe(0);
    const props = show('loopkeeper.service', ['KillMode', 'RestrictAddressFamilies', 'ProcSubset']);
    expect({ ...props, RestrictAddressFamilies: props.RestrictAddressFamilies!.split(' ').sort().join(' ') }).toEqual({
      KillMode: 'mixed',
      RestrictAddressFamilies: 'AF_NETLINK AF_UNIX',
      ProcSubset: 'pid',
    });
    const verify = c.exec(['systemd-analyze', 'verify', UNIT]);
    expect({ code: verify.code, out: (verify.stdout + verify.stderr).trim() }).toEqual({ code: 0, out: '' });
    const security = c.exec(['systemd-analyze', 'security', 'loopkeeper.service']);
    const m = /Overall exposure level for loopkeeper\.service: (\d+(?:\.\d+)?)/.exec(security.stdout);
    expect(m).not.toBeNull();
    report.securityScore = Number(m![1]);
    expect(report.securityScore).toBeLessThanOrEqual(2.5);
  });

  it('a second install changes nothing: same files, same daemon, and it says so', () => {
    const files = [UNIT, WANTS_LINK, '/etc/loopkeeper/loopkeeper.yaml'];
    const stamp = () => c.ok(['stat', '-c', '%n %i %Y.%y %s', ...files]);
    const was = stamp();
    const pid = mainPid();
    const r = c.loopkeeper(['install']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`unchanged ${UNIT}\n`);
    expect(r.stdout).not.toMatch(/^(wrote|updated|created|removed)\s/m);
    // It only asked systemd (one read-only `systemctl show`): no reload, no enable, no restart.
    expect(r.stdout.split('\n').filter((l) => l.startsWith('ran '))).toEqual([
      'ran       systemctl show loopkeeper.service --property=NeedDaemonReload,UnitFileState,ActiveState',
    ]);
    expect(r.stdout).toMatch(/^loopkeeper was already installed and running: nothing changed/m);
    expect(stamp()).toBe(was);
    expect(mainPid()).toBe(pid);
  });

  it('readiness at boot: units ordered after loopkeeper.service find fd00::2 on a fresh boot', async () => {
    c.ok(['systemctl', 'enable', ...Object.keys(DEPENDENTS)]);
    await c.reboot();
    // A new network namespace: lo had no alias until the daemon added it during this boot.
    await journalWith(['-b', '-u', 'loopkeeper.service'], addedAlias);
    const r = await dependentResults();
    report.dependentsAtBoot = r;
    report.startToActiveMs.push(startToActiveMs());
    for (const unit of Object.keys(DEPENDENTS)) {
      expect({ unit, result: r[unit], log: r[`${unit}#log`] }).toEqual({
        unit,
        result: 'active/success/exit 0',
        log: expect.stringMatching(/bound \[fd00::2\]:\d+/),
      });
    }
    // Ordering, by systemd's clock: each dependent started after loopkeeper became active.
    const active = Number(show('loopkeeper.service', ['ActiveEnterTimestampMonotonic']).ActiveEnterTimestampMonotonic);
    for (const unit of Object.keys(DEPENDENTS)) {
      expect(Number(show(unit, ['ExecMainStartTimestampMonotonic']).ExecMainStartTimestampMonotonic)).toBeGreaterThanOrEqual(active);
    }
  });

  it('readiness on restart: 5 of 5 `systemctl restart loopkeeper` leave the dependents succeeding', async () => {
    // The aliases outlive a daemon restart (SIGTERM leaves them), which would make this check
    // vacuous: a test-only drop-in removes fd00::2 after each stop, as a flushed lo would, so every
    // new daemon starts without it.
    const ip = c.ok(['sh', '-c', 'command -v ip']).trim();
    c.writeFile('/etc/systemd/system/loopkeeper.service.d/lk-test-flush.conf', `[Service]\nExecStopPost=-+${ip} addr del ${ALIAS6}/128 dev lo\n`);
    c.ok(['systemctl', 'daemon-reload']);
    try {
      for (let i = 1; i <= 5; i++) {
        const ids = await dependentResults();
        c.ok(['systemctl', 'restart', 'loopkeeper.service']);
        report.startToActiveMs.push(startToActiveMs());
        // `restart` returns when loopkeeper is active; the dependents' restarts (propagated by
        // Requires= / PartOf=) run right after: wait for their state to settle.
        await until(() => Object.keys(DEPENDENTS).every((u) => !/activating|deactivating/.test(show(u, ['ActiveState']).ActiveState!)));
        const r = await dependentResults();
        report.dependentsOnRestart.push(r);
        // This daemon had to add the alias again (it logged the change before it was ready).
        await journalWith([`_SYSTEMD_INVOCATION_ID=${show('loopkeeper.service', ['InvocationID']).InvocationID}`], addedAlias);
        for (const unit of Object.keys(DEPENDENTS)) {
          expect({ restart: i, unit, rerun: r[`${unit}#id`] !== ids[`${unit}#id`], result: r[unit], log: r[`${unit}#log`] }).toEqual({
            restart: i,
            unit,
            rerun: true,
            result: 'active/success/exit 0',
            log: expect.stringMatching(/bound \[fd00::2\]:\d+/),
          });
        }
      }
    } finally {
      c.ok(['rm', '-r', '/etc/systemd/system/loopkeeper.service.d']);
      c.ok(['systemctl', 'daemon-reload']);
    }
  });

  it('reload: `systemctl reload` sends SIGHUP and the daemon re-reads the config and applies the edit', async () => {
    // The edited config is bind-mounted over the file: no inotify event, so only the reload can
    // make the daemon see it (the file watch would otherwise pick up an edit by itself).
    c.writeFile('/etc/lk-test/edited.yaml', CONFIG.replace('  - 127.0.0.2\n', `  - 127.0.0.2\n  - ${EDIT_ALIAS}\n`));
    c.ok(['mount', '--bind', '/etc/lk-test/edited.yaml', '/etc/loopkeeper/loopkeeper.yaml']);
    try {
      const pid = mainPid();
      expect(loAddresses()).not.toContain(EDIT_ALIAS);
      c.ok(['systemctl', 'reload', 'loopkeeper.service']);
      // Synchronise on the daemon's own log line for the change (bounded: a hang fails clearly).
      const changed = (l: string) => /"msg":"changed"/.test(l) && l.includes(EDIT_ALIAS);
      const text = await journalWith(['-u', 'loopkeeper.service', '--since', '-5min'], (t) => t.split('\n').some(changed));
      const line = text.split('\n').find(changed)!;
      expect(JSON.parse(line)).toMatchObject({ trigger: 'signal', change: { kind: 'alias', action: 'add', address: EDIT_ALIAS } });
      expect(journal(['-u', 'loopkeeper.service'])).toMatch(/SIGHUP: reloading the config and reconciling/);
      expect(loAddresses()).toContain(EDIT_ALIAS);
      expect(mainPid()).toBe(pid); // reloaded, not restarted
    } finally {
      c.ok(['umount', '/etc/loopkeeper/loopkeeper.yaml']);
      c.ok(['systemctl', 'reload', 'loopkeeper.service']);
      // The next test starts once this reload has been applied (the edit's alias pruned again).
      await until(() => !loAddresses().includes(EDIT_ALIAS));
    }
  });

  it('drift: an alias deleted by hand is put back by the hardened daemon', async () => {
    const drift = () => JSON.parse(curl('/v1/status').stdout.split(/\n(?=\d+$)/)[0]!).drift.repairs as number;
    const repairs = drift();
    c.ok(['ip', 'addr', 'del', `${ALIAS6}/128`, 'dev', 'lo']);
    // `loopkeeper reconcile` (a POST over the socket) returns after a reconcile that began after it:
    // by then the daemon has seen the missing alias, whether its own drift watch or this request
    // noticed it first.
    const r = c.loopkeeper(['reconcile']);
    expect(r.code).toBe(0);
    expect(loAddresses()).toContain(ALIAS6);
    expect(drift()).toBe(repairs + 1);
    await journalWith(['-u', 'loopkeeper.service'], (t) => /"msg":"drift repaired"/.test(t));
  });

  it('stop: the daemon, not systemd, ends its config-loader child (KillMode=mixed)', async () => {
    // Swap in a loader that never answers (bind-mounted over the built one inside the container;
    // the mount reaches the running unit), and make the daemon start one with a reload.
    c.writeFile('/etc/lk-test/stuck-child.js', STUCK_CHILD_JS);
    c.ok(['mount', '--bind', '/etc/lk-test/stuck-child.js', `${REPO_INSIDE}/dist/daemon/config-child.js`]);
    try {
      const invocation = show('loopkeeper.service', ['InvocationID']).InvocationID!;
      c.ok(['systemctl', 'reload', 'loopkeeper.service']);
      const started = await until(() => /started (\d+)/.exec(c.readFile('/etc/lk-test/child.log') ?? '')?.[1]);
      const child = Number(started);
      expect(c.ok(['cat', `/proc/${child}/cgroup`])).toMatch(/loopkeeper\.service/);
      c.ok(['systemctl', 'stop', 'loopkeeper.service']);
      expect(c.readFile('/etc/lk-test/child.log')).toBe(`started ${child}\nSIGTERM ${child}\n`);
      const stoppedIt = new RegExp(`"pids":\\[${child}\\].*"msg":"stopped the config loader that was running"`);
      await journalWith([`_SYSTEMD_INVOCATION_ID=${invocation}`], (t) => stoppedIt.test(t));
      // systemd had nothing left to kill: no "Killing process … with signal SIGKILL", a clean result.
      expect(journal(['-u', 'loopkeeper.service', '--since', '-5min'])).not.toMatch(/Killing process \d+ .*SIGKILL/);
      expect(show('loopkeeper.service', ['Result', 'ActiveState'])).toEqual({ Result: 'success', ActiveState: 'inactive' });
      expect(c.exec(['kill', '-0', String(child)]).code).not.toBe(0);
    } finally {
      c.exec(['umount', `${REPO_INSIDE}/dist/daemon/config-child.js`]);
      c.ok(['systemctl', 'start', 'loopkeeper.service']);
    }
    expect(c.exec(['systemctl', 'is-active', 'loopkeeper']).stdout.trim()).toBe('active');
  });

  it('install refuses a daemon under /var/tmp (PrivateTmp would hide it) and writes nothing', () => {
    c.ok(['mkdir', '-p', '/var/tmp/lk']);
    c.ok(['mount', '--bind', REPO_INSIDE, '/var/tmp/lk']);
    try {
      const unitBefore = c.ok(['stat', '-c', '%i %Y', UNIT]);
      const r = c.exec([process.execPath, '/var/tmp/lk/dist/cli/main.js', 'install']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/install refused: the daemon \/var\/tmp\/lk\/dist\/daemon\/main\.js is under \/var\/tmp: the service could not see it/);
      expect(r.stderr).toMatch(/Nothing was written\. Run the daemon in the foreground instead/);
      expect(r.stdout).toBe('');
      expect(c.ok(['stat', '-c', '%i %Y', UNIT])).toBe(unitBefore);
    } finally {
      c.ok(['umount', '/var/tmp/lk']);
    }
  });

  it('uninstall stops the service and removes what install wrote; a user config stays; again: nothing to remove', () => {
    for (const unit of Object.keys(DEPENDENTS)) c.ok(['systemctl', 'disable', '--now', unit]);
    const r = c.loopkeeper(['uninstall']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`ran       systemctl disable --now loopkeeper.service\n`);
    expect(r.stdout).toContain(`removed   ${UNIT}\n`);
    expect(r.stdout).toContain('kept      /etc/loopkeeper/loopkeeper.yaml (your config: it differs from the one install wrote)\n');
    expect(r.stdout).toMatch(/^Removed the systemd service/m);
    expect(show('loopkeeper.service', ['LoadState', 'ActiveState'])).toEqual({ LoadState: 'not-found', ActiveState: 'inactive' });
    expect(c.exec(['test', '-e', UNIT]).code).not.toBe(0);
    expect(c.exec(['test', '-e', WANTS_LINK]).code).not.toBe(0);
    expect(c.exec(['test', '-e', SOCKET]).code).not.toBe(0);
    expect(c.exec(['pgrep', '-f', 'dist/daemon/main.js']).code).not.toBe(0);

    // A machine where install wrote everything itself: after uninstall, /etc is as before.
    c.ok(['rm', '-r', '/etc/loopkeeper']);
    for (const unit of Object.keys(DEPENDENTS)) c.ok(['rm', `/etc/systemd/system/${unit}`]);
    c.ok(['systemctl', 'daemon-reload']);
    const tree = () => c.ok(['sh', '-c', 'find /etc/systemd /etc/loopkeeper 2>/dev/null | sort']);
    const clean = tree();
    const fresh = c.loopkeeper(['install']);
    expect(fresh).toMatchObject({ code: 0, stderr: '' });
    expect(fresh.stdout).toMatch(/^wrote     \/etc\/loopkeeper\/loopkeeper\.yaml \(the example from .*, commented out\)$/m);
    expect(tree()).not.toBe(clean);
    const gone = c.loopkeeper(['uninstall']);
    expect(gone).toMatchObject({ code: 0, stderr: '' });
    expect(gone.stdout).toContain('removed   /etc/loopkeeper/loopkeeper.yaml\n');
    expect(gone.stdout).toContain('removed   /etc/loopkeeper\n');
    expect(tree()).toBe(clean);
    expect(show('loopkeeper.service', ['LoadState']).LoadState).toBe('not-found');

    const again = c.loopkeeper(['uninstall']);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(/^loopkeeper is not installed here \(\/etc\/systemd\/system\/loopkeeper\.service does not exist\): there was nothing to remove\.$/m);
    expect(again.stdout).not.toMatch(/^(removed|ran)\s/m);
  });

  it('a daemon that cannot start: install shows the last lines of its journal and exits 1', () => {
    // A drop-in the daemon cannot live with: its socket in a directory that ProtectSystem keeps read-only.
    c.writeFile('/etc/systemd/system/loopkeeper.service.d/lk-test-broken.conf', '[Service]\nEnvironment=LOOPKEEPER_SOCKET=/usr/lib/lk-nowhere/x.sock\nRestart=no\n');
    try {
      const r = c.loopkeeper(['install']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/The service's last log lines \(journalctl -u loopkeeper\.service -n 20 --no-pager\):\n/);
      expect(r.stderr).toMatch(/lk-nowhere/); // the daemon's own error, from the journal
      expect(r.stderr).toMatch(/loopkeeper: install failed: `systemctl enable --now loopkeeper\.service` exited with 1/);
    } finally {
      c.ok(['rm', '-r', '/etc/systemd/system/loopkeeper.service.d']);
      c.loopkeeper(['uninstall']);
      c.ok(['rm', '-rf', '/etc/loopkeeper']);
    }
    expect(c.exec(['test', '-e', UNIT]).code).not.toBe(0);
  });

  it('leaves nothing on the host: its /etc, /run, /var/lib, hosts file, lo and cgroups are as before', async () => {
    await c.destroy();
    expect(c.cgroupsLeft).toEqual([]);
    expect(hostSnapshot([EDIT_ALIAS])).toEqual(before);
    // The host's own files were never the ones tested.
    expect(DAEMON.startsWith(REPO)).toBe(true);
  });
});

/** Whether a daemon log holds its "changed" line for adding fd00::2. */
function addedAlias(log: string): boolean {
  return log.split('\n').some((l) => {
    try {
      const j = JSON.parse(l) as { msg?: string; change?: { kind?: string; action?: string; address?: string } };
      return j.msg === 'changed' && j.change?.kind === 'alias' && j.change.action === 'add' && j.change.address === ALIAS6;
    } catch {
      return false;
    }
  });
}

/** Polls `probe` until it returns a value (state, not time, is what the test waits for). */
async function until<T>(probe: () => T | undefined | null | false, boundMs = 60_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`gave up after ${boundMs / 1000} s waiting for ${probe.toString().slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
