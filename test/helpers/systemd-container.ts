// Boots the machine's real systemd as PID 1 of fresh namespaces, so the unit, `install`,
// `uninstall` and boot ordering are tested for real without touching the machine (TOOLCHAIN.md,
// "Real systemd inside a test"):
//
// - A holder process keeps a private mount namespace with a tmpfs on a temp directory (`stage`).
//   Every boot's root is an overlayfs: lower = the host's `/` (read through, never written),
//   upper = stage/upper on that tmpfs. Writes (/etc, /var, the journal) land in the upper layer,
//   which survives a reboot of the container (same holder) and vanishes with the holder.
// - Each boot gets its own cgroup2 sub-cgroup (removed afterwards) and
//   `unshare -C -p -f -n -u -i -m --propagation private --kill-child`: systemd's cgroup tree is
//   rooted there, its pid and network namespaces are new (a fresh `lo` per boot, as after a
//   real reboot: aliases are gone).
// - Inside: proc, sysfs (read-only), cgroup2, a tmpfs /dev with the basic device nodes, devpts,
//   /dev/shm, mqueue, tmpfs /run and /tmp; the checkout bind-mounted read-only at /opt/loopkeeper
//   (not under /tmp: PrivateTmp=true would hide it from the unit); pivot_root; then
//   `exec env -i container=… /lib/systemd/systemd systemd.unit=multi-user.target systemd.mask=…`.
// - Ready when `systemctl is-system-running --wait` answers (an event, no sleeps). Commands enter
//   with `nsenter -t INIT -m -u -i -n -p -C -r -w env -i PATH=… CMD`. Power-off is SIGRTMIN+4 to
//   the container's init, SIGKILL after a bound.
// - The holder and each boot run under `setpriv --pdeathsig KILL`: if the test process dies, they
//   die too, and the pid namespace (so systemd and everything in it) with them.
// Under CI=true the suite must run: `describeWithSystemd` fails when it cannot; elsewhere it skips
// with the reason.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForExit, waitForLine } from './wait';

export const REPO_INSIDE = '/opt/loopkeeper';
export const PATH_INSIDE = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SYSTEMD = '/lib/systemd/systemd';
/** systemd's poweroff request: SIGRTMIN+4, and glibc's SIGRTMIN is 34 on Linux. */
const SIGRTMIN_PLUS_4 = 38;
/** Bounds that only turn a hang into a clear failure; nothing waits for them to pass. */
const BOOT_BOUND_MS = 90_000;
const POWEROFF_BOUND_MS = 30_000;

/**
 * Host units that would make a test boot slow or noisy (databases, timers, gettys, time sync),
 * masked on the kernel command line. Units the host enabled under /etc/systemd/system/*.wants/
 * are masked too (see hostEnabledUnits): the container needs none of them.
 */
const ALWAYS_MASKED = [
  'console-getty.service',
  'getty@tty1.service',
  'serial-getty@console.service',
  'systemd-timesyncd.service',
  'systemd-networkd.service',
  'systemd-resolved.service',
  'NetworkManager.service',
  'networking.service',
  'ssh.service',
  'cron.service',
  'postgresql.service',
  'mysql.service',
  'mariadb.service',
  'redis-server.service',
  'docker.service',
  'containerd.service',
  'apt-daily.timer',
  'apt-daily-upgrade.timer',
  'man-db.timer',
  'e2scrub_all.timer',
  'e2scrub_reap.service',
  'fstrim.timer',
  'dpkg-db-backup.timer',
  'logrotate.timer',
  'systemd-tmpfiles-clean.timer',
  'prometheus.service',
  'prometheus-node-exporter.service',
];

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let cachedSupport: { ok: boolean; why: string } | undefined;

/** The cgroup2 mount point (here /sys/fs/cgroup/unified; /sys/fs/cgroup on unified-only hosts). */
export function cgroup2Mount(): string | null {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    if (post.split(' ')[0] === 'cgroup2') return pre.split(' ')[4] ?? null;
  }
  return null;
}

/** This process's own cgroup2 path (the "0::" line), under which the test cgroups are made. */
function ownCgroup2Path(): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'));
  return line ? line.slice(3) : '/';
}

/** Whether real systemd can be booted here, and if not, why. */
export function systemdSupport(): { ok: boolean; why: string } {
  if (cachedSupport) return cachedSupport;
  const no = (why: string) => (cachedSupport = { ok: false, why });
  if (process.platform !== 'linux') return no('not Linux');
  if (process.getuid?.() !== 0) return no('needs root (namespaces, mounts, cgroups)');
  if (!existsSync(SYSTEMD)) return no(`${SYSTEMD} is not installed (apt-get install systemd)`);
  for (const tool of ['unshare', 'nsenter', 'setpriv', 'mount']) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return no(`${tool} is not runnable (util-linux)`);
  }
  const mount = cgroup2Mount();
  if (mount === null) return no('no cgroup2 hierarchy is mounted');
  const probe = spawnSync(
    'unshare',
    ['-C', '-p', '-f', '-n', '-u', '-i', '-m', '--propagation', 'private', '--kill-child', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs tmpfs "$d" && mkdir "$d/u" "$d/w" "$d/r" && mount -t overlay overlay -o "lowerdir=/,upperdir=$d/u,workdir=$d/w" "$d/r" && test -x "$d/r/lib/systemd/systemd"; s=$?; umount -l "$d/r" "$d" 2>/dev/null; rmdir "$d"; exit $s'],
    { encoding: 'utf8' },
  );
  if (probe.error || probe.status !== 0) return no(`cannot make the namespaces and the overlay root: ${probe.stderr.trim() || probe.error?.message}`);
  return (cachedSupport = { ok: true, why: '' });
}

/** `describe` for real-systemd tests: runs them, fails under CI=true when it cannot, skips otherwise. */
export function describeWithSystemd(name: string, body: () => void): void {
  const support = systemdSupport();
  if (support.ok) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('can boot real systemd in private namespaces (required in CI)', () => {
        throw new Error(`the real-systemd tests must run in CI but cannot: ${support.why}`);
      });
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`skipping "${name}": ${support.why}`);
    describe.skip(name, body);
  }
}

/** Units the host enabled (links under /etc/systemd/system/*.wants/), other than loopkeeper's. */
function hostEnabledUnits(): string[] {
  const dir = '/etc/systemd/system';
  const out = new Set<string>();
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!e.endsWith('.wants')) continue;
    try {
      for (const u of readdirSync(join(dir, e))) if (!u.startsWith('loopkeeper')) out.add(u);
    } catch {
      /* not a directory */
    }
  }
  return [...out].sort();
}

// The boot script, run as PID 1 of the new namespaces (its host pid printed first, from the
// host's /proc, which is still mounted). $1 = stage, $2 = the checkout, $3 = container name,
// $4 = "systemd" or "none", the rest = units to mask.
const BOOT_SCRIPT = String.raw`set -eu
read -r hostpid rest < /proc/self/stat
D=$1; REPO=$2; NAME=$3; INIT=$4; shift 4
R=$D/root
first=false
[ -d "$D/upper" ] || first=true
mkdir -p "$D/upper" "$D/work" "$R"
mount -t overlay overlay -o "lowerdir=/,upperdir=$D/upper,workdir=$D/work" "$R"
# At the first boot: whatever loopkeeper the host itself may have installed must not show through
# the overlay (these removals are whiteouts in the upper layer, never host writes).
if $first; then
  rm -rf "$R/etc/systemd/system/loopkeeper.service" "$R/etc/systemd/system/loopkeeper.service.d" \
    "$R"/etc/systemd/system/*.wants/loopkeeper.service "$R/etc/loopkeeper" "$R/var/lib/loopkeeper"
fi
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"
mount -t tmpfs -o mode=755,nosuid,size=4m tmpfs "$R/dev"
node() { mknod -m 666 "$R/dev/$1" c "$2" "$3"; }
node null 1 3; node zero 1 5; node full 1 7; node random 1 8; node urandom 1 9; node tty 5 0
mkdir "$R/dev/pts" "$R/dev/shm" "$R/dev/mqueue"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
mount -t mqueue -o nosuid,nodev,noexec mqueue "$R/dev/mqueue"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"
mkdir -p "$R/opt/loopkeeper"
mount --bind "$REPO" "$R/opt/loopkeeper"
mount -o remount,bind,ro "$R/opt/loopkeeper"
cd "$R"
mkdir -p .oldroot
pivot_root . .oldroot
umount -l /.oldroot
rmdir /.oldroot
# As on a real boot: mounts are shared, so a mount made later here reaches the units' namespaces.
mount --make-rshared /
echo "init $hostpid"
# From here on the output goes to a file inside (the test reads stdout only up to this line).
exec > /run/loopkeeper-test-init.log 2>&1
if [ "$INIT" = none ]; then exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sleep infinity; fi
masks=""
for u in "$@"; do masks="$masks systemd.mask=$u"; done
exec env -i container="$NAME" /lib/systemd/systemd systemd.unit=multi-user.target $masks
`;

export interface ContainerOptions {
  /** The checkout to bind-mount read-only at /opt/loopkeeper. */
  repo: string;
  /** 'systemd' (default) boots systemd; 'none' runs `sleep` as PID 1: a machine without a service manager. */
  init?: 'systemd' | 'none';
  name?: string;
}

let serial = 0;

/** Removes a cgroup and its children, depth first (they are empty once the pid namespace is gone). */
function removeCgroup(path: string): void {
  if (!existsSync(path)) return;
  for (const e of readdirSync(path)) {
    const p = join(path, e);
    try {
      if (statSync(p).isDirectory()) removeCgroup(p);
    } catch {
      /* vanished */
    }
  }
  try {
    rmdirSync(path);
  } catch (e) {
    // Still populated: kill what is left (cgroup.kill, Linux 5.14+), then try once more.
    if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
    try {
      writeFileSync(join(path, 'cgroup.kill'), '1');
    } catch {
      /* older kernel */
    }
    rmdirSync(path);
  }
}

/** Removes test cgroups left by test processes that died (their pid is in the name). */
function removeStaleCgroups(parent: string): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = /^loopkeeper-test-(\d+)-\d+$/.exec(e);
    if (!m || existsSync(`/proc/${m[1]}`)) continue;
    try {
      removeCgroup(join(parent, e));
    } catch {
      /* busy: left for the next run */
    }
  }
}


export class SystemdContainer {
  readonly name: string;
  /** Host pid of the container's PID 1 (systemd, or sleep with init 'none'). */
  initPid = 0;
  /** Milliseconds each boot took until `systemctl is-system-running --wait` answered. */
  readonly bootTimes: number[] = [];
  private boot: ChildProcess | null = null;
  private bootOutput = '';
  private cgroup: string | null = null;
  private readonly cgroupParent: string;

  private constructor(
    private readonly opts: Required<ContainerOptions>,
    private readonly holder: ChildProcess,
    readonly stage: string,
  ) {
    this.name = opts.name;
    this.cgroupParent = join(cgroup2Mount()!, ownCgroup2Path());
  }

  /** Makes the holder (private mount namespace with the tmpfs for the upper layer); boots nothing yet. */
  static async create(options: ContainerOptions): Promise<SystemdContainer> {
    const opts: Required<ContainerOptions> = { init: 'systemd', name: 'loopkeeper-test', ...options };
    const stage = mkdtempSync(join(tmpdir(), 'lk-systemd-'));
    const holder = spawn(
      'setpriv',
      ['--pdeathsig', 'KILL', '--', 'unshare', '-m', '--propagation', 'private', 'sh', '-c',
        'mount -t tmpfs -o mode=700,size=1g tmpfs "$0" && echo held && exec sleep infinity', stage],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    holder.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    await waitForLine(holder, /held\n/, (how) => `the container's boot script ended (${how}) before it started init:\n${out}`);
    const c = new SystemdContainer(opts, holder, stage);
    removeStaleCgroups(c.cgroupParent);
    return c;
  }

  /** Boots (systemd, or the init-less variant) and resolves once it is up. */
  async start(): Promise<void> {
    if (this.boot) throw new Error('the container is already running');
    serial += 1;
    this.cgroup = join(this.cgroupParent, `loopkeeper-test-${process.pid}-${serial}`);
    require('node:fs').mkdirSync(this.cgroup);
    const masks = [...new Set([...ALWAYS_MASKED, ...hostEnabledUnits()])];
    // nsenter -m: the holder's mount namespace (the tmpfs). The shell moves itself into the new
    // cgroup, then becomes unshare, whose child becomes the boot script, then init.
    const outer = 'echo $$ > "$1/cgroup.procs" && shift && exec setpriv --pdeathsig KILL -- unshare -C -p -f -n -u -i -m --propagation private --kill-child sh -c "$@"';
    const started = Date.now();
    const boot = spawn(
      'nsenter',
      ['-t', String(this.holder.pid), '-m', '--', 'sh', '-c', outer, 'outer', this.cgroup, BOOT_SCRIPT, 'boot',
        this.stage, this.opts.repo, this.name, this.opts.init, ...masks],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.boot = boot;
    this.bootOutput = '';
    boot.stdout!.on('data', (c: Buffer) => (this.bootOutput += c.toString('utf8')));
    boot.stderr!.on('data', (c: Buffer) => (this.bootOutput += c.toString('utf8')));
    const m = await waitForLine(boot, /init (\d+)\n/, (how) => `the container's boot script ended (${how}) before it started init:\n${this.bootOutput}`);
    this.initPid = Number(m[1]);
    if (this.opts.init === 'systemd') await this.waitUntilBooted();
    this.bootTimes.push(Date.now() - started);
  }

  /** `systemctl is-system-running --wait`, retried while systemd's socket is not there yet. */
  private async waitUntilBooted(): Promise<void> {
    const deadline = Date.now() + BOOT_BOUND_MS;
    let last: ExecResult = { code: null, stdout: '', stderr: '' };
    while (Date.now() < deadline) {
      if (this.boot?.exitCode !== null || this.boot?.signalCode !== null) {
        throw new Error(`systemd exited during boot:\n${this.bootOutput}`);
      }
      last = this.exec(['systemctl', 'is-system-running', '--wait']);
      const state = last.stdout.trim();
      if (state === 'running' || state === 'degraded') {
        if (state === 'degraded') {
          // eslint-disable-next-line no-console
          console.warn(`container booted degraded:\n${this.exec(['systemctl', '--failed', '--no-pager']).stdout}`);
        }
        return;
      }
      // Before PID 1 has set up its private socket, systemctl cannot connect: look again shortly.
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`systemd did not finish booting: ${last.stdout} ${last.stderr}\n${this.bootOutput}`);
  }

  /** argv prefix that runs a command inside the container. */
  enter(env: Record<string, string> = {}): string[] {
    if (this.initPid === 0) throw new Error('the container is not running');
    const vars = Object.entries({ PATH: PATH_INSIDE, LANG: 'C.UTF-8', NO_COLOR: '1', SYSTEMD_PAGER: '', ...env }).map(([k, v]) => `${k}=${v}`);
    return ['nsenter', '-t', String(this.initPid), '-m', '-u', '-i', '-n', '-p', '-C', '-r', '-w', 'env', '-i', ...vars];
  }

  /** Runs argv inside and waits for it. */
  exec(argv: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): ExecResult {
    const full = [...this.enter(opts.env), ...argv];
    const r = spawnSync(full[0]!, full.slice(1), {
      encoding: 'utf8',
      input: opts.input,
      timeout: opts.timeoutMs ?? 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
  }

  /** Runs argv inside; throws with its output unless it exits 0. Returns stdout. */
  ok(argv: string[], opts: { input?: string; env?: Record<string, string> } = {}): string {
    const r = this.exec(argv, opts);
    if (r.code !== 0) throw new Error(`\`${argv.join(' ')}\` exited ${r.code} in the container:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** The built CLI inside the container (`node /opt/loopkeeper/dist/cli/main.js ARGS`). */
  loopkeeper(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): ExecResult {
    return this.exec([process.execPath, `${REPO_INSIDE}/dist/cli/main.js`, ...args], opts);
  }

  writeFile(path: string, content: string, mode = '0644'): void {
    this.ok(['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"', 'sh', path, mode], { input: content });
  }

  readFile(path: string): string | null {
    const r = this.exec(['cat', path]);
    return r.code === 0 ? r.stdout : null;
  }

  /**
   * Paths (relative to /) that this container's writes changed: the overlay's upper layer. With
   * `filesOnly`, without directories (overlayfs keeps a directory it copied up even once empty);
   * whiteouts (deletions) are character devices and stay listed.
   */
  upperLayer(under = '', opts: { filesOnly?: boolean } = {}): string[] {
    const find = ['find', join(this.stage, 'upper', under), '-mindepth', '1', ...(opts.filesOnly ? ['!', '-type', 'd'] : [])];
    const r = spawnSync('nsenter', ['-t', String(this.holder.pid), '-m', '--', ...find], { encoding: 'utf8' });
    const prefix = join(this.stage, 'upper');
    return (r.stdout ?? '')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.slice(prefix.length))
      .sort();
  }

  /** Powers off (SIGRTMIN+4 to systemd; SIGKILL after a bound) and removes this boot's cgroup. */
  async stop(): Promise<void> {
    const boot = this.boot;
    if (!boot) return;
    if (this.opts.init === 'systemd') {
      try {
        process.kill(this.initPid, SIGRTMIN_PLUS_4);
      } catch {
        /* already gone */
      }
      if (!(await waitForExit(boot, POWEROFF_BOUND_MS))) {
        // eslint-disable-next-line no-console
        console.warn(`systemd did not power off within ${POWEROFF_BOUND_MS / 1000} s: killing it`);
      }
    }
    // SIGKILL to PID 1 ends the whole pid namespace; unshare (--kill-child) then exits.
    try {
      process.kill(this.initPid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await waitForExit(boot, POWEROFF_BOUND_MS);
    this.boot = null;
    this.initPid = 0;
    if (this.cgroup) removeCgroup(this.cgroup);
    this.cgroup = null;
  }

  /** A fresh boot on the same upper layer: what was installed and enabled stays, the network does not. */
  async reboot(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the container, drops the upper layer (the holder's namespace) and the temp directory. */
  async destroy(): Promise<void> {
    await this.stop();
    this.holder.kill('SIGKILL');
    await waitForExit(this.holder, POWEROFF_BOUND_MS);
    try {
      rmdirSync(this.stage);
    } catch {
      /* the tmpfs was only ever mounted in the holder's namespace: this is an empty directory */
    }
  }

  /** Whether this boot's cgroup still exists on the host (tests check nothing is left). */
  cgroupPath(): string | null {
    return this.cgroup;
  }

  get cgroupsLeft(): string[] {
    try {
      return readdirSync(this.cgroupParent).filter((e) => e.startsWith(`loopkeeper-test-${process.pid}-`));
    } catch {
      return [];
    }
  }
}

/**
 * The host's state a real-systemd test must leave exactly as it found it: its service files,
 * loopkeeper's paths, /etc/hosts, and whether `lo` carries any of `aliases` (addresses only the
 * test uses: other programs on a shared machine may change `lo` meanwhile).
 */
export function hostSnapshot(aliases: string[] = []): Record<string, string> {
  const list = (dir: string): string => {
    if (!existsSync(dir)) return '-';
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d).sort()) {
        const p = join(d, e);
        out.push(p);
        try {
          if (statSync(p).isDirectory()) walk(p);
        } catch {
          /* dangling link */
        }
      }
    };
    walk(dir);
    return out.join('\n');
  };
  const hash = (p: string) => (existsSync(p) ? createHash('sha256').update(readFileSync(p)).digest('hex') : '-');
  return {
    etcSystemd: list('/etc/systemd/system'),
    etcLoopkeeper: list('/etc/loopkeeper'),
    runLoopkeeper: list('/run/loopkeeper'),
    varLib: list('/var/lib/loopkeeper'),
    hosts: hash('/etc/hosts'),
    lo: aliases.filter((a) => (networkInterfaces().lo ?? []).some((i) => i.address === a)).join(' ') || 'none of the test aliases',
  };
}

