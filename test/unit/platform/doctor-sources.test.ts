// The doctor reads what each OS offers through the platform profile: macOS lists listeners with
// lsof (one process for the ports asked about), the socket table with netstat, the port range with
// sysctl, all at absolute paths; Linux reads /proc. What the checks say per OS comes from it too.
import { judgeDaemon } from '../../../src/doctor/checks/daemon';
import { checkHostsSymlink } from '../../../src/doctor/checks/hosts-symlink';
import { judgeUse } from '../../../src/doctor/checks/ephemeral-use';
import { CHECKS } from '../../../src/doctor/registry';
import { readDestinations, readListeners } from '../../../src/doctor/sockets';
import { platformsWhere, requireProfile } from '../../../src/platform/profiles';
import { fakeSeams } from '../doctor/fakes';

function runnerAnswering(answers: Record<string, { code?: number; stdout?: string; stderr?: string }>) {
  const calls: string[][] = [];
  return {
    calls,
    run: async (argv: readonly string[]) => {
      calls.push([...argv]);
      const a = answers[argv[0]!] ?? {};
      return { argv, code: a.code ?? 0, signal: null, stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
    },
  };
}

describe('doctor sources of macOS', () => {
  it('one lsof for all the ports asked about, per-port filters, at /usr/sbin/lsof; two processes on 127.0.0.1:N and [::1]:N', async () => {
    const runner = runnerAnswering({ '/usr/sbin/lsof': { stdout: ['p101', 'cnode', 'f21', 'tIPv4', 'n127.0.0.1:3000', 'p202', 'cnode', 'f19', 'tIPv6', 'n[::1]:3000', 'p303', 'cpython3', 'f3', 'tIPv4', 'n*:4000', ''].join('\n') } });
    const listeners = await readListeners({ platform: 'darwin', ports: [3000, 4000] }, fakeSeams({ runner }));
    expect(runner.calls).toEqual([['/usr/sbin/lsof', '-nP', '-iTCP:3000', '-iTCP:4000', '-sTCP:LISTEN', '-F', 'pcftdn']]);
    expect(listeners.map((l) => [l.address, l.port, l.pid])).toEqual([
      ['127.0.0.1', 3000, 101],
      ['::1', 3000, 202],
      ['0.0.0.0', 4000, 303],
    ]);
  });

  it('lsof finding nothing (exit 1, no output) is no listener; any other failure says which command', async () => {
    expect(await readListeners({ platform: 'darwin', ports: [9] }, fakeSeams({ runner: runnerAnswering({ '/usr/sbin/lsof': { code: 1 } }) }))).toEqual([]);
    await expect(
      readListeners({ platform: 'darwin', ports: [9] }, fakeSeams({ runner: runnerAnswering({ '/usr/sbin/lsof': { code: 2, stderr: 'lsof: status error' } }) })),
    ).rejects.toThrow('`/usr/sbin/lsof -nP -iTCP:9 -sTCP:LISTEN -F pcftdn` exited with 2: lsof: status error');
  });

  it('the socket table from /usr/sbin/netstat -an -p tcp', async () => {
    const runner = runnerAnswering({ '/usr/sbin/netstat': { stdout: 'Active Internet connections (including servers)\nProto Recv-Q Send-Q  Local Address          Foreign Address        (state)\ntcp4       0      0  127.0.0.1.52144        127.0.0.2.8080         ESTABLISHED\n' } });
    const r = await readDestinations({ platform: 'darwin' }, fakeSeams({ runner }));
    expect(runner.calls).toEqual([['/usr/sbin/netstat', '-an', '-p', 'tcp']]);
    expect(r.destinations).toEqual([{ address: '127.0.0.2', port: 8080, established: 1, timeWait: 0, sources: ['127.0.0.1'] }]);
  });

  it('Linux reads /proc and spawns nothing; an OS without a profile is refused with its name', async () => {
    const runner = runnerAnswering({});
    await readListeners({ platform: 'linux', ports: [3000] }, fakeSeams({ runner, readFile: async () => Buffer.from('  sl  local_address rem_address   st\n') }));
    expect(runner.calls).toEqual([]);
    await expect(readDestinations({ platform: 'freebsd' }, fakeSeams())).rejects.toThrow('not supported on freebsd');
  });
});

describe('what the checks say per OS', () => {
  it('only macOS has the file-flags, symlinked-hosts and aliases-lost checks', () => {
    for (const id of ['hosts-flags', 'hosts-symlink', 'aliases-lost']) expect(CHECKS.find((c) => c.id === id)!.platforms).toEqual(['darwin']);
    expect(platformsWhere(() => true)).toEqual(['linux', 'darwin']);
  });

  it("a symlinked hosts file's fix names both paths absolutely, also for a relative link", async () => {
    const r = await checkHostsSymlink(fakeSeams({ symlinkTarget: async () => '../../Users/me/hosts' }), '/private/etc/hosts');
    expect(r.hints).toEqual([
      'replace it with a regular file: sudo cp /Users/me/hosts /private/etc/hosts.loopkeeper-new && sudo chmod 644 /private/etc/hosts.loopkeeper-new && ' +
        'sudo mv /private/etc/hosts.loopkeeper-new /private/etc/hosts',
    ]);
  });

  it('without a daemon on macOS, lo0 loses its aliases at the next reboot; not so on Linux', () => {
    const gone = { reachable: false as const, code: 'ENOENT', message: 'no socket' };
    const machine = { aliases: [], hosts: [], changes: [], problems: [] };
    expect(judgeDaemon(gone, '/var/run/loopkeeper.sock', machine, 'darwin').detail).toMatch(/, and lo0 loses its aliases at the next reboot$/);
    expect(judgeDaemon(gone, '/run/loopkeeper/loopkeeper.sock', machine, 'linux').detail).not.toMatch(/reboot/);
  });

  it('the hint that widens the ephemeral range is the OS’s own', () => {
    const busy = { destinations: [{ address: '127.0.0.2', port: 80, established: 1900, timeWait: 0, sources: ['127.0.0.1'] }], source: 'x', skipped: 0 };
    const range = { first: 60000, last: 61999 };
    expect(judgeUse(busy, range, 'darwin').hints).toContain(requireProfile('darwin').doctor.widenPortRange);
    expect(judgeUse(busy, range, 'linux').hints).toContain(requireProfile('linux').doctor.widenPortRange);
  });
});
