import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  launchdTemplatePath,
  packageRoot,
  protectHomeFor,
  renderLaunchdPlist,
  renderSystemdUnit,
  systemdTemplatePath,
  systemdWord,
  xmlEscape,
} from '../../../src/service/templates';
import { parsePlist, parseXml } from './plist-xml';
import { LAUNCHD_LOG } from '../../../src/service/launchd';
import { renderNewsyslogConf } from '../../../src/service/newsyslog';

const UNIT = readFileSync(systemdTemplatePath(), 'utf8');
const PLIST = readFileSync(launchdTemplatePath(), 'utf8');
const PATHS = { node: process.execPath, daemon: '/opt/loopkeeper/dist/daemon/main.js' };

/** `Key=value` lines of one unit section, keys may repeat. */
function directives(unit: string, section: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = '';
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    if (current !== section) continue;
    const eq = line.indexOf('=');
    const k = line.slice(0, eq);
    out.set(k, [...(out.get(k) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

/** V8 flags both services start the daemon with (memory: see the unit's comment). */
const NODE_FLAGS = ['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm'];

describe('the systemd unit template', () => {
  const rendered = renderSystemdUnit(UNIT, PATHS);
  const unit = directives(rendered, 'Unit');
  const service = directives(rendered, 'Service');

  it('fills in every placeholder', () => {
    expect(rendered).not.toMatch(/@[A-Z_]+@/);
    expect(service.get('ExecStart')).toEqual([`${process.execPath} ${NODE_FLAGS.join(' ')} /opt/loopkeeper/dist/daemon/main.js`]);
    // The readiness step sits beside the daemon in the same installation unless given.
    expect(service.get('ExecStartPost')).toEqual([`${process.execPath} /opt/loopkeeper/dist/service/ready.js`]);
    const other = renderSystemdUnit(UNIT, { ...PATHS, ready: '/usr/lib/lk/ready.js' });
    expect(directives(other, 'Service').get('ExecStartPost')).toEqual([`${process.execPath} /usr/lib/lk/ready.js`]);
  });

  it('becomes active only after the first reconcile (ExecStartPost waits), with a start bound for huge configs', () => {
    expect(service.get('Type')).toEqual(['simple']);
    expect(service.get('ExecStartPost')).toHaveLength(1);
    expect(service.get('TimeoutStartSec')).toEqual(['5min']);
    expect(service.get('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
  });

  it('lets the daemon stop its own children (KillMode=mixed: SIGTERM to the daemon only)', () => {
    expect(service.get('KillMode')).toEqual(['mixed']);
  });

  it('starts before the network-online services that may need the aliases, restarts on failure', () => {
    expect(unit.get('Before')?.join(' ')).toMatch(/network-online\.target/);
    expect(unit.get('After')?.join(' ')).toMatch(/network-pre\.target/);
    expect(service.get('Restart')).toEqual(['on-failure']);
    expect(service.get('RuntimeDirectory')).toEqual(['loopkeeper']);
    expect(service.get('StateDirectory')).toEqual(['loopkeeper']);
    expect(directives(rendered, 'Install').get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('is hardened: a narrow capability set, a read-only system except /etc, no new privileges', () => {
    expect(service.get('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE']);
    expect(service.get('ProtectSystem')).toEqual(['strict']);
    // and node_exporter's textfile directory (Debian's), only when it exists ("-"): --metrics-textfile.
    expect(service.get('ReadWritePaths')).toEqual(['/etc', '-/var/lib/prometheus/node-exporter']);
    expect(service.get('ProtectHome')).toEqual(['true']);
    expect(service.get('NoNewPrivileges')).toEqual(['true']);
    expect(service.get('PrivateTmp')).toEqual(['true']);
    // No IP sockets at all: the API is a unix socket, `ip` and os.networkInterfaces() use netlink.
    expect(service.get('RestrictAddressFamilies')).toEqual(['AF_UNIX AF_NETLINK']);
    expect(service.get('IPAddressDeny')).toEqual(['any']);
    expect(service.get('ProcSubset')).toEqual(['pid']);
    expect(service.get('ProtectProc')).toEqual(['invisible']);
    // These would break the daemon: it must change the host's own lo, and V8 needs W+X memory.
    for (const k of ['PrivateNetwork', 'PrivateUsers', 'MemoryDenyWriteExecute', 'User', 'DynamicUser']) expect(service.has(k)).toBe(false);
  });

  it('relaxes ProtectHome to read-only when node or the daemon lives under a home directory', () => {
    expect(protectHomeFor({ node: '/root/.nvm/versions/node/v20/bin/node', daemon: '/usr/lib/x.js' })).toBe('read-only');
    expect(protectHomeFor({ node: '/usr/bin/node', daemon: '/home/ann/loopkeeper/dist/daemon/main.js' })).toBe('read-only');
    expect(protectHomeFor({ node: '/usr/bin/node', daemon: '/homework/x.js' })).toBe('true');
    const r = renderSystemdUnit(UNIT, { node: '/usr/bin/node', daemon: '/home/ann/lk/main.js' });
    expect(directives(r, 'Service').get('ProtectHome')).toEqual(['read-only']);
  });

  it('quotes and escapes paths the way systemd parses ExecStart', () => {
    expect(systemdWord('/usr/bin/node')).toBe('/usr/bin/node');
    expect(systemdWord('/opt/my apps/node')).toBe('"/opt/my apps/node"');
    expect(systemdWord('/opt/100%/x')).toBe('"/opt/100%%/x"');
    expect(systemdWord('/opt/$HOME/x')).toBe('"/opt/$$HOME/x"');
    expect(systemdWord('/opt/a"b\\c')).toBe('"/opt/a\\"b\\\\c"');
  });

  it('refuses relative paths and control characters instead of writing a broken or injected unit', () => {
    expect(() => renderSystemdUnit(UNIT, { node: 'node', daemon: '/x.js' })).toThrow(/absolute/);
    expect(() => renderSystemdUnit(UNIT, { node: '/usr/bin/node', daemon: '/x.js\nExecStartPre=/bin/sh' })).toThrow(/control character/);
    expect(() => renderLaunchdPlist(PLIST, { node: '/usr/bin/node\u0000', daemon: '/x.js' })).toThrow(/control character/);
  });

  it('refuses a template with a placeholder it does not know', () => {
    expect(() => renderSystemdUnit('ExecStart=@NODE@ @OTHER@\n', PATHS)).toThrow(/@OTHER@/);
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  const haveAnalyze = !analyze.error && analyze.status === 0;
  // Under CI=true these run (and fail without systemd-analyze: .ci/run installs it); elsewhere they skip.
  const withAnalyze = haveAnalyze || process.env.CI === 'true' ? it : it.skip;
  if (!haveAnalyze && process.env.CI !== 'true') {
    // eslint-disable-next-line no-console
    console.warn('skipping `systemd-analyze verify/security`: systemd-analyze is not installed (apt-get install systemd)');
  }
  withAnalyze('passes `systemd-analyze verify` once its placeholders are filled, also with paths that need quoting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-unit-'));
    // verify checks that ExecStart's and ExecStartPost's binary exists: use this very node.
    for (const daemon of ['/opt/loopkeeper/dist/daemon/main.js', '/opt/my apps/100%/main.js']) {
      const file = join(dir, 'loopkeeper.service');
      writeFileSync(file, renderSystemdUnit(UNIT, { node: process.execPath, daemon }));
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect({ code: r.status, out: r.stdout + r.stderr }).toEqual({ code: 0, out: '' });
    }
  });

  withAnalyze('is rated at most 2.5 by `systemd-analyze security` (SPEC "Services")', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-unit-'));
    const file = join(dir, 'loopkeeper.service');
    writeFileSync(file, rendered);
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', file], { encoding: 'utf8' });
    const m = /Overall exposure level for loopkeeper\.service: (\d+(?:\.\d+)?)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2.5);
  });
});

// The daemon appends to the log by path (rotation needs no signal): the same file as launchd's.
const LOG_ARGS = ['--log-file', LAUNCHD_LOG];

describe('the launchd plist template', () => {
  it('explains its ProcessType choice, and every log path is the one install rotates', () => {
    expect(PLIST).toMatch(/ProcessType Standard, not Background: Background jobs run with darwinbg CPU and I\/O\s+throttling/);
    const doc = parsePlist(renderLaunchdPlist(PLIST, PATHS)) as { StandardOutPath: string; StandardErrorPath: string };
    expect([doc.StandardOutPath, doc.StandardErrorPath]).toEqual([LAUNCHD_LOG, LAUNCHD_LOG]);
    expect(renderNewsyslogConf(LAUNCHD_LOG)).toContain(`\n${LAUNCHD_LOG}\t`);
  });

  it('is well-formed XML before and after rendering, with paths that need escaping', () => {
    expect(() => parseXml(PLIST)).not.toThrow();
    const r = renderLaunchdPlist(PLIST, { node: '/opt/a&b <x>/node', daemon: "/opt/it's/main.js" });
    expect(parsePlist(r)).toMatchObject({ ProgramArguments: ['/opt/a&b <x>/node', ...NODE_FLAGS, "/opt/it's/main.js", ...LOG_ARGS] });
  });

  it('is a LaunchDaemon that runs at load, stays alive, unthrottled (Standard), and logs to /var/log/loopkeeper.log', () => {
    expect(parsePlist(renderLaunchdPlist(PLIST, PATHS))).toEqual({
      Label: 'dev.loopkeeper.daemon',
      ProgramArguments: [PATHS.node, ...NODE_FLAGS, PATHS.daemon, ...LOG_ARGS],
      RunAtLoad: true,
      KeepAlive: true,
      ProcessType: 'Standard',
      StandardOutPath: '/var/log/loopkeeper.log',
      StandardErrorPath: '/var/log/loopkeeper.log',
    });
  });

  it('escapes every XML special character', () => {
    expect(xmlEscape(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });

  it('the checker itself rejects broken XML', () => {
    expect(() => parseXml('<plist><dict></plist>')).toThrow();
    expect(() => parseXml('<plist><string>a & b</string></plist>')).toThrow(/entity/);
    expect(() => parsePlist('<plist><dict><key>a</key></dict></plist>')).toThrow(/alternate/);
    expect(() => parseXml('<plist><!-- a -- b --></plist>')).toThrow(/--/);
  });
});

describe('packageRoot', () => {
  it('is the parent of the nearest dist/ or src/, at any depth the bundles put this module', () => {
    expect(packageRoot('/opt/lk/node_modules/loopkeeper/dist/service')).toBe('/opt/lk/node_modules/loopkeeper');
    expect(packageRoot('/opt/lk/node_modules/loopkeeper/dist/cli/commands')).toBe('/opt/lk/node_modules/loopkeeper');
    expect(packageRoot('/opt/lk/node_modules/loopkeeper/dist/cli')).toBe('/opt/lk/node_modules/loopkeeper');
    expect(packageRoot('/home/dist/loopkeeper/dist/daemon')).toBe('/home/dist/loopkeeper');
    expect(packageRoot(join(__dirname, '..', '..', '..', 'src', 'service'))).toBe(join(__dirname, '..', '..', '..'));
    expect(packageRoot()).toBe(join(__dirname, '..', '..', '..'));
  });
});
