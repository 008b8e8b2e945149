// Runs commands inside a private network + mount + pid namespace, with a temp file bind-mounted
// over /etc/hosts. This is how tests touch a real `lo` and a real /etc/hosts without touching the
// machine's own. Rule: with CI=true these tests must run; elsewhere (no root) they may skip.
import { spawnSync, spawn, type SpawnOptions, type ChildProcess } from 'node:child_process';

let cached: { ok: boolean; why: string } | undefined;

/** Whether `unshare -n -m -p` works here (root, util-linux and iproute2 present). */
export function namespaceSupport(): { ok: boolean; why: string } {
  if (cached) return cached;
  const r = spawnSync(
    'unshare',
    ['-n', '-m', '--propagation', 'private', '-p', '-f', '--kill-child', '--mount-proc', 'ip', 'link', 'show', 'lo'],
    { encoding: 'utf8' },
  );
  if (r.error) cached = { ok: false, why: `unshare not runnable: ${r.error.message}` };
  else if (r.status !== 0) cached = { ok: false, why: `unshare failed (exit ${r.status}): ${r.stderr.trim()}` };
  else cached = { ok: true, why: '' };
  return cached;
}

/**
 * `describe` for namespace tests: runs them when namespaces work; when they do not, fails under
 * CI=true (they are the proof the Linux adapter and hosts writer work) and skips elsewhere with
 * the reason.
 */
export function describeInNamespace(name: string, body: () => void): void {
  const support = namespaceSupport();
  if (support.ok) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('can create a private network and mount namespace (required in CI)', () => {
        throw new Error(`namespace tests must run in CI but cannot: ${support.why}`);
      });
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`skipping "${name}": needs root and unshare (${support.why})`);
    describe.skip(name, body);
  }
}

/**
 * argv prefix that enters fresh namespaces, brings `lo` up, bind-mounts `hostsFile` over
 * /etc/hosts (when given), then execs the rest of the argv. Append the command to run.
 */
export function nsPrefix(opts: { hostsFile?: string; loUp?: boolean } = {}): string[] {
  // A fresh sysfs: /sys/class/net must show this namespace's interfaces (the Linux adapter reads
  // the up/down flag there without spawning); the mount namespace is private, so this is local.
  const steps: string[] = ['mount -t sysfs sysfs /sys'];
  if (opts.loUp !== false) steps.push('ip link set lo up');
  if (opts.hostsFile) steps.push('mount --bind "$0" /etc/hosts');
  steps.push('exec "$@"');
  return [
    'unshare', '-n', '-m', '--propagation', 'private', '-p', '-f', '--kill-child', '--mount-proc',
    'sh', '-c', steps.join(' && '), opts.hostsFile ?? 'unused',
  ];
}

/** Runs argv inside fresh namespaces and waits for it. */
export function runInNamespace(
  argv: string[],
  opts: { hostsFile?: string; loUp?: boolean; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): { code: number | null; stdout: string; stderr: string } {
  const full = [...nsPrefix(opts), ...argv];
  const r = spawnSync(full[0]!, full.slice(1), {
    encoding: 'utf8',
    env: opts.env ?? process.env,
    input: opts.input,
    timeout: opts.timeoutMs ?? 120000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Starts argv inside fresh namespaces without waiting (for daemons). Kill it to end them all. */
export function spawnInNamespace(argv: string[], opts: { hostsFile?: string; env?: NodeJS.ProcessEnv } & SpawnOptions = {}): ChildProcess {
  const full = [...nsPrefix(opts), ...argv];
  return spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...opts, env: opts.env ?? process.env });
}

/**
 * A namespace that stays up while a test runs: `sleep` holds it; commands enter it with nsenter
 * (network + mount only), so a daemon started there has a normal pid the test can signal, and the
 * namespace outlives the daemon (to check what it left behind).
 */
export interface HeldNamespace {
  /** Host pid of the process holding the namespaces. */
  pid: number;
  run(argv: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): { code: number | null; stdout: string; stderr: string };
  spawn(argv: string[], opts?: SpawnOptions): ChildProcess;
  close(): void;
}

export async function holdNamespace(opts: { hostsFile?: string } = {}): Promise<HeldNamespace> {
  // The holder says "ready" on its stdout once lo is up and the mounts are done (the steps of
  // nsPrefix run before it), then becomes `sleep`: no polling for it, no deadline.
  const holder = spawnInNamespace(['sh', '-c', 'echo ready && exec sleep 3600'], { hostsFile: opts.hostsFile, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  holder.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((res, rej) => {
    let out = '';
    holder.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready\n')) res();
    });
    holder.once('exit', (code, signal) => rej(new Error(`the namespace holder exited (${code ?? signal}) before it was ready: ${stderr.trim()}`)));
  });
  // unshare -f forked the namespace's init: the shell that printed "ready", now sleep (same pid).
  const outer = holder.pid!;
  const inner = Number(spawnSync('pgrep', ['-P', String(outer)], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
  if (!(inner > 0)) {
    holder.kill('SIGKILL');
    throw new Error(`the namespace holder (pid ${outer}) has no child process`);
  }
  const enter = ['nsenter', '-t', String(inner), '-n', '-m', '--'];
  return {
    pid: inner,
    run(argv, o = {}) {
      const r = spawnSync(enter[0]!, [...enter.slice(1), ...argv], {
        encoding: 'utf8',
        input: o.input,
        env: o.env ?? process.env,
        timeout: 120000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
    },
    spawn(argv, o = {}) {
      return spawn(enter[0]!, [...enter.slice(1), ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...o });
    },
    close() {
      holder.kill('SIGKILL');
    },
  };
}
