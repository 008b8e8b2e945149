// Getting the socket paths ready. The directory must be one only root (or the daemon's own user)
// can change — checked with fs/trust before anything is created in it, the directory itself not
// a symlink — because the daemon creates, replaces and removes files there as root. A stale socket
// file from a crash is removed (unlink never follows a symlink, and nobody else can swap one in a
// trusted directory), a live daemon on it is refused (two daemons fighting over one machine is
// worse than one clear error), and anything that is not a socket is never deleted.
import { lstatSync, statSync } from 'node:fs';
import { lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { checkTrusted, type TrustProblem } from '../fs/trust';

export class SocketInUse extends Error {
  constructor(readonly path: string) {
    super(
      `another loopkeeperd is already running on ${path}; stop it first ` +
        '(systemctl stop loopkeeper, or launchctl bootout system/dev.loopkeeper.daemon), or pass another --socket',
    );
  }
}

/**
 * The second socket, beside the public one, that only the daemon's user (root) can connect to
 * (mode 0600). Node cannot read SO_PEERCRED, so "who is calling" is decided by the kernel's
 * permission check on connect: whoever gets in here is root, and gets its own connection slots
 * and its own reconcile rate limit, whatever other users do on the public socket.
 */
export function ownerSocketPath(socket: string): string {
  return socket.endsWith('.sock') ? `${socket.slice(0, -'.sock'.length)}.root.sock` : `${socket}.root`;
}

/** Whether something accepts connections on the unix socket at `path`. */
export function socketIsLive(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    const done = (live: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(live);
    };
    // A listener that does not even accept within the timeout is wedged, not alive.
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * macOS's /var/run is root:daemon 0775. Group `daemon` (gid 1) and `wheel` (gid 0) hold only
 * root there, so a group-writable, root-owned directory of one of those groups is as safe as a
 * 0755 one — on macOS only; elsewhere group write is refused as everywhere else.
 */
function systemGroupWritableOnDarwin(p: TrustProblem, platform: NodeJS.Platform): boolean {
  if (platform !== 'darwin' || p.kind !== 'writable') return false;
  try {
    const st = statSync(p.path);
    return st.uid === 0 && (st.gid === 0 || st.gid === 1) && (st.mode & 0o002) === 0;
  } catch {
    return false;
  }
}

/** Why the daemon must not create its socket in `dir`, or null when it may. */
export function socketDirProblem(dir: string, platform: NodeJS.Platform = process.platform): string | null {
  const problems = checkTrusted(dir, { expect: 'dir', noSymlink: true, mayBeMissing: true }).filter(
    (p) => !systemGroupWritableOnDarwin(p, platform),
  );
  if (problems.length === 0) return null;
  return (
    `refusing to create the API socket in ${dir}: ${problems.map((p) => p.message).join('; ')} ` +
    '(the daemon creates and removes files there as root; pass --socket in a directory only root can write, e.g. /run/loopkeeper)'
  );
}

/** Checks and creates the socket's directory; removes a stale socket at `path`. */
export async function prepareSocketPath(path: string, platform: NodeJS.Platform = process.platform): Promise<void> {
  const dir = dirname(resolve(path));
  const before = socketDirProblem(dir, platform);
  if (before) throw new Error(before);
  let missing = false;
  try {
    lstatSync(dir);
  } catch {
    missing = true;
  }
  if (missing) {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    // What mkdir made (and anything that raced it) is checked again, now that it exists.
    const after = socketDirProblem(dir, platform);
    if (after) throw new Error(after);
  }
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) {
    throw new Error(`${path} exists and is not a socket; loopkeeperd will not replace it — remove it or pass another --socket`);
  }
  if (await socketIsLive(path)) throw new SocketInUse(path);
  await unlink(path); // stale: left by a daemon that crashed (unlink removes a link, never its target)
}
