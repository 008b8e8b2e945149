// status and doctor on an emulated Mac: a symlinked /etc/hosts (mDNSResponder ignores it) is
// HostsInSync=False reason=HostsFileIgnored with a fix that works from any directory; `doctor
// --port N` names both processes when 127.0.0.1:N and [::1]:N belong to different ones (through
// lsof, as on a Mac); the immutable flag on the hosts file.
import type { ChildProcess } from 'node:child_process';
import { BREW_NODE, EmulatedMac, LINUX_TOOLS_INSIDE, builtRepo, describeOnEmulatedMac } from '../helpers/fake-mac/machine';

interface Check {
  id: string;
  status: string;
  detail: string;
  hints?: string[];
  data?: unknown;
}

describeOnEmulatedMac('status and doctor on an emulated Mac', () => {
  let mac: EmulatedMac;
  const listeners: ChildProcess[] = [];

  beforeAll(async () => {
    mac = await EmulatedMac.create({ repo: builtRepo() });
    await mac.start();
    mac.writeFile('/etc/loopkeeper/loopkeeper.yaml', 'version: 1\naliases:\n  - 127.0.0.2\nhosts:\n  api.myteam.test: 127.0.0.2\n');
    const r = mac.loopkeeper(['install']);
    if (r.code !== 0) throw new Error(`install failed:\n${r.stdout}${r.stderr}`);
  });
  afterAll(async () => {
    for (const l of listeners) l.kill('SIGKILL');
    await mac?.destroy();
  });

  function status() {
    const r = mac.loopkeeper(['status', '--json']);
    return { code: r.code, doc: JSON.parse(r.stdout) as { conditions: Array<{ type: string; status: string; reason: string; message: string }> } };
  }
  const condition = (type: string) => status().doc.conditions.find((c) => c.type === type)!;

  function doctor(args: string[] = []): { code: number | null; checks: Check[] } {
    const r = mac.loopkeeper(['doctor', '--json', ...args]);
    return { code: r.code, checks: (JSON.parse(r.stdout) as { checks: Check[] }).checks };
  }

  /** Starts a TCP listener inside and resolves with its pid once it listens (it says so on stdout). */
  function listen(host: string, port: number): Promise<number> {
    const child = mac.spawn([BREW_NODE, '-e', `require('node:net').createServer().listen({ host: '${host}', port: ${port}, ipv6Only: true }, () => console.log('listening ' + process.pid))`]);
    listeners.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`the listener on ${host}:${port} exited (${code}) before listening`)));
    });
  }

  it('a regular /etc/hosts: Ready', () => {
    expect(mac.waitForDaemon().code).toBe(0);
    expect(status().code).toBe(0);
    expect(condition('HostsInSync')).toMatchObject({ status: 'True' });
  });

  it('a symlinked /etc/hosts (a relative link below /private/etc): HostsInSync=False reason=HostsFileIgnored, never Ready', () => {
    mac.ok(['sh', '-c', 'mkdir -p /Users/me && cp /private/etc/hosts /Users/me/hosts && ln -sf ../../Users/me/hosts /private/etc/hosts']);
    expect(mac.loopkeeper(['reconcile']).code).toBe(1);
    const s = status();
    expect(s.code).toBe(1);
    const hosts = s.doc.conditions.find((c) => c.type === 'HostsInSync')!;
    expect(hosts).toMatchObject({ status: 'False', reason: 'HostsFileIgnored' });
    expect(hosts.message).toContain('sudo cp /Users/me/hosts /etc/hosts.loopkeeper-new && sudo chmod 644 /etc/hosts.loopkeeper-new && sudo mv /etc/hosts.loopkeeper-new /etc/hosts');
    expect(s.doc.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
    // The block went into the file the link points to: the copy the fix makes has it.
    expect(mac.readFile('/Users/me/hosts')).toContain('127.0.0.2\tapi.myteam.test');
  });

  it('doctor names the link and prints a fix with absolute paths; run from another directory, it works', () => {
    const d = doctor();
    const link = d.checks.find((c) => c.id === 'hosts-symlink')!;
    expect(link.status).toBe('fail');
    const fix = (link.hints ?? []).find((h) => h.includes('sudo cp'))!;
    expect(fix).toContain('sudo cp /Users/me/hosts /etc/hosts.loopkeeper-new');
    const run = mac.exec(['sh', '-c', `cd /private/tmp && ${fix.replace(/^[^:]*: /, '')}`]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(mac.exec(['test', '-L', '/private/etc/hosts']).code).toBe(1);
    expect(mac.loopkeeper(['reconcile']).code).toBe(0);
    expect(condition('HostsInSync')).toMatchObject({ status: 'True' });
    expect(status().code).toBe(0);
  });

  it('doctor --port N: 127.0.0.1:N and [::1]:N held by two processes is a problem naming both (via lsof)', async () => {
    const port = 48123;
    const v4 = await listen('127.0.0.1', port);
    const v6 = await listen('::1', port);
    const before = mac.calls().length;
    const d = doctor(['--port', String(port)]);
    const check = d.checks.find((c) => c.id === `port-${port}`)!;
    expect(check.status).toBe('fail');
    expect(check.detail).toContain(`127.0.0.1:${port}`);
    expect(check.detail).toContain(`[::1]:${port}`);
    expect(check.detail).toContain(`pid ${v4}`);
    expect(check.detail).toContain(`pid ${v6}`);
    expect(d.code).toBe(1);
    const lsof = mac.calls().slice(before).filter((c) => c.tool === 'lsof');
    expect(lsof.map((c) => c.argv.join(' '))).toEqual([`-nP -iTCP:${port} -sTCP:LISTEN -F pcftdn`]);
  });

  /** Starts argv inside and resolves with the pids it reports (`listening PID…`) once it listens. */
  function started(argv: string[], what: string): Promise<number[]> {
    const child = mac.spawn(argv);
    listeners.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        const m = /listening ([\d ]+)\n/.exec(out);
        if (m) resolve(m[1]!.trim().split(' ').map(Number));
      });
      child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before listening`)));
    });
  }

  it('doctor --port N: a server and the worker it handed its socket to are one socket (lsof d), not an SO_REUSEPORT group', async () => {
    const port = 48124;
    const script = `const { fork } = require('node:child_process');
      if (process.argv[2] === 'worker') {
        process.on('message', (m, server) => { server.on('connection', (c) => c.end()); process.send('ready'); });
      } else {
        const server = require('node:net').createServer().listen({ host: '127.0.0.1', port: ${port} }, () => {
          const w = fork(__filename, ['worker']);
          w.on('message', () => console.log('listening ' + process.pid + ' ' + w.pid));
          w.send('server', server);
        });
      }`;
    mac.writeFile('/private/tmp/prefork.js', script);
    const [parent, worker] = await started([BREW_NODE, '/private/tmp/prefork.js'], 'the prefork server');
    const sharing = doctor(['--port', String(port)]).checks.find((c) => c.id === 'port-sharing')!;
    expect(sharing.status).toBe('ok');
    expect(sharing.detail).toContain(`127.0.0.1:${port}: one listening socket held by 2 processes: pid ${parent} (node), pid ${worker} (node)`);
  });

  it('doctor --port N: two SO_REUSEPORT listeners are one group, with what that means on macOS (no balancing)', async () => {
    const port = 48125;
    const py = (n: number) =>
      `import os, signal, socket\nss = []\nfor _ in range(${n}):\n  s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1); s.bind(('127.0.0.1', ${port})); s.listen(); ss.append(s)\n` +
      `print('listening', os.getpid(), flush=True)\nsignal.pause()\n`;
    const [a] = await started(['python3', '-c', py(1)], 'the first SO_REUSEPORT listener');
    const [b] = await started(['python3', '-c', py(1)], 'the second SO_REUSEPORT listener');
    const sharing = doctor(['--port', String(port)]).checks.find((c) => c.id === 'port-sharing')!;
    expect(sharing.status).toBe('warn');
    expect(sharing.detail).toContain(`127.0.0.1:${port}: one SO_REUSEPORT group of 2 listening sockets: pid ${a} (python3), pid ${b} (python3)`);
    expect(sharing.hints?.[0]).toMatch(/^macOS does not spread connections over such a group/);
  });

  it('doctor: the uchg flag on the hosts file is a problem, with the chflags that clears it', () => {
    mac.ok([`${LINUX_TOOLS_INSIDE}/chattr`, '+i', '/private/etc/hosts']);
    try {
      const flags = doctor().checks.find((c) => c.id === 'hosts-flags')!;
      expect(flags).toMatchObject({ status: 'fail' });
      expect(flags.hints).toEqual([expect.stringContaining('sudo chflags nouchg /etc/hosts')]);
    } finally {
      mac.ok([`${LINUX_TOOLS_INSIDE}/chattr`, '-i', '/private/etc/hosts']);
    }
  });
});
