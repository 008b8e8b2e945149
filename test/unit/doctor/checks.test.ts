import { checkAliasesLost } from '../../../src/doctor/checks/aliases-lost';
import { checkAliasesBindable } from '../../../src/doctor/checks/aliases-bindable';
import { judgeConfig as checkConfig } from '../../../src/doctor/checks/config';
import { check as daemonCheck } from '../../../src/doctor/checks/daemon';
import { check as ephemeralCheck } from '../../../src/doctor/checks/ephemeral-ports';
import { parsePortRange } from '../../../src/doctor/parse/port-range';
import { requireProfile } from '../../../src/platform/profiles';

const LINUX_PORT_RANGE_FILE = (requireProfile('linux').doctor.portRange as { file: string }).file;
const DARWIN_SYSCTL_ARGV = (requireProfile('darwin').doctor.portRange as { argv: string[] }).argv;
import { checkHostsFlags } from '../../../src/doctor/checks/hosts-flags';
import { checkHostsShadowed } from '../../../src/doctor/checks/hosts-shadowed';
import { checkHostsSymlink } from '../../../src/doctor/checks/hosts-symlink';
import { parseLsFlags } from '../../../src/doctor/parse/ls-flags';
import { checkHostsResolve, judgeResolution } from '../../../src/doctor/checks/hosts-resolve';
import { checkLocalhost } from '../../../src/doctor/checks/localhost';
import type { DoctorSeams } from '../../../src/doctor/types';
import { desired, errno, fakeContext, fakeSeams } from './fakes';
import { cliHint } from '../../../src/cli/hint';

/** The daemon check as `runDoctor` runs it, at `socket`. */
function checkDaemon(seams: DoctorSeams, socket: string) {
  return daemonCheck.run(fakeContextOf(seams, { socket })) as Promise<import('../../../src/doctor/types').CheckResult>;
}

function fakeContextOf(seams: DoctorSeams, input: Partial<import('../../../src/doctor/types').DoctorInput> = {}) {
  return fakeContext(seams, input);
}

async function checkEphemeralPorts(seams: DoctorSeams, platform: NodeJS.Platform, aliases: string[]) {
  const ctx = fakeContext({ ...seams, loadConfig: async () => ({ files: ['a'], desired: desired({ aliases }), diagnostics: [] }) }, { platform });
  return (await ephemeralCheck.run(ctx)) as import('../../../src/doctor/types').CheckResult;
}

describe('config check', () => {
  it('passes a valid config and names its files', () => {
    const r = checkConfig({ files: ['/etc/loopkeeper/loopkeeper.yaml'], desired: desired({ aliases: ['127.0.0.2'] }), diagnostics: [] });
    expect(r).toMatchObject({ id: 'config', status: 'ok', detail: '1 file valid (1 alias, 0 host names): /etc/loopkeeper/loopkeeper.yaml' });
  });

  it('fails on unsafe permissions (a strict-modes error) and shows the fix the loader gives', () => {
    const r = checkConfig({
      files: ['/etc/loopkeeper/loopkeeper.yaml'],
      desired: null,
      diagnostics: [{ file: '/etc/loopkeeper/loopkeeper.yaml', line: 1, col: 1, severity: 'error', message: 'writable by others; fix: chmod go-w /etc/loopkeeper/loopkeeper.yaml' }],
    });
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('/etc/loopkeeper/loopkeeper.yaml:1:1: writable by others; fix: chmod go-w');
  });

  it('warns on warnings only, and caps a flood of errors to a readable page', () => {
    expect(checkConfig({ files: ['a'], desired: desired(), diagnostics: [{ file: 'a', line: 2, col: 3, severity: 'warning', message: 'x.local' }] }).status).toBe('warn');
    const many = Array.from({ length: 5000 }, (_, i) => ({ file: 'a', line: i + 1, col: 1, severity: 'error' as const, message: 'bad' }));
    const r = checkConfig({ files: ['a'], desired: null, diagnostics: many });
    expect(r.detail.split('\n')).toHaveLength(12);
    expect(r.detail).toContain('… and 4,990 more');
  });
});

describe('daemon check', () => {
  const gone = (code: string) => ({ health: () => Promise.reject(errno(code)) });
  const config = (d: ReturnType<typeof desired> | null) => ({ loadConfig: async () => ({ files: ['a.yaml'], desired: d, diagnostics: [] }) });

  it('ok when /v1/health answers 200; warn on 503', async () => {
    expect((await checkDaemon(fakeSeams(), '/run/x.sock')).status).toBe('ok');
    const w = await checkDaemon(fakeSeams({ health: async () => ({ status: 503, body: '' }) }), '/run/x.sock');
    expect(w).toMatchObject({ status: 'warn', detail: 'answers on /run/x.sock, but the last reconcile did not converge' });
  });

  it('not running while the machine matches the config: a warning (SPEC), saying nothing repairs drift', async () => {
    for (const code of ['ENOENT', 'ECONNREFUSED']) {
      const r = await checkDaemon(fakeSeams({ ...gone(code), ...config(desired({ aliases: ['127.0.0.2'] })) }), '/run/x.sock');
      expect(r).toMatchObject({ status: 'warn', detail: 'not running: nothing listens on /run/x.sock; the machine matches the config now, but nothing repairs drift' });
      expect(r.hints?.[0]).toContain(`\`${cliHint('install', { sudo: true })}\` runs it as a service`);
    }
  });

  it('not running and something desired is missing: a problem, with what is missing', async () => {
    const seams = fakeSeams({
      ...gone('ENOENT'),
      ...config(desired({ aliases: ['127.0.0.2', '127.0.0.3'] })),
      planMachine: async () => ({
        aliases: [
          { address: '127.0.0.2', state: 'present', owned: true, desired: true },
          { address: '127.0.0.3', state: 'missing', owned: false, desired: true },
          { address: '127.0.0.9', state: 'present', owned: true, desired: false },
        ],
        hosts: [
          { name: 'a.test', addresses: ['127.0.0.2'], state: 'missing', detail: 'not in the managed block' },
          { name: 'b.test', addresses: ['127.0.0.2'], state: 'shadowed', detail: 'line 3' },
        ],
        changes: [],
        problems: [],
      }),
    });
    const r = await checkDaemon(seams, '/run/x.sock');
    expect(r).toMatchObject({
      status: 'fail',
      detail: 'not running: nothing listens on /run/x.sock, and the machine does not match the config: 1 desired alias missing, 1 host name not in the managed block',
      data: { missing: { aliases: 1, hosts: 1 } },
    });
  });

  it('not running without a usable config: a warning that says it cannot judge (the config check fails)', async () => {
    const r = await checkDaemon(fakeSeams({ ...gone('ENOENT'), ...config(null) }), '/run/x.sock');
    expect(r).toMatchObject({ status: 'warn', detail: 'not running: nothing listens on /run/x.sock; whether the machine matches the config cannot be judged: there is no valid config' });
    const broken = await checkDaemon(fakeSeams({ ...gone('ENOENT'), planMachine: () => Promise.reject(new Error('boom')) }), '/run/x.sock');
    expect(broken.detail).toMatch(/cannot be judged: planning failed \(boom\)$/);
  });

  it('on macOS says that lo0 loses its aliases at the next reboot', async () => {
    const r = (await daemonCheck.run(fakeContext(gone('ENOENT'), { platform: 'darwin', socket: '/var/run/loopkeeper.sock' }))) as { detail: string };
    expect(r.detail).toMatch(/nothing repairs drift, and lo0 loses its aliases at the next reboot$/);
  });

  it('fails when something is there but does not answer as it should', async () => {
    for (const [code, text] of [
      ['EACCES', 'cannot connect to /run/x.sock: permission denied'],
      ['ETIMEDOUT', '/run/x.sock did not answer within 1 s'],
    ]) {
      const f = await checkDaemon(fakeSeams(gone(code!)), '/run/x.sock');
      expect(f).toMatchObject({ status: 'fail', detail: text });
    }
  });
});

describe('aliases bindable', () => {
  it('binds every desired alias; names each one that fails and why', async () => {
    const tried: string[] = [];
    const seams = fakeSeams({
      bind: async (a) => {
        tried.push(a);
        if (a === '127.0.0.3') throw errno('EADDRNOTAVAIL');
      },
    });
    const r = await checkAliasesBindable(seams, ['127.0.0.2', '127.0.0.3', 'fd00::2']);
    expect(tried.sort()).toEqual(['127.0.0.2', '127.0.0.3', 'fd00::2']);
    expect(r.status).toBe('fail');
    expect(r.detail).toBe('1 of 3 desired aliases cannot be bound:\n127.0.0.3: EADDRNOTAVAIL (not on any interface)');
  });

  it('ok with nothing desired, and never has more than 16 binds in flight at 65,536 aliases', async () => {
    expect((await checkAliasesBindable(fakeSeams(), [])).detail).toBe('no aliases desired');
    let inFlight = 0;
    let peak = 0;
    const seams = fakeSeams({
      bind: async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
      },
    });
    const many = Array.from({ length: 65536 }, (_, i) => `127.1.${i >> 8}.${i & 255}`);
    const r = await checkAliasesBindable(seams, many);
    expect(r).toMatchObject({ status: 'ok', detail: 'all 65,536 desired aliases bind' });
    expect(peak).toBe(16);
  });
});

describe('hosts resolve', () => {
  it('judges the resolver answer against the desired order', () => {
    const v = (d: string[], r: string[]) => judgeResolution(d, r).verdict;
    expect(v(['127.0.0.3', 'fd00::2'], ['127.0.0.3', 'fd00::2'])).toBe('ok');
    // glibc's default table puts ULA before IPv4: the README's own example comes back reversed.
    expect(judgeResolution(['127.0.0.3', 'fd00::2'], ['fd00::2', '127.0.0.3'])).toEqual({ verdict: 'sorted', sortedBy: 'glibc' });
    // RFC 6724's table puts IPv4 before ULA.
    expect(judgeResolution(['fd00::2', '127.0.0.3'], ['127.0.0.3', 'fd00::2'])).toEqual({ verdict: 'sorted', sortedBy: 'rfc6724' });
    // No sorting rule orders two loopback IPv4 addresses: that reorder is not the resolver's doing.
    expect(v(['127.0.0.2', '127.0.0.3'], ['127.0.0.3', '127.0.0.2'])).toBe('order');
    expect(v(['127.0.0.3', 'fd00::2'], ['127.0.0.3'])).toBe('partial');
    expect(v(['127.0.0.2'], ['10.0.0.5', '127.0.0.2'])).toBe('wrong');
    expect(v(['127.0.0.2'], [])).toBe('unresolved');
  });

  it('ok when every name resolves as desired (duplicates from getaddrinfo folded, IPv6 canonicalised)', async () => {
    const seams = fakeSeams({ lookup: async (n) => (n === 'web.test' ? ['127.0.0.3', '127.0.0.3', 'FD00:0::2'] : ['127.0.0.2']) });
    const r = await checkHostsResolve(seams, [
      { name: 'api.test', addresses: ['127.0.0.2'] },
      { name: 'web.test', addresses: ['127.0.0.3', 'fd00::2'] },
    ]);
    expect(r).toMatchObject({ status: 'ok', detail: 'all 2 host names resolve to the desired addresses in order' });
  });

  it('fails on a name that does not resolve or resolves elsewhere first; warns on order only', async () => {
    const answers: Record<string, string[] | Error> = {
      'gone.test': errno('ENOTFOUND'),
      'shadow.test': ['10.1.2.3'],
      'order.test': ['127.0.0.4', '127.0.0.3'],
    };
    const seams = fakeSeams({
      lookup: async (n) => {
        const a = answers[n];
        if (a instanceof Error) throw a;
        return a ?? [];
      },
    });
    const fail = await checkHostsResolve(seams, [
      { name: 'gone.test', addresses: ['127.0.0.2'] },
      { name: 'shadow.test', addresses: ['127.0.0.2'] },
    ]);
    expect(fail.status).toBe('fail');
    expect(fail.detail).toContain('gone.test: resolves to nothing (ENOTFOUND); desired 127.0.0.2');
    expect(fail.detail).toContain('shadow.test: resolves to 10.1.2.3; desired 127.0.0.2');
    const warn = await checkHostsResolve(seams, [{ name: 'order.test', addresses: ['127.0.0.3', '127.0.0.4'] }]);
    expect(warn.status).toBe('warn');
    expect(warn.hints?.join(' ')).toMatch(/RFC 6724/);
  });

  it('points at another hosts line or DNS when an undeclared address comes second', async () => {
    const r = await checkHostsResolve(fakeSeams({ lookup: async () => ['127.0.0.3', '10.9.9.9'] }), [{ name: 'x.test', addresses: ['127.0.0.3'] }]);
    expect(r.status).toBe('warn');
    expect(r.hints).toEqual(['an address the config does not declare comes from another line of the hosts file or from DNS']);
  });

  it('does not hang the whole check on one slow name: each lookup is independent', async () => {
    const seams = fakeSeams({ lookup: (n) => (n === 'slow.test' ? Promise.reject(errno('ETIMEDOUT')) : Promise.resolve(['127.0.0.2'])) });
    const r = await checkHostsResolve(seams, [
      { name: 'slow.test', addresses: ['127.0.0.2'] },
      { name: 'ok.test', addresses: ['127.0.0.2'] },
    ]);
    expect(r.detail).toBe('1 of 2 host names resolves differently:\nslow.test: resolves to nothing (ETIMEDOUT); desired 127.0.0.2');
  });

  it("is ok, with a note, on the README's dual-stack example that the resolver sorts fd00::2 first", async () => {
    const seams = fakeSeams({ lookup: async (n) => (n === 'web.myteam.test' ? ['fd00::2', '127.0.0.3'] : ['127.0.0.2']) });
    const r = await checkHostsResolve(seams, [
      { name: 'api.myteam.test', addresses: ['127.0.0.2'] },
      { name: 'web.myteam.test', addresses: ['127.0.0.3', 'fd00::2'] },
    ]);
    expect(r.status).toBe('ok');
    expect(r.detail).toBe("all 2 host names resolve to the desired addresses; 1 in the resolver's sorted order rather than the declared one");
    expect(r.hints).toHaveLength(1);
    expect(r.hints![0]).toMatch(/^web\.myteam\.test resolves to fd00::2, 127\.0\.0\.3 \(declared 127\.0\.0\.3, fd00::2\): the resolver sorts .*RFC 6724.*glibc's default table.*clients try fd00::2 first$/);
    expect((r.data as { hosts: { verdict: string }[] }).hosts.map((h) => h.verdict)).toEqual(['ok', 'sorted']);
  });
});

describe('localhost', () => {
  it('lists the order and notes ::1 before 127.0.0.1', async () => {
    const r = await checkLocalhost(fakeSeams({ lookup: async () => ['::1', '127.0.0.1'] }));
    expect(r).toMatchObject({ status: 'ok', detail: 'localhost → ::1, 127.0.0.1' });
    expect(r.hints?.[0]).toMatch(/::1 comes first/);
    const plain = await checkLocalhost(fakeSeams({ lookup: async () => ['127.0.0.1', '::1'] }));
    expect(plain.hints).toBeUndefined();
  });

  it('fails when localhost does not resolve or leaves the machine', async () => {
    expect((await checkLocalhost(fakeSeams({ lookup: () => Promise.reject(errno('ENOTFOUND')) }))).status).toBe('fail');
    const r = await checkLocalhost(fakeSeams({ lookup: async () => ['127.0.0.1', '192.168.1.5'] }));
    expect(r).toMatchObject({ status: 'fail', detail: 'localhost → 127.0.0.1, 192.168.1.5: 192.168.1.5 is not a loopback address' });
  });
});

describe('ephemeral ports', () => {
  it('parses the Linux file and macOS sysctl output', () => {
    expect(parsePortRange('32768\t60999\n')).toEqual({ first: 32768, last: 60999 });
    expect(parsePortRange('49152\n65535\n')).toEqual({ first: 49152, last: 65535 });
  });

  it.each([
    ['', 'empty'],
    ['32768', 'one number'],
    ['60999 32768', 'reversed'],
    ['0 100', 'port 0'],
    ['1 70000', 'beyond 65535'],
    ['1 2 3', 'three numbers'],
    ['-1 5', 'negative'],
    ['0x10 0x20', 'hex'],
    ['1'.repeat(100000) + ' 2', 'huge'],
    [' '.repeat(100000) + '1 2', 'huge whitespace'],
    ['32768\u000060999', 'NUL'],
  ])('refuses %j (%s)', (text) => {
    expect(parsePortRange(text)).toBeNull();
  });

  it('multiplies the range by the source addresses of each family', async () => {
    const seams = fakeSeams({ readFile: async (p) => (p === LINUX_PORT_RANGE_FILE ? Buffer.from('32768\t60999\n') : Buffer.alloc(0)) });
    const r = await checkEphemeralPorts(seams, 'linux', ['127.0.0.2', '127.0.0.3', 'fd00::2']);
    expect(r.status).toBe('ok');
    expect(r.data).toEqual({
      first: 32768,
      last: 60999,
      size: 28232,
      sourceAddresses: { ipv4: 3, ipv6: 2 },
      perDestination: { ipv4: 84696, ipv6: 56464 },
    });
    expect(r.detail).toContain('= 84,696 concurrent connections to one IPv4 destination');
  });

  it('asks sysctl on macOS (argv, no shell)', async () => {
    const calls: string[][] = [];
    const seams = fakeSeams({ runner: { run: async (argv) => (calls.push([...argv]), { argv, code: 0, signal: null, stdout: '49152\n65535\n', stderr: '' }) } });
    const r = await checkEphemeralPorts(seams, 'darwin', []);
    expect(calls).toEqual([DARWIN_SYSCTL_ARGV]);
    expect(r.data).toMatchObject({ size: 16384, perDestination: { ipv4: 16384 } });
  });

  it('warns (never crashes) on an unreadable or unparsable range, and on a tiny one', async () => {
    expect((await checkEphemeralPorts(fakeSeams({ readFile: () => Promise.reject(errno('ENOENT', 'no such file')) }), 'linux', [])).status).toBe('warn');
    const garbage = await checkEphemeralPorts(fakeSeams({ readFile: async () => Buffer.from('\u001b[31mnope') }), 'linux', []);
    expect(garbage.status).toBe('warn');
    expect(garbage.detail).toContain('cannot parse the ephemeral port range from /proc/sys/net/ipv4/ip_local_port_range');
    const tiny = await checkEphemeralPorts(fakeSeams({ readFile: async () => Buffer.from('60000 60999') }), 'linux', []);
    expect(tiny.status).toBe('warn');
    const sysctlFails = fakeSeams({ runner: { run: async (argv) => ({ argv, code: 1, signal: null, stdout: '', stderr: 'unknown oid' }) } });
    expect((await checkEphemeralPorts(sysctlFails, 'darwin', [])).status).toBe('warn');
    expect((await checkEphemeralPorts(fakeSeams(), 'win32', [])).status).toBe('skip');
  });
});

describe('hosts file: shadowed names and a damaged block', () => {
  it('fails for each desired name an earlier line maps elsewhere', async () => {
    const seams = fakeSeams({
      planHosts: () => ({
        entries: [
          { name: 'api.test', addresses: ['127.0.0.2'], state: 'shadowed', detail: 'line 3 maps it to 10.0.0.1 first' },
          { name: 'web.test', addresses: ['127.0.0.3'], state: 'present', detail: '' },
        ],
        damage: null,
      }),
    });
    const r = await checkHostsShadowed(seams, '/etc/hosts', [{ name: 'api.test', addresses: ['127.0.0.2'] }]);
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('api.test: line 3 maps it to 10.0.0.1 first');
    expect(r.detail).not.toContain('web.test');
  });

  it('fails on a damaged block with its line numbers, and on an unreadable file', async () => {
    const damaged = fakeSeams({ planHosts: () => ({ entries: [], damage: { message: 'BEGIN without END', lines: [7] } }) });
    expect((await checkHostsShadowed(damaged, '/etc/hosts', [])).detail).toBe('/etc/hosts: BEGIN without END (line 7)');
    const two = fakeSeams({ planHosts: () => ({ entries: [], damage: { message: 'two BEGIN markers', lines: [3, 9] } }) });
    expect((await checkHostsShadowed(two, '/etc/hosts', [])).detail).toBe('/etc/hosts: two BEGIN markers (lines 3 and 9)');
    const unreadable = fakeSeams({ readFile: () => Promise.reject(errno('EACCES')) });
    expect(await checkHostsShadowed(unreadable, '/etc/hosts', [])).toMatchObject({ status: 'fail', detail: 'cannot read /etc/hosts: EACCES' });
  });

  it('passes the file bytes and the desired hosts to the planner', async () => {
    let seen: [string, unknown] | null = null;
    const seams = fakeSeams({
      readFile: async () => Buffer.from('\ufeff127.0.0.1 localhost\r\n'),
      planHosts: (c, d) => ((seen = [c.toString('utf8'), d]), { entries: [], damage: null }),
    });
    await checkHostsShadowed(seams, '/etc/hosts', [{ name: 'a.test', addresses: ['127.0.0.2'] }]);
    expect(seen).toEqual(['\ufeff127.0.0.1 localhost\r\n', [{ name: 'a.test', addresses: ['127.0.0.2'] }]]);
  });
});

describe('macOS: symlinked hosts file, file flags, aliases lost since boot', () => {
  it('fails on a symlinked hosts file', async () => {
    expect((await checkHostsSymlink(fakeSeams(), '/etc/hosts')).status).toBe('ok');
    const r = await checkHostsSymlink(fakeSeams({ symlinkTarget: async () => '/Users/me/hosts' }), '/etc/hosts');
    expect(r).toMatchObject({ status: 'fail', detail: '/etc/hosts is a symlink to /Users/me/hosts: macOS\'s resolver ignores a symlinked hosts file' });
  });

  it('parses the flags column of ls -lO', () => {
    expect(parseLsFlags('-rw-r--r--  1 root  wheel  - 213 Jan  1 00:00 /etc/hosts\n')).toEqual([]);
    expect(parseLsFlags('-rw-r--r--@ 1 root  wheel  uchg,hidden 213 Jan  1 00:00 /etc/hosts\n')).toEqual(['uchg', 'hidden']);
    expect(parseLsFlags('-rw-r--r--  1 root  wheel  schg 213 Jan  1 00:00 /etc/hosts')).toEqual(['schg']);
  });

  it.each([
    ['', 'empty'],
    ['ls: /etc/hosts: No such file or directory', 'an error'],
    ['-rw-r--r-- 1 root wheel', 'too few fields'],
    ['hello world this is not ls output at all', 'prose'],
    ['-rw-r--r--  1 root  wheel  \u001b[31m 213 Jan 1 00:00 /etc/hosts', 'escape codes'],
    ['-'.repeat(100000), 'huge'],
  ])('refuses %j (%s)', (text) => {
    expect(parseLsFlags(text)).toBeNull();
  });

  it('fails on uchg with the chflags that fixes it; warns when ls cannot tell', async () => {
    const argvSeen: string[][] = [];
    const seams = fakeSeams({
      runner: { run: async (argv) => (argvSeen.push([...argv]), { argv, code: 0, signal: null, stdout: '-rw-r--r--  1 root  wheel  uchg 213 Jan  1 00:00 /etc/hosts\n', stderr: '' }) },
    });
    const r = await checkHostsFlags(seams, '/etc/hosts');
    expect(argvSeen).toEqual([['/bin/ls', '-lO', '/etc/hosts']]);
    expect(r).toMatchObject({ status: 'fail', hints: ['sudo chflags nouchg /etc/hosts'] });
    const odd = fakeSeams({ runner: { run: async (argv) => ({ argv, code: 0, signal: null, stdout: 'garbage', stderr: '' }) } });
    expect((await checkHostsFlags(odd, '/etc/hosts')).status).toBe('warn');
  });

  it('reports desired aliases missing from lo0 and whether the daemon could restore them', () => {
    const seams = fakeSeams({ interfaceAddresses: () => ['127.0.0.1', '::1', '127.0.0.2'], uptime: () => 7200 });
    const r = checkAliasesLost(seams, 'lo0', ['127.0.0.2', '127.0.0.3'], false);
    expect(r.status).toBe('fail');
    expect(r.detail).toBe('1 of 2 desired aliases missing from lo0 (booted 2 h ago; lo0 aliases do not survive a reboot):\n127.0.0.3');
    expect(r.hints?.[0]).toContain(`\`${cliHint('install', { sudo: true })}\``);
    expect(checkAliasesLost(seams, 'lo0', ['127.0.0.2'], true).status).toBe('ok');
    expect(checkAliasesLost(fakeSeams({ interfaceAddresses: () => null }), 'lo9', [], true).status).toBe('fail');
  });
});
