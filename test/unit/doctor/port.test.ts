import { checkPorts, judgeListeners, loopbackListeners, normalizeAddress } from '../../../src/doctor/check-port';
import type { ConnectionRow } from '../../../src/doctor/types';
import { fakeSeams } from './fakes';

function listen(localAddress: string, localPort: string, pid: number | null, process = 'node', protocol = 'tcp'): ConnectionRow {
  return { protocol, localAddress, localPort, state: 'LISTEN', pid, process };
}

describe('normalizeAddress', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['*', '0.0.0.0'],
    ['0.0.0.0', '0.0.0.0'],
    ['[::]', '::'],
    ['127.0.0.53%lo', '127.0.0.53'],
    ['[fe80::1%lo0]', 'fe80::1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['[FD00:0:0::2]', 'fd00::2'],
  ])('%s → %s', (raw, want) => {
    expect(normalizeAddress(raw)).toBe(want);
  });

  it.each(['', 'localhost', '127.1', '[', '1.2.3.4.5', 'x'.repeat(100000)])('refuses %j', (raw) => {
    expect(normalizeAddress(raw)).toBeNull();
  });
});

describe('listeners on a port', () => {
  const rows: ConnectionRow[] = [
    listen('127.0.0.1', '3000', 100),
    listen('[::1]', '3000', 200, 'python3'),
    listen('127.0.0.2', '3000', 300),
    listen('10.0.0.5', '3000', 400), // not loopback: irrelevant here
    listen('127.0.0.1', '3001', 500),
    { ...listen('127.0.0.1', '3000', 600), state: 'ESTABLISHED' },
    listen('127.0.0.1', '3000', 700, 'dns', 'udp'),
    listen('fd00::2', '3000', 800),
  ];

  it('keeps TCP listeners on loopback, wildcards and desired aliases only', () => {
    const l = loopbackListeners(rows, 3000, new Set(['fd00::2']));
    expect(l.map((x) => `${x.address}/${x.pid}`)).toEqual(['127.0.0.1/100', '::1/200', '127.0.0.2/300', 'fd00::2/800']);
  });

  it('fails when different processes answer on 127.0.0.1 and ::1 (the classic trap), naming both', () => {
    const r = judgeListeners(3000, loopbackListeners(rows, 3000, new Set()));
    expect(r.status).toBe('fail');
    expect(r.detail).toBe('different processes answer localhost:3000:\n127.0.0.1:3000  pid 100 (node)\n[::1]:3000  pid 200 (python3)\n127.0.0.2:3000  pid 300 (node)');
  });

  it('is fine with one process on both localhost addresses, and with different processes on different aliases', () => {
    const same = [listen('127.0.0.1', '80', 1), listen('[::1]', '80', 1), listen('127.0.0.2', '80', 2), listen('127.0.0.3', '80', 3)];
    expect(judgeListeners(80, loopbackListeners(same, 80, new Set())).status).toBe('ok');
  });

  it('treats a wildcard as answering localhost too', () => {
    const rows2 = [listen('0.0.0.0', '80', 1), listen('[::]', '80', 2)];
    expect(judgeListeners(80, loopbackListeners(rows2, 80, new Set())).status).toBe('fail');
  });

  it('warns when nothing listens, and when pids are hidden (not root) on more than one address', () => {
    expect(judgeListeners(9, []).status).toBe('warn');
    const hidden = [listen('127.0.0.1', '80', null, ''), listen('[::1]', '80', null, '')];
    const r = judgeListeners(80, loopbackListeners(hidden, 80, new Set()));
    expect(r.status).toBe('warn');
    expect(r.hints?.[0]).toMatch(/root/);
  });

  it('survives hostile rows: garbage addresses, ports, pids and process names', () => {
    const junk = [
      { protocol: 'tcp', localAddress: '', localPort: '', state: 'LISTEN', pid: null, process: '' },
      { protocol: 'tcp', localAddress: 'garbage', localPort: '80', state: 'LISTEN', pid: -5, process: '' },
      { protocol: 'tcp', localAddress: '127.0.0.1', localPort: '80', state: 'LISTEN', pid: 1.5, process: '\u001b[2J' },
    ] as ConnectionRow[];
    const l = loopbackListeners(junk, 80, new Set());
    expect(l).toEqual([{ address: '127.0.0.1', port: 80, pid: null, process: '\u001b[2J' }]);
  });

  it('lists the machine once for several ports, and warns per port when listing fails', async () => {
    let calls = 0;
    const seams = fakeSeams({ connections: async () => (calls++, rows) });
    const results = await checkPorts(seams, [3000, 3001], []);
    expect(calls).toBe(1);
    expect(results.map((r) => [r.id, r.status])).toEqual([['port-3000', 'fail'], ['port-3001', 'ok']]);
    const broken = fakeSeams({ connections: () => Promise.reject(new Error('ss: not found')) });
    expect((await checkPorts(broken, [1], [])).map((r) => r.status)).toEqual(['warn']);
    expect(await checkPorts(seams, [], [])).toEqual([]);
  });
});
