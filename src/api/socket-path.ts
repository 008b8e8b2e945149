// Getting the socket path ready: its directory exists, a stale socket file from a crash is
// removed, a live daemon on it is refused (two daemons fighting over one machine is worse than
// one clear error), and anything that is not a socket is never deleted.
import { lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';

export class SocketInUse extends Error {
  constructor(readonly path: string) {
    super(
      `another loopkeeperd is already running on ${path}; stop it first ` +
        '(systemctl stop loopkeeper, or launchctl bootout system/dev.loopkeeper.daemon), or pass another --socket',
    );
  }
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

export async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
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
  await unlink(path); // stale: left by a daemon that crashed
}
