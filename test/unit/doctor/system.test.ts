// The real seams, exercised where it is harmless: binding port 0 on 127.0.0.1, a private unix
// socket in a temp dir, reading the interface list.
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindOnce, getHealth, interfaceAddresses, socketOwners } from '../../../src/doctor/system';
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { endianness } from 'node:os';
import { parseProcNetTcp } from '../../../src/doctor/parse/proc-net-tcp';
import { parsePorts } from '../../../src/cli/commands/doctor';

describe('system seams', () => {
  it('binds 127.0.0.1 and refuses an address that is on no interface', async () => {
    await expect(bindOnce('127.0.0.1')).resolves.toBeUndefined();
    await expect(bindOnce('192.0.2.123')).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });

  describe('GET /v1/health over a unix socket', () => {
    let server: Server;
    let socket: string;
    let status = 200;
    let hang = false;
    beforeAll(async () => {
      socket = join(mkdtempSync(join(tmpdir(), 'lk-health-')), 'd.sock');
      server = createServer((req, res) => {
        if (hang) return; // never answers
        res.writeHead(req.url === '/v1/health' ? status : 404, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
      await new Promise<void>((r) => server.listen(socket, r));
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    it('returns the status and body', async () => {
      status = 200;
      await expect(getHealth(socket)).resolves.toEqual({ status: 200, body: '{"ok":true}' });
      status = 503;
      await expect(getHealth(socket)).resolves.toMatchObject({ status: 503 });
    });

    it('rejects with ENOENT when there is no socket, and ETIMEDOUT when nothing answers', async () => {
      await expect(getHealth(join(tmpdir(), 'no-such-loopkeeper.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
      hang = true;
      await expect(getHealth(socket, 50)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      hang = false;
    });
  });

  it('lists the loopback interface with 127.0.0.1, and null for a missing interface', () => {
    expect(interfaceAddresses('lo')).toEqual(expect.arrayContaining(['127.0.0.1']));
    expect(interfaceAddresses('no-such-if0')).toBeNull();
  });
});

describe('socket owners from /proc (Linux)', () => {
  it('finds this process as the holder of its own listening socket, by inode', async () => {
    if (process.platform !== 'linux') {
      // eslint-disable-next-line no-console
      console.warn('not on Linux: there is no /proc/net/tcp to read here');
      return;
    }
    const server = createTcpServer();
    await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
    const port = (server.address() as { port: number }).port;
    try {
      let inode = '';
      parseProcNetTcp(readFileSync('/proc/net/tcp', 'latin1'), 4, endianness(), (row) => {
        if (row.state === 'LISTEN' && row.localPort === port && row.local === '127.0.0.1') inode = row.inode;
      });
      expect(inode).not.toBe('');
      const owners = await socketOwners(new Set([inode]));
      expect(owners.get(inode)).toEqual([{ pid: process.pid, process: readFileSync('/proc/self/comm', 'utf8').trim() }]);
      expect((await socketOwners(new Set(['999999999999']))).size).toBe(0);
      expect((await socketOwners(new Set())).size).toBe(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('returns nothing (never throws) for a /proc that is not there', async () => {
    expect((await socketOwners(new Set(['1']), '/no/such/proc')).size).toBe(0);
  });
});

describe('doctor --port parsing', () => {
  it('accepts repeated ports 1-65535, de-duplicated', () => {
    expect(parsePorts(undefined)).toEqual({ ports: [] });
    expect(parsePorts(['3000', '8080', '3000'])).toEqual({ ports: [3000, 8080] });
    expect(parsePorts('443')).toEqual({ ports: [443] });
  });

  it.each(['0', '65536', '-1', '3e3', 'http', '', '99999999999999999999', '80 81'])('refuses %j', (p) => {
    expect(parsePorts([p])).toEqual({ bad: p });
  });
});
