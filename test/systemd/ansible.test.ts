// deploy/ansible/ for real: Debian's ansible-playbook runs the example playbook (site.yml, the
// example group_vars and host_vars, inventory/local.yml: connection local) inside the real-systemd
// container of the service tests (test/helpers/systemd-container.ts), installing the tarball
// `npm pack` makes of this checkout. After it the service is active, the aliases are on lo and the
// names resolve; a second run changes nothing (changed=0); a config edit is applied by the reload
// handler without a restart; an invalid config stops the play before anything changes; the
// hardened daemon writes node_exporter's textfile, and Debian's node_exporter serves it.
// Nothing reaches the host. The recap lines are printed at the end.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, REPO } from '../helpers/cli';
import { npmEnv, packCheckout, type Packed } from '../helpers/pack';
import { describeWithSystemd, hostSnapshot, REPO_INSIDE, SystemdContainer, type ExecResult } from '../helpers/systemd-container';

const PLAYBOOK_DIR = `${REPO_INSIDE}/deploy/ansible`;
/** Addresses and names from deploy/ansible/group_vars/loopkeeper.yml and host_vars/localhost.yml. */
const ALIASES = ['127.0.0.2', '127.0.0.3', 'fd00::2', '127.0.0.4'];
const TEXTFILE = '/var/lib/prometheus/node-exporter/loopkeeper.prom';
/** An alias only this suite uses (the config-edit run adds it): the host's lo must never get it. */
const EDIT_ALIAS = '127.0.0.77';

function ansibleSupport(): string | null {
  const r = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'ansible-playbook is not installed (apt-get install --no-install-recommends ansible-core)';
  return null;
}

/** `describeWithSystemd`, and ansible-playbook must be there too (CI: fail; elsewhere: skip). */
function describeWithAnsible(name: string, body: () => void): void {
  const why = ansibleSupport();
  if (why === null) return describeWithSystemd(name, body);
  if (process.env.CI === 'true') {
    describe(name, () => it('has ansible-playbook (required in CI)', () => {
      throw new Error(`the Ansible tests must run in CI but cannot: ${why}`);
    }));
    return;
  }
  console.warn(`skipping "${name}": ${why}`); // eslint-disable-line no-console
  describe.skip(name, body);
}

interface Recap {
  line: string;
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
}

function recapOf(out: string): Recap {
  const line = out.split('\n').find((l) => /^localhost\s+: ok=\d+/.test(l));
  if (!line) throw new Error(`no PLAY RECAP line for localhost in:\n${out}`);
  const n = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(line)![1]);
  return { line: line.replace(/\s+/g, ' ').trim(), ok: n('ok'), changed: n('changed'), failed: n('failed'), unreachable: n('unreachable') };
}

const report: { recaps: Record<string, string>; tarball?: string; runMs: Record<string, number> } = { recaps: {}, runMs: {} };

describeWithAnsible('deploy/ansible: the example playbook under real systemd (connection local)', () => {
  let c: SystemdContainer;
  let before: Record<string, string>;
  /** Host directory the container sees through its lower layer (not /tmp: the container has its own). */
  let prep: string;
  let packed: Packed;
  let varsFile: string;

  const playbook = (label: string, extraVars: object[] = []): ExecResult & { recap: Recap } => {
    const started = Date.now();
    const r = c.exec(
      [
        'ansible-playbook',
        '-i', `${PLAYBOOK_DIR}/inventory/local.yml`,
        `${PLAYBOOK_DIR}/site.yml`,
        '-e', `@${varsFile}`,
        ...extraVars.flatMap((v) => ['-e', JSON.stringify(v)]),
      ],
      { env: { HOME: '/root', ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ANSIBLE_LOCAL_TEMP: '/root/.ansible/tmp', PYTHONUNBUFFERED: '1' } },
    );
    report.runMs[label] = Date.now() - started;
    const recap = recapOf(r.stdout);
    report.recaps[label] = recap.line;
    return { ...r, recap };
  };
  const loAddresses = () =>
    (JSON.parse(c.ok(['ip', '-j', 'addr', 'show', 'dev', 'lo'])) as Array<{ addr_info: Array<{ local: string }> }>)[0]!.addr_info.map((a) => a.local);
  const mainPid = () => Number(c.ok(['systemctl', 'show', 'loopkeeper.service', '-p', 'MainPID', '--value']).trim());
  const sha = (path: string) => createHash('sha256').update(c.readFile(path) ?? '').digest('hex');
  const journal = () => {
    c.exec(['journalctl', '--sync']);
    return c.exec(['journalctl', '--no-pager', '-o', 'cat', '-u', 'loopkeeper.service']).stdout;
  };

  beforeAll(async () => {
    assertBuilt();
    before = hostSnapshot([EDIT_ALIAS]);
    prep = mkdtempSync('/var/tmp/lk-ansible-');
    packed = packCheckout(prep);
    report.tarball = `${packed.report.filename}: ${packed.report.entryCount} files, ${packed.report.size} bytes`;
    // The container has no network: fill an npm cache here (dependencies from the registry), and
    // let the role install offline from it (loopkeeper_npm_extra_args, as a fleet without a
    // registry would).
    const cache = join(prep, 'npm-cache');
    const warm = spawnSync('npm', ['install', '--global', '--prefix', join(prep, 'warm'), '--cache', cache, packed.tarball], { encoding: 'utf8', env: npmEnv() });
    if (warm.status !== 0) throw new Error(`could not fill the npm cache for the offline install:\n${warm.stdout}\n${warm.stderr}`);
    rmSync(join(prep, 'warm'), { recursive: true, force: true });
    varsFile = join(prep, 'vars.json');
    writeFileSync(varsFile, JSON.stringify({ loopkeeper_tarball: packed.tarball, loopkeeper_npm_extra_args: ['--offline', '--cache', cache] }));
    c = await SystemdContainer.create({ repo: REPO });
    await c.start();
    // The host's npm-installed loopkeeper, if any, must not be what the role finds.
    expect(c.exec(['test', '-e', '/usr/lib/node_modules/loopkeeper']).code).not.toBe(0);
  });

  afterAll(async () => {
    await c?.destroy();
    if (prep) rmSync(prep, { recursive: true, force: true });
    // eslint-disable-next-line no-console
    console.log(`Ansible measurements:\n${JSON.stringify(report, null, 2)}`);
  });

  it('first run: installs the tarball, writes the config and drop-in, installs the service: active, aliases on lo, names resolve', () => {
    const r = playbook('first');
    expect({ code: r.code, failed: r.recap.failed, unreachable: r.recap.unreachable }).toEqual({ code: 0, failed: 0, unreachable: 0 });
    expect(r.recap.changed).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/RUNNING HANDLER \[loopkeeper : Restart loopkeeper\]/);
    expect(c.exec(['systemctl', 'is-active', 'loopkeeper']).stdout.trim()).toBe('active');
    expect(c.exec(['systemctl', 'is-enabled', 'loopkeeper']).stdout.trim()).toBe('enabled');
    // The unit runs the package npm installed (npm's global prefix), not the checkout.
    const unit = c.readFile('/etc/systemd/system/loopkeeper.service')!;
    expect(unit).toMatch(/^ExecStart=\S+ .*\/lib\/node_modules\/loopkeeper\/dist\/daemon\/main\.js$/m);
    expect(unit).not.toContain(REPO_INSIDE);
    expect(loAddresses()).toEqual(expect.arrayContaining(ALIASES));
    const ahosts = (name: string) => c.ok(['getent', 'ahosts', name]).split('\n').filter((l) => /STREAM/.test(l)).map((l) => l.split(/\s+/)[0]);
    expect(ahosts('api.myteam.test')).toEqual(['127.0.0.2']);
    expect(ahosts('db.myteam.test')).toEqual(['127.0.0.4']);
    expect(ahosts('web.myteam.test').sort()).toEqual(['127.0.0.3', 'fd00::2']);
    // The files, as the role writes them: root-owned 0644, with the config the variables declare.
    expect(c.ok(['stat', '-c', '%U:%G %a', '/etc/loopkeeper/loopkeeper.yaml', '/etc/loopkeeper/conf.d/50-this-machine.yaml']).trim().split('\n')).toEqual(['root:root 644', 'root:root 644']);
    expect(c.readFile('/etc/loopkeeper/loopkeeper.yaml')).toMatch(/^# Managed by Ansible \(role loopkeeper\)[^\n]*\nversion: 1\naliases:\n- 127\.0\.0\.2\n/);
    const status = JSON.parse(c.ok(['loopkeeper', 'status', '--json']));
    expect(status.conditions.find((x: { type: string }) => x.type === 'Ready')).toMatchObject({ status: 'True' });
    expect(status.config.files).toEqual(['/etc/loopkeeper/loopkeeper.yaml', '/etc/loopkeeper/conf.d/50-this-machine.yaml']);
  });

  it('second run: nothing changed (changed=0), the same daemon', () => {
    const pid = mainPid();
    const r = playbook('second');
    expect({ code: r.code, changed: r.recap.changed, failed: r.recap.failed }).toEqual({ code: 0, changed: 0, failed: 0 });
    expect(r.stdout).not.toMatch(/RUNNING HANDLER/);
    expect(mainPid()).toBe(pid);
  });

  it('the hardened daemon writes node_exporter’s textfile; promtool accepts it; Debian’s node_exporter serves it', async () => {
    const text = c.readFile(TEXTFILE);
    expect(text).toMatch(/^loopkeeper_ready 1$/m);
    expect(text).toMatch(new RegExp(`^loopkeeper_aliases_desired ${ALIASES.length}$`, 'm'));
    expect(c.ok(['stat', '-c', '%U %a', TEXTFILE]).trim()).toBe('root 644');
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text!, encoding: 'utf8' });
    if (lint.error && process.env.CI !== 'true') {
      console.warn(`skipping the promtool lint: ${lint.error.message}`); // eslint-disable-line no-console
    } else {
      expect({ code: lint.status, out: (lint.stdout ?? '') + (lint.stderr ?? '') }).toEqual({ code: 0, out: '' });
    }
    const exporter = c.exec(['sh', '-c', 'command -v prometheus-node-exporter']).stdout.trim();
    if (exporter === '') {
      if (process.env.CI === 'true') throw new Error('prometheus-node-exporter is needed in CI (apt-get install --no-install-recommends prometheus-node-exporter)');
      console.warn('skipping the node_exporter check: prometheus-node-exporter is not installed'); // eslint-disable-line no-console
      return;
    }
    // As Debian runs it (an unprivileged user), only the textfile collector, on the container's own lo.
    c.ok(['systemd-run', '--unit=lk-node-exporter', '-p', 'DynamicUser=yes', exporter, '--collector.disable-defaults', '--collector.textfile',
      '--collector.textfile.directory=/var/lib/prometheus/node-exporter', '--web.listen-address=127.0.0.1:9100']);
    try {
      const scraped = await until(() => {
        const r = c.exec(['curl', '-sf', 'http://127.0.0.1:9100/metrics']);
        return r.code === 0 && r.stdout;
      });
      expect(scraped).toMatch(/^loopkeeper_ready 1$/m);
      expect(scraped).toMatch(/^loopkeeper_reconciles_total\{result="ok",trigger="startup"\} 1$/m);
      expect(scraped).toMatch(/^node_textfile_scrape_error 0$/m);
      expect(scraped).toMatch(/^node_textfile_mtime_seconds\{file="(\/var\/lib\/prometheus\/node-exporter\/)?loopkeeper\.prom"\} \S+$/m);
    } finally {
      c.exec(['systemctl', 'stop', 'lk-node-exporter.service']);
    }
  });

  it('a config edit: only the changed drop-in and the reload handler; the daemon applies it without a restart', async () => {
    const pid = mainPid();
    const r = playbook('edit', [{ loopkeeper_conf_d: { '50-this-machine': { hosts: { 'db.myteam.test': '127.0.0.4', 'cache.myteam.test': EDIT_ALIAS } } } }]);
    expect({ code: r.code, changed: r.recap.changed, failed: r.recap.failed }).toEqual({ code: 0, changed: 2, failed: 0 }); // the drop-in, the reload
    expect(r.stdout).toMatch(/RUNNING HANDLER \[loopkeeper : Reload loopkeeper\]/);
    expect(r.stdout).not.toMatch(/RUNNING HANDLER \[loopkeeper : Restart loopkeeper\]/);
    await until(() => loAddresses().includes(EDIT_ALIAS));
    expect(c.ok(['getent', 'ahosts', 'cache.myteam.test'])).toMatch(new RegExp(`^${EDIT_ALIAS.replace(/\./g, '\\.')}\\s`, 'm'));
    expect(mainPid()).toBe(pid);
    await until(() => /SIGHUP: reloading the config and reconciling/.test(journal()));
  });

  it('an invalid config: `loopkeeper validate` stops the play before anything under /etc changes', () => {
    const files = ['/etc/loopkeeper/loopkeeper.yaml', '/etc/loopkeeper/conf.d/50-this-machine.yaml'];
    const was = files.map(sha);
    const pid = mainPid();
    const r = playbook('invalid', [{ loopkeeper_conf_d: { '50-this-machine': { hosts: { 'db.myteam.test': '127.0.0.4', 'bad_name!': '127.0.0.5' } } } }]);
    expect(r.code).not.toBe(0);
    expect(r.recap.failed).toBe(1);
    expect(r.stdout).toMatch(/TASK \[loopkeeper : Validate the staged config \(loopkeeper validate\)\][\s\S]*FAILED/);
    // validate's own FILE:LINE:COL message, about the staged file.
    expect(r.stdout).toMatch(/conf\.d\/50-this-machine\.yaml:\d+:\d+: [^\n]*bad_name!/);
    expect(r.stdout).not.toMatch(/TASK \[loopkeeper : Put the drop-ins in place\]/);
    expect(files.map(sha)).toEqual(was);
    expect(mainPid()).toBe(pid);
    // The staging directory went with the failure.
    expect(c.ok(['sh', '-c', 'ls -d /tmp/*.loopkeeper-stage 2>/dev/null || true']).trim()).toBe('');
  });

  it('leaves nothing on the host: its /etc, /run, /var/lib, hosts file, lo and cgroups are as before', async () => {
    await c.destroy();
    expect(c.cgroupsLeft).toEqual([]);
    expect(hostSnapshot([EDIT_ALIAS])).toEqual(before);
  });
});

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
