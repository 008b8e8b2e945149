import { check as portCheck, judgeListeners } from '../../../src/doctor/checks/port';
import { judgeSharing } from '../../../src/doctor/checks/port-sharing';
import { darwinProfile } from '../../../src/platform/profiles/darwin';
import { linuxProfile } from '../../../src/platform/profiles/linux';
import { groupByAddress } from '../../../src/doctor/listeners';
import type { Listener } from '../../../src/doctor/types';
import { fakeContext } from './fakes';

let socket = 0;
/** One listening socket held by `pid` (a new socket each call unless `sock` is given). */
function listen(address: string, port: number, pid: number | null, process = 'node', sock = String(++socket)): Listener {
  return { address, port, pid, process, socket: sock };
}

describe('listeners on a port', () => {
  const rows: Listener[] = [
    listen('127.0.0.1', 3000, 100),
    listen('::1', 3000, 200, 'python3'),
    listen('127.0.0.2', 3000, 300),
    listen('10.0.0.5', 3000, 400), // not loopback: irrelevant here
    listen('127.0.0.1', 3001, 500),
    listen('fd00::2', 3000, 800),
  ];

  it('keeps listeners on loopback, wildcards and desired aliases only', () => {
    const r = judgeListeners(3000, rows, new Set(['fd00::2']));
    expect((r.data as { listeners: { address: string }[] }).listeners.map((g) => g.address)).toEqual(['127.0.0.1', '::1', '127.0.0.2', 'fd00::2']);
  });

  it('fails when different processes answer on 127.0.0.1 and ::1 (the classic trap), naming both', () => {
    const r = judgeListeners(3000, rows);
    expect(r.status).toBe('fail');
    expect(r.detail).toBe('different processes answer localhost:3000:\n127.0.0.1:3000  pid 100 (node)\n[::1]:3000  pid 200 (python3)\n127.0.0.2:3000  pid 300 (node)');
  });

  it('is fine with one process on both localhost addresses, and with different processes on different aliases', () => {
    const same = [listen('127.0.0.1', 80, 1), listen('::1', 80, 1), listen('127.0.0.2', 80, 2), listen('127.0.0.3', 80, 3)];
    expect(judgeListeners(80, same).status).toBe('ok');
  });

  it('treats a wildcard as answering localhost too', () => {
    expect(judgeListeners(80, [listen('0.0.0.0', 80, 1), listen('::', 80, 2)]).status).toBe('fail');
  });

  it('does not call a SO_REUSEPORT group on one address "different processes" (that is port-sharing\'s)', () => {
    const group = [listen('127.0.0.1', 80, 1, 'python3'), listen('127.0.0.1', 80, 2, 'python3')];
    const r = judgeListeners(80, group);
    expect(r.status).toBe('ok');
    expect(r.detail).toBe('127.0.0.1:80  pid 1 (python3), pid 2 (python3)  (shared: see port-sharing)');
  });

  it('warns when nothing listens, and when pids are hidden (not root) on more than one address', () => {
    expect(judgeListeners(9, []).status).toBe('warn');
    const r = judgeListeners(80, [listen('127.0.0.1', 80, null, ''), listen('::1', 80, null, '')]);
    expect(r.status).toBe('warn');
    expect(r.hints?.[0]).toMatch(/root/);
    expect(r.detail).toMatch(/127\.0\.0\.1:80 {2}pid unknown/);
  });

  it('survives hostile rows: garbage addresses and control characters in process names (the formatter escapes them)', () => {
    const junk = [listen('', 80, null), listen('garbage', 80, 5), listen('127.0.0.1', 80, 6, '\u001b[2J')];
    const r = judgeListeners(80, junk);
    expect((r.data as { listeners: unknown[] }).listeners).toHaveLength(1);
    expect(r.detail).toBe('127.0.0.1:80  pid 6 (\u001b[2J)');
  });

  it('lists the machine once for several ports, and warns per port when listing fails', async () => {
    let reads = 0;
    const table = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0\n';
    const ctx = fakeContext(
      {
        readFile: async (p) => (reads++, p === '/proc/net/tcp' ? Buffer.from(table) : Buffer.from('')),
        socketOwners: async (inodes) => new Map([...inodes].map((i) => [i, [{ pid: 42, process: 'node' }]])),
      },
      { ports: [3000, 3001] },
    );
    const results = (await portCheck.run(ctx)) as { id: string; status: string; detail: string }[];
    expect(reads).toBe(2); // tcp and tcp6, once
    expect(results.map((r) => [r.id, r.status, r.detail])).toEqual([
      ['port-3000', 'ok', '127.0.0.1:3000  pid 42 (node)'],
      ['port-3001', 'warn', 'nothing listens on port 3001 on a loopback address'],
    ]);
    const broken = fakeContext({ readFile: () => Promise.reject(new Error('EACCES: /proc/net/tcp')) }, { ports: [1] });
    expect(((await portCheck.run(broken)) as { status: string }[]).map((r) => r.status)).toEqual(['warn']);
  });
});

describe('processes sharing one address:port (SO_REUSEPORT)', () => {
  it('names a group of sockets on one address as ONE group with every pid and the consequence', () => {
    const r = judgeSharing([8080], [listen('127.0.0.1', 8080, 10, 'python3'), listen('127.0.0.1', 8080, 11, 'python3'), listen('::1', 8080, 10, 'python3')]);
    expect(r.status).toBe('warn');
    expect(r.detail).toBe('1 address shared by several listeners:\n127.0.0.1:8080: one SO_REUSEPORT group of 2 listening sockets: pid 10 (python3), pid 11 (python3)');
    expect(r.hints?.[0]).toMatch(/spread between the members of a group, so "my restart did not take" is often an old process still in the group/);
    expect(r.data).toMatchObject({ groups: [{ address: '127.0.0.1', port: 8080, sockets: 2, owners: [{ pid: 10 }, { pid: 11 }], kind: 'reuseport' }] });
  });

  it("words the consequence as the machine's kernel behaves: macOS does not balance a group", () => {
    const group = [listen('127.0.0.1', 8080, 10, 'node'), listen('127.0.0.1', 8080, 11, 'node')];
    const mac = judgeSharing([8080], group, new Set(), darwinProfile.doctor.reusePortConsequence);
    expect(mac.status).toBe('warn');
    expect(mac.hints?.[0]).toMatch(/^macOS does not spread connections over such a group: every new connection goes to one member \(the socket bound last\).*: stop the one you do not mean/);
    expect(mac.hints?.[0]).not.toMatch(/spread between/);
    expect(judgeSharing([8080], group, new Set(), linuxProfile.doctor.reusePortConsequence).hints?.[0]).toMatch(/^new connections are spread between the members/);
  });

  it('knows a group without seeing its processes (not root) by its sockets', () => {
    const r = judgeSharing([80], [listen('127.0.0.1', 80, null, ''), listen('127.0.0.1', 80, null, '')]);
    expect(r.status).toBe('warn');
    expect(r.detail).toContain('one SO_REUSEPORT group of 2 listening sockets: pid unknown');
    expect(r.hints?.join(' ')).toMatch(/root/);
  });

  it('lists one socket held by a server and its workers as such, without a warning', () => {
    const shared = [listen('0.0.0.0', 80, 1, 'nginx', 's'), listen('0.0.0.0', 80, 2, 'nginx', 's'), listen('0.0.0.0', 80, 3, 'nginx', 's')];
    const r = judgeSharing([80], shared);
    expect(r.status).toBe('ok');
    expect(r.detail).toBe('no SO_REUSEPORT group on port 80; shared by inheritance (a server and its workers):\n0.0.0.0:80: one listening socket held by 3 processes: pid 1 (nginx), pid 2 (nginx), pid 3 (nginx)');
  });

  it('is ok when every address has one socket and one process', () => {
    expect(judgeSharing([80, 81], [listen('127.0.0.1', 80, 1), listen('::1', 80, 2)])).toMatchObject({ status: 'ok', detail: 'no address on port 80, 81 is shared by several processes' });
  });

  it('groups rows by address and port, counting sockets and de-duplicating holders', () => {
    const g = groupByAddress([listen('127.0.0.1', 80, 1, 'a', 'x'), listen('127.0.0.1', 80, 1, 'a', 'x'), listen('127.0.0.1', 80, 2, 'b', 'y'), listen('127.0.0.1', 81, 3)]);
    expect(g).toEqual([
      { address: '127.0.0.1', port: 80, sockets: 2, owners: [{ pid: 1, process: 'a' }, { pid: 2, process: 'b' }], hidden: false },
      { address: '127.0.0.1', port: 81, sockets: 1, owners: [{ pid: 3, process: 'node' }], hidden: false },
    ]);
  });
});
