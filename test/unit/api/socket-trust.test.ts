// The socket's directory is checked before anything is created in it, the sockets are created
// with their final mode (umask around bind, no chmod by path), and a stale-socket removal never
// follows a symlink. Owner checks need root (to make files another user owns): under CI=true
// they must run, elsewhere they skip with the reason.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer, type ApiServer } from '../../../src/api/server';
import { ownerSocketPath, socketDirProblem } from '../../../src/api/socket-path';
import { http } from '../../helpers/http-unix';
import { stubHandlers } from '../../helpers/api-stub';

const quiet = { warn: () => undefined, error: () => undefined };
const handlers = stubHandlers({ status: () => ({ ok: true }), health: () => ({ healthy: true, body: {} }), reconcile: async () => ({}), metrics: () => '' });

const root = process.getuid?.() === 0;
if (!root && process.env.CI === 'true') throw new Error('socket-trust tests need root in CI (they chown files to another user)');
const asRoot = root ? it : it.skip;
if (!root) console.warn('skipping the owner checks of socket-trust.test.ts: they need root'); // eslint-disable-line no-console

describe('API socket: trusted directory, final mode at creation', () => {
  let dir: string;
  const servers: ApiServer[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lk-socktrust-'));
    chmodSync(dir, 0o755);
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function server(): ApiServer {
    const s = createApiServer({ handlers, logger: quiet });
    servers.push(s);
    return s;
  }

  it('refuses a socket directory others can write, before creating anything in it; a root file swapped in is never chmodded', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    // The old attack: the socket path swapped for a symlink to a root file between bind and chmod.
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'root only\n', { mode: 0o600 });
    symlinkSync(secret, join(open, 'loopkeeper.sock'));
    await expect(server().listen(join(open, 'loopkeeper.sock'))).rejects.toThrow(
      new RegExp(`refusing to create the API socket in ${open}: ${open} is writable by its group and others \\(mode 0777\\).*chmod go-w`),
    );
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    expect(readFileSync(secret, 'utf8')).toBe('root only\n');
    expect(readdirSync(open)).toEqual(['loopkeeper.sock']); // nothing created or removed
  });

  it('refuses a world-writable ancestor, and a sticky shared directory (like /tmp) as the socket directory itself', async () => {
    const top = join(dir, 'top');
    mkdirSync(join(top, 'run'), { recursive: true });
    chmodSync(top, 0o777);
    await expect(server().listen(join(top, 'run', 'lk.sock'))).rejects.toThrow(/top \(above .*run\) is writable by its group and others/);
    expect(existsSync(join(top, 'run', 'lk.sock'))).toBe(false);
    const sticky = join(dir, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    await expect(server().listen(join(sticky, 'lk.sock'))).rejects.toThrow(/move it to a directory only root can write/);
    expect(readdirSync(sticky)).toEqual([]);
  });

  it('refuses a socket directory that is a symlink, and a missing one under an unsafe parent (nothing is created)', async () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    symlinkSync(real, join(dir, 'link'));
    await expect(server().listen(join(dir, 'link', 'lk.sock'))).rejects.toThrow(/is a symbolic link/);
    expect(readdirSync(real)).toEqual([]);
    const unsafe = join(dir, 'unsafe');
    mkdirSync(unsafe);
    chmodSync(unsafe, 0o757);
    await expect(server().listen(join(unsafe, 'new', 'lk.sock'))).rejects.toThrow(/unsafe \(above .*new\) is writable by others/);
    expect(existsSync(join(unsafe, 'new'))).toBe(false);
  });

  it('a stale-socket removal never follows a symlink: a link to a live socket or a file is refused and left alone', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const theirs = server();
    await theirs.listen(join(elsewhere, 'theirs.sock'));
    const run = join(dir, 'run');
    mkdirSync(run);
    symlinkSync(join(elsewhere, 'theirs.sock'), join(run, 'lk.sock'));
    await expect(server().listen(join(run, 'lk.sock'))).rejects.toThrow(/exists and is not a socket/);
    expect(statSync(join(elsewhere, 'theirs.sock')).isSocket()).toBe(true);
    expect((await http(join(elsewhere, 'theirs.sock'), 'GET', '/v1/status')).status).toBe(200);
  });

  it('creates both sockets with their final modes whatever the process umask, and restores the umask', async () => {
    const before = process.umask(0o077);
    try {
      const s = server();
      await s.listen(join(dir, 'run', 'lk.sock'));
      expect(process.umask()).toBe(0o077);
      expect(statSync(join(dir, 'run', 'lk.sock')).mode & 0o777).toBe(0o666);
      expect(statSync(ownerSocketPath(join(dir, 'run', 'lk.sock'))).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(before);
    }
    const loose = process.umask(0);
    try {
      const s = server();
      await s.listen(join(dir, 'run2', 'lk.sock'));
      expect(statSync(ownerSocketPath(join(dir, 'run2', 'lk.sock'))).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(loose);
    }
  });

  asRoot('refuses a socket directory owned by another user (as root)', async () => {
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, 65534, 65534);
    expect(socketDirProblem(theirs, 'linux')).toMatch(/is owned by uid 65534, not root/);
    await expect(server().listen(join(theirs, 'lk.sock'))).rejects.toThrow(/owned by uid 65534/);
    expect(readdirSync(theirs)).toEqual([]);
  });

  asRoot('another user cannot connect to the owner socket, and can use the public one (as root)', async () => {
    const s = server();
    const sock = join(dir, 'run', 'lk.sock');
    await s.listen(sock);
    const probe = (path: string): string => {
      const script = `require('net').connect(process.argv[1]).on('connect',()=>{console.log('connected');process.exit(0)}).on('error',(e)=>{console.log(e.code);process.exit(0)})`;
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script, path], { encoding: 'utf8' });
      return r.stdout.trim();
    };
    expect(probe(sock)).toBe('connected');
    expect(probe(ownerSocketPath(sock))).toBe('EACCES');
  });
});
