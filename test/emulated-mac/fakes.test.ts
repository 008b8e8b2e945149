// The fakes of the emulated Mac answer as Apple's tools do for what loopkeeper uses, and fail
// loudly (exit 64, "not modelled") for everything else: a test can never pass on behaviour nobody
// checked. Plus the fake launchd's strict plist reader, which needs no machine.
import { EmulatedMac, LINUX_ONLY_PATHS, LINUX_TOOLS_INSIDE, builtRepo, describeOnEmulatedMac } from '../helpers/fake-mac/machine';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parsePlist } = require('../helpers/fake-mac/lib/plist') as { parsePlist(xml: string): unknown };

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';
const plist = (body: string) => `${HEAD}<plist version="1.0">\n${body}\n</plist>\n`;
const job = (label: string, extra = '', program = '/usr/bin/sleep</string><string>infinity') =>
  plist(`<dict><key>Label</key><string>${label}</string><key>ProgramArguments</key><array><string>${program}</string></array><key>RunAtLoad</key><true/>${extra}</dict>`);

describe("the fake launchd's plist reader", () => {
  it('reads every plist(5) type', () => {
    expect(
      parsePlist(
        plist(
          '<dict><key>s</key><string>a &amp; &lt;b&gt; &#x41;&#66;</string><key>i</key><integer>-12</integer><key>r</key><real>1.5</real>' +
            '<key>t</key><true/><key>f</key><false/><key>a</key><array><string>x</string></array><key>d</key><dict/>' +
            '<key>b</key><data>aGk=</data><key>when</key><date>2026-01-02T03:04:05Z</date></dict>',
        ),
      ),
    ).toEqual({ s: 'a & <b> AB', i: -12, r: 1.5, t: true, f: false, a: ['x'], d: {}, b: Buffer.from('hi'), when: new Date('2026-01-02T03:04:05Z') });
  });

  it.each([
    ['a key without a value', plist('<dict><key>a</key></dict>')],
    ['a duplicate key', plist('<dict><key>a</key><true/><key>a</key><false/></dict>')],
    ['an unknown element', plist('<dict><key>a</key><bool>yes</bool></dict>')],
    ['text in a dict', plist('<dict>stray<key>a</key><true/></dict>')],
    ['a bare ampersand', plist('<string>a & b</string>')],
    ['an unknown entity', plist('<string>&nbsp;</string>')],
    ['mismatched tags', plist('<dict></array>')],
    ['"--" in a comment', `${HEAD}<!-- a -- b --><plist version="1.0"><true/></plist>`],
    ['another DOCTYPE', '<?xml version="1.0"?><!DOCTYPE plist SYSTEM "x.dtd"><plist version="1.0"><true/></plist>'],
    ['no plist version', `${HEAD}<plist><true/></plist>`],
    ['two values', plist('<true/><false/>')],
    ['a bad integer', plist('<integer>1e3</integer>')],
    ['an unclosed element', `${HEAD}<plist version="1.0"><dict>`],
    ['not XML at all', 'bplist00\u0000\u0001'],
  ])('refuses %s', (_what, xml) => {
    expect(() => parsePlist(xml)).toThrow();
  });
});

describeOnEmulatedMac('the fakes of the emulated Mac', () => {
  let mac: EmulatedMac;
  beforeAll(async () => {
    mac = await EmulatedMac.create({ repo: builtRepo() });
    await mac.start();
  });
  afterAll(async () => {
    await mac?.destroy();
  });

  const run = (...argv: string[]) => mac.exec(argv);
  const asUser = (...argv: string[]) => mac.exec([`${LINUX_TOOLS_INSIDE}/setpriv`, '--reuid=501', '--regid=20', '--clear-groups', ...argv]);
  const notModelled = (r: { code: number | null; stderr: string }) => {
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/not modelled/);
  };

  it('ifconfig: Apple\'s answers for adds, removals and mistakes', () => {
    expect(run('/sbin/ifconfig', 'lo0', 'alias', '127.0.0.9', 'netmask', '255.255.255.255')).toEqual({ code: 0, stdout: '', stderr: '' });
    // The macOS fact behind loopkeeper's ownership rule: the same add again is a silent success.
    expect(run('/sbin/ifconfig', 'lo0', 'alias', '127.0.0.9', 'netmask', '255.255.255.255')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(run('/sbin/ifconfig', 'lo0', '-alias', '127.0.0.9').code).toBe(0);
    expect(run('/sbin/ifconfig', 'lo0', '-alias', '127.0.0.9')).toEqual({ code: 1, stdout: '', stderr: "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address\n" });
    expect(run('/sbin/ifconfig', 'lo0', 'inet6', '-alias', 'fd00::9')).toMatchObject({ code: 1, stderr: "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address\n" });
    expect(run('/sbin/ifconfig', 'lo0', 'alias', 'fd00::9')).toMatchObject({ code: 1, stderr: 'ifconfig: fd00::9: bad value\n' });
    expect(run('/sbin/ifconfig', 'lo0', 'inet6', 'alias', 'fd00::9', 'prefixlen', '129')).toMatchObject({ code: 1, stderr: 'ifconfig: 129: bad value\n' });
    expect(run('/sbin/ifconfig', 'lo7')).toMatchObject({ code: 1, stderr: 'ifconfig: interface lo7 does not exist\n' });
    expect(asUser('/sbin/ifconfig', 'lo0', 'alias', '127.0.0.9', 'netmask', '255.255.255.255')).toMatchObject({
      code: 1,
      stderr: 'ifconfig: ioctl (SIOCAIFADDR): permission denied\n',
    });
    notModelled(run('/sbin/ifconfig', 'lo0', '127.0.0.9')); // would replace lo0's first address
    notModelled(run('/sbin/ifconfig', 'lo0', 'alias', '127.1'));
    notModelled(run('/sbin/ifconfig', '-a'));
    notModelled(run('/sbin/ifconfig', 'lo0', 'alias', '127.0.0.9', 'broadcast', '127.255.255.255'));
    expect(mac.lo0()).not.toContain('127.0.0.9');
  });

  it('ifconfig down/up: the flags say so, and lo0 keeps its addresses (as on macOS)', () => {
    expect(run('/sbin/ifconfig', 'lo0', 'inet6', 'alias', 'fd00::9', 'prefixlen', '128').code).toBe(0);
    expect(run('/sbin/ifconfig', 'lo0', 'down').code).toBe(0);
    expect(run('/sbin/ifconfig', 'lo0').stdout).toMatch(/^lo0: flags=8008<LOOPBACK,MULTICAST> mtu 16384\n/);
    expect(run('/sbin/ifconfig', 'lo0', 'up').code).toBe(0);
    const shown = run('/sbin/ifconfig', 'lo0').stdout;
    expect(shown).toMatch(/^lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384\n/);
    expect(shown).toContain('\tinet6 fd00::9 prefixlen 128\n');
    expect(run('/sbin/ifconfig', 'lo0', 'inet6', '-alias', 'fd00::9').code).toBe(0);
  });

  it("launchctl: launchd's exit codes, the asynchronous bootout, and loud failures for the rest", () => {
    expect(run('/bin/launchctl', 'print', 'system/com.example.nope')).toEqual({ code: 113, stdout: '', stderr: 'Could not find service "com.example.nope" in domain for system\n' });
    expect(run('/bin/launchctl', 'bootout', 'system/com.example.nope')).toEqual({ code: 3, stdout: '', stderr: 'Boot-out failed: 3: No such process\n' });
    // A job that ignores SIGTERM (ExitTimeOut long): bootout returns at once, and launchd still lists it.
    const stubborn = job('com.example.stubborn', '<key>ExitTimeOut</key><integer>600</integer>', "/usr/bin/sh</string><string>-c</string><string>trap '' TERM; sleep 1000 &amp; wait; wait");
    mac.writeFile('/Library/LaunchDaemons/com.example.stubborn.plist', stubborn);
    expect(run('/bin/launchctl', 'bootstrap', 'system', '/Library/LaunchDaemons/com.example.stubborn.plist')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(run('/bin/launchctl', 'bootstrap', 'system', '/Library/LaunchDaemons/com.example.stubborn.plist')).toMatchObject({ code: 5, stderr: 'Bootstrap failed: 5: Input/output error\n' });
    expect(run('/bin/launchctl', 'bootout', 'system/com.example.stubborn')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(run('/bin/launchctl', 'print', 'system/com.example.stubborn').code).toBe(0);
    expect(run('/bin/launchctl', 'bootstrap', 'system', '/Library/LaunchDaemons/com.example.stubborn.plist')).toMatchObject({ code: 37, stderr: 'Bootstrap failed: 37: Operation already in progress\n' });
    expect(run('/bin/launchctl', 'bootout', 'system/com.example.stubborn')).toMatchObject({ code: 37 });
    // Done with it: what launchd would do after ExitTimeOut, now (by its pid).
    const pid = /\tpid = (\d+)\n/.exec(run('/bin/launchctl', 'print', 'system/com.example.stubborn').stdout)![1]!;
    mac.ok(['kill', '-KILL', pid]);

    // A program that is not there: loaded, not running, last exit code 78.
    mac.writeFile('/Library/LaunchDaemons/com.example.gone.plist', job('com.example.gone', '', '/opt/homebrew/Cellar/node/1.0.0/bin/node'));
    expect(run('/bin/launchctl', 'bootstrap', 'system', '/Library/LaunchDaemons/com.example.gone.plist').code).toBe(0);
    expect(run('/bin/launchctl', 'print', 'system/com.example.gone').stdout).toMatch(/\tlast exit code = 78: EX_CONFIG\n/);

    // A plist others could have written is refused; one the fake cannot judge fails loudly.
    mac.writeFile('/Library/LaunchDaemons/com.example.loose.plist', job('com.example.loose'), '0664');
    expect(run('/bin/launchctl', 'bootstrap', 'system', '/Library/LaunchDaemons/com.example.loose.plist')).toMatchObject({ code: 5 });
    mac.writeFile('/Library/LaunchDaemons/com.example.user.plist', job('com.example.user', '<key>UserName</key><string>nobody</string>'));
    notModelled(run('/bin/launchctl', 'bootstrap', 'system', '/Library/LaunchDaemons/com.example.user.plist'));
    mac.writeFile('/Library/LaunchDaemons/com.example.broken.plist', '<plist><dict><key>Label</key></dict>');
    notModelled(run('/bin/launchctl', 'bootstrap', 'system', '/Library/LaunchDaemons/com.example.broken.plist'));
    notModelled(run('/bin/launchctl', 'load', '/Library/LaunchDaemons/com.example.gone.plist'));
    notModelled(run('/bin/launchctl', 'print', 'system'));
    notModelled(run('/bin/launchctl', 'bootstrap', 'gui/501', '/Library/LaunchDaemons/com.example.gone.plist'));
    notModelled(run('/bin/launchctl', 'disable', 'system/com.example.gone'));
    notModelled(asUser('/bin/launchctl', 'bootout', 'system/com.example.gone'));
    for (const l of ['gone', 'loose', 'user', 'broken']) mac.ok(['rm', `/Library/LaunchDaemons/com.example.${l}.plist`]);
  });

  it("Linux's own programs are not there (as on a Mac): code that would reach for flock, setpriv, ip or systemctl finds nothing", () => {
    const present = LINUX_ONLY_PATHS.filter((p) => mac.exists(p));
    expect(present).toEqual([]);
    expect(run('sh', '-c', 'command -v flock ip setpriv systemctl getent').stdout).toBe('');
    // The fakes' own copies live apart, outside PATH.
    expect(mac.exists(`${LINUX_TOOLS_INSIDE}/ip`)).toBe(true);
  });

  it('the other tools: what loopkeeper asks works, everything else fails loudly', () => {
    expect(run('/usr/bin/dscacheutil', '-flushcache')).toEqual({ code: 0, stdout: '', stderr: '' });
    notModelled(run('/usr/bin/dscacheutil', '-q', 'host', '-a', 'name', 'x'));
    expect(run('/usr/bin/killall', '-HUP', 'nosuchdaemon')).toEqual({ code: 1, stdout: '', stderr: 'No matching processes belonging to you were found\n' });
    notModelled(run('/usr/bin/killall', 'mDNSResponder'));
    expect(run('/usr/sbin/sysctl', '-n', 'net.inet.ip.portrange.first', 'net.inet.ip.portrange.last').stdout).toBe('49152\n65535\n');
    expect(run('/usr/sbin/sysctl', 'net.inet.ip.portrange.first').stdout).toBe('net.inet.ip.portrange.first: 49152\n');
    notModelled(run('/usr/sbin/sysctl', 'kern.boottime'));
    notModelled(run('/usr/sbin/sysctl', '-w', 'net.inet.ip.portrange.first=1024'));
    expect(run('/usr/sbin/lsof', '-nP', '-iTCP:9', '-sTCP:LISTEN', '-F', 'pcn')).toEqual({ code: 1, stdout: '', stderr: '' });
    notModelled(run('/usr/sbin/lsof', '-iTCP:9', '-sTCP:LISTEN', '-F', 'pcn'));
    notModelled(run('/usr/sbin/lsof', '-nP', '-i', ':9'));
    notModelled(run('/usr/sbin/lsof', '-nP', '-iTCP:9', '-F', 'pcn'));
    expect(run('/usr/sbin/netstat', '-an', '-p', 'tcp').stdout).toMatch(/^Active Internet connections \(including servers\)\nProto Recv-Q Send-Q  Local Address/);
    notModelled(run('/usr/sbin/netstat', '-rn'));
    expect(run('/bin/ls', '-lO', '/etc/hosts').stdout).toMatch(/^-rw-r--r-- {2}1 root {2}wheel {2}- \d+ \w{3} [ \d]\d \d\d:\d\d \/etc\/hosts\n$/);
    notModelled(run('/bin/ls', '/'));
    notModelled(run('/usr/sbin/newsyslog'));
    notModelled(run('/usr/bin/sudo', '-u', 'nobody', 'true'));
  });
});
