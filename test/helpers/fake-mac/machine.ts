// An emulated Mac for integration tests: the built binaries run with process.platform forced to
// 'darwin' against fakes of Apple's tools at Apple's paths, on a real kernel interface named lo0.
//
// - A holder process keeps a private mount namespace with a tmpfs (`stage`). Each boot's root is
//   an overlayfs: lower = the host's `/` (read through, never written), upper = stage/upper. At the
//   first boot the upper layer gets the macOS layout: /etc, /var and /tmp become links into
//   /private (renames in the overlay: redirect_dir), Apple's default /etc/hosts,
//   /Library/LaunchDaemons, /var/db, /etc/newsyslog.d, and Homebrew with node NODE_VERSION
//   (/opt/homebrew/Cellar/node/VER/bin/node, a copy of the test's node, with the bin/ and opt/
//   links Homebrew makes). The checkout is bind-mounted read-only where `npm install -g` under
//   Homebrew puts a package: /opt/homebrew/lib/node_modules/loopkeeper.
// - Every boot: new pid, network, UTS and IPC namespaces, so a reboot loses lo0's aliases as a Mac
//   does. `lo` is renamed lo0 (mtu 16384, 127.0.0.1/8 without its prefix route — only addresses
//   an interface carries are local, as on macOS — ::1, fe80::1), the ephemeral range is macOS's.
//   The fakes from test/helpers/fake-mac/bin are installed at /sbin/ifconfig, /bin/launchctl,
//   /usr/bin/dscacheutil, /usr/bin/killall, /usr/sbin/sysctl, /usr/sbin/lsof, /usr/sbin/netstat,
//   /bin/ls, /usr/sbin/newsyslog, /usr/bin/sudo and /usr/sbin/mDNSResponder; PID 1 is the fake
//   launchd, which loads the LaunchDaemons and prints "launchd ready" (the harness waits for it).
// - Every node process inside gets NODE_OPTIONS=--require …/darwin.js (process.platform = 'darwin').
// - Commands enter with nsenter (mount, UTS, IPC, net, pid, root, cwd of the machine's PID 1).
//   `shutdown` sends SIGTERM to launchd, which stops its jobs and exits; the pid namespace ends.
// Under CI=true the suite must run: `describeOnEmulatedMac` fails when it cannot; elsewhere it
// skips with the reason.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PKEXEC_PATHS } from '../../../src/cli/elevate';
import { IP_CANDIDATES } from '../../../src/platform/linux';
import { SETPRIV_CANDIDATES } from '../../../src/platform/runner';
import { FLOCK_CANDIDATES } from '../../../src/reconcile/lock';
import { waitForExit, waitForLine } from '../wait';

export const PKG_INSIDE = '/opt/homebrew/lib/node_modules/loopkeeper';
export const BREW_NODE = '/opt/homebrew/bin/node';
export const PATH_INSIDE = '/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin';
export const FAKES_INSIDE = '/usr/libexec/fake-mac';
export const DARWIN_PRELOAD = `${FAKES_INSIDE}/darwin.js`;
/** The Linux tools the fakes use (ip, ss, lsattr) and tests may (chattr for chflags, setpriv). */
export const LINUX_TOOLS_INSIDE = `${FAKES_INSIDE}/linux`;
/**
 * Linux-only programs at the paths loopkeeper (or a Linux habit) looks for them; none is on a Mac,
 * so none is on the emulated one: the state lock's `flock`, the runner's `setpriv`, `ip`,
 * `systemctl`, `pkexec`, and the tools the fakes are built on.
 */
export const LINUX_ONLY_PATHS: readonly string[] = [
  ...new Set([
    ...FLOCK_CANDIDATES,
    ...SETPRIV_CANDIDATES,
    ...IP_CANDIDATES,
    ...PKEXEC_PATHS,
    ...['systemctl', 'systemd-analyze', 'ss', 'lsattr', 'chattr', 'getent'].flatMap((t) => [`/usr/bin/${t}`, `/bin/${t}`, `/usr/sbin/${t}`, `/sbin/${t}`]),
  ]),
];
const FAKES_SOURCE = resolve(__dirname);
// Below jest's 120 s hook timeout: a machine that does not stop is killed, and the test says so.
const BOUND_MS = 60_000;

/** macOS's /etc/hosts as it ships (Apple's `files` project; TAB after the IPv4 addresses). */
export const MACOS_DEFAULT_HOSTS =
  '##\n# Host Database\n#\n# localhost is used to configure the loopback interface\n# when the system is booting.  Do not change this entry.\n##\n' +
  '127.0.0.1\tlocalhost\n255.255.255.255\tbroadcasthost\n::1             localhost\n';

const MDNS_PLIST = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>com.apple.mDNSResponder</string>
	<key>ProgramArguments</key>
	<array>
		<string>/usr/sbin/mDNSResponder</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<true/>
</dict>
</plist>
`;

/**
 * Directories of the macOS layout with their modes and owners (uid:gid; admin is gid 80, daemon
 * gid 1), from Apple's `files` project (hierarchy, hierarchy.not_sim, hierarchy.osx).
 */
const MACOS_HIERARCHY = `0755 0:0 private
0755 0:0 private/etc
0755 0:0 private/etc/newsyslog.d
0755 0:0 private/var
0755 0:0 private/var/db
0755 0:0 private/var/log
0775 0:1 private/var/run
0750 0:0 private/var/root
1777 0:0 private/var/tmp
0775 0:80 Library
0755 0:0 Library/LaunchDaemons
0755 0:0 System/Library/LaunchDaemons
0755 0:80 Users
`;

/** Where each fake goes: Apple's path -> the script in bin/. */
export const FAKE_TOOLS: Readonly<Record<string, string>> = {
  '/sbin/ifconfig': 'ifconfig',
  '/bin/launchctl': 'launchctl',
  '/usr/bin/dscacheutil': 'dscacheutil',
  '/usr/bin/killall': 'killall',
  '/usr/sbin/sysctl': 'sysctl',
  '/usr/sbin/lsof': 'lsof',
  '/usr/sbin/netstat': 'netstat',
  '/bin/ls': 'ls',
  '/usr/sbin/newsyslog': 'newsyslog',
  '/usr/sbin/mDNSResponder': 'mDNSResponder',
  '/usr/bin/sudo': 'sudo',
};

// The boot script, run as PID 1 of the new namespaces until it execs launchd. $1 stage, $2 the
// checkout, $3 the fakes' source, $4 node, $5 node version; FAKE_MAC_* in the environment.
const BOOT_SCRIPT = String.raw`set -eu
read -r hostpid rest < /proc/self/stat
D=$1; REPO=$2; FAKES=$3; NODE=$4; VER=$5
R=$D/root
first=false
[ -d "$D/upper" ] || first=true
mkdir -p "$D/upper" "$D/work" "$R"
mount -t overlay overlay -o "lowerdir=/,upperdir=$D/upper,workdir=$D/work,redirect_dir=on" "$R"
if $first; then
  mkdir -p "$R/private"
  mv "$R/etc" "$R/private/etc" && ln -s private/etc "$R/etc"
  mv "$R/var" "$R/private/var" && ln -s private/var "$R/var"
  mv "$R/tmp" "$R/private/tmp" && ln -s private/tmp "$R/tmp"
  # Whatever loopkeeper the host itself has must not show through (whiteouts, never host writes).
  rm -rf "$R/private/etc/loopkeeper" "$R/private/var/lib/loopkeeper" "$R/private/var/db/loopkeeper" \
    "$R/private/etc/newsyslog.d" "$R/private/etc/newsyslog.conf" "$R/Library" "$R/System"
  printf '%s' "$FAKE_MAC_HOSTS" > "$R/private/etc/hosts"
  chmod 644 "$R/private/etc/hosts"
  # Debian's /var/run is a link to /run; macOS's is a real directory (mounted fresh at every boot).
  rm -f "$R/private/var/run"
  # Owners and modes as Apple's 'files' project lays them out (its hierarchy, hierarchy.not_sim and
  # hierarchy.osx lists): /Library is root:admin 0775, /var/run root:daemon 0775 (group daemon holds only root), …
  printf '%s\n' "$FAKE_MAC_HIERARCHY" | while read -r mode owner dir; do
    [ -n "$dir" ] || continue
    mkdir -p "$R/$dir" && chown "$owner" "$R/$dir" && chmod "$mode" "$R/$dir"
  done
  printf '%s' "$FAKE_MAC_MDNS_PLIST" > "$R/System/Library/LaunchDaemons/com.apple.mDNSResponder.plist"
  chmod 644 "$R/System/Library/LaunchDaemons/com.apple.mDNSResponder.plist"
  mkdir -p "$R/opt/homebrew/Cellar/node/$VER/bin" "$R/opt/homebrew/bin" "$R/opt/homebrew/opt" "$R/opt/homebrew/lib/node_modules/loopkeeper"
  cp "$NODE" "$R/opt/homebrew/Cellar/node/$VER/bin/node"
  ln -s "../Cellar/node/$VER/bin/node" "$R/opt/homebrew/bin/node"
  ln -s "../Cellar/node/$VER" "$R/opt/homebrew/opt/node"
  # Homebrew's installer hands /opt/homebrew to the admin user (uid 501, group admin).
  if [ "$FAKE_MAC_BREW_OWNER" = user ]; then chown -R -h 501:80 "$R/opt/homebrew"; fi
fi
# The fakes, fresh at every boot (the checkout's current ones).
rm -rf "$R/usr/libexec/fake-mac"
mkdir -p "$R/usr/libexec"
cp -r "$FAKES" "$R/usr/libexec/fake-mac"
# The Linux programs the fakes and the harness are built on, in a directory of their own; at their
# usual paths a Mac has none of them (no flock, setpriv, ip, systemctl, pkexec, …), so code that
# would reach for one on a Mac finds nothing there either (whiteouts in the overlay).
mkdir -p "$R$FAKE_MAC_LINUX_TOOLS"
for t in ip ss lsattr chattr setpriv; do cp "$(command -v "$t")" "$R$FAKE_MAC_LINUX_TOOLS/$t"; done
for p in $FAKE_MAC_LINUX_ONLY; do rm -f "$R$p"; done
for pair in $FAKE_MAC_TOOLS; do
  path=$${'{'}pair%%=*}; name=$${'{'}pair#*=}
  printf '#!%s\nrequire("/usr/libexec/fake-mac/bin/%s.js");\n' "$NODE" "$name" > "$R$path"
  chmod 755 "$R$path"
done
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount -t tmpfs -o mode=755,nosuid,size=4m tmpfs "$R/dev"
mk() { mknod -m 666 "$R/dev/$1" c "$2" "$3"; }
mk null 1 3; mk zero 1 5; mk full 1 7; mk random 1 8; mk urandom 1 9; mk tty 5 0
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/private/tmp"
mount -t tmpfs -o mode=775,gid=1,nosuid,nodev tmpfs "$R/private/var/run"
mount --bind "$REPO" "$R/opt/homebrew/lib/node_modules/loopkeeper"
mount -o remount,bind,ro "$R/opt/homebrew/lib/node_modules/loopkeeper"
# lo0 as a Mac has it at boot.
ip link set lo name lo0
ip link set lo0 mtu 16384
echo 1 > /proc/sys/net/ipv6/conf/lo0/keep_addr_on_down
ip link set lo0 up
ip addr del 127.0.0.1/8 dev lo0
ip addr add 127.0.0.1/8 dev lo0 noprefixroute
ip addr add fe80::1/64 dev lo0
echo "49152 65535" > /proc/sys/net/ipv4/ip_local_port_range
hostname fake-mac
cd "$R"
mkdir -p .oldroot
pivot_root . .oldroot
umount -l /.oldroot
rmdir /.oldroot
echo "init $hostpid"
exec env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin FAKE_MAC_NODE_OPTIONS="--require /usr/libexec/fake-mac/darwin.js" \
  FAKE_LAUNCHD_LINGER_MS="$FAKE_LAUNCHD_LINGER_MS" FAKE_LAUNCHD_BUSY_MS="$FAKE_LAUNCHD_BUSY_MS" "$NODE" /usr/libexec/fake-mac/launchd.js
`;

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface MacOptions {
  /** The checkout (built) to install as the loopkeeper package. */
  repo: string;
  /** The Homebrew node version the machine starts with. */
  nodeVersion?: string;
  /** How long launchd keeps listing a booted-out job after its process exited. */
  bootoutLingerMs?: number;
  /** How long after that bootstrap still answers 5. */
  bootstrapBusyMs?: number;
  /**
   * Who owns /opt/homebrew: 'user' as Homebrew's installer leaves it (uid 501, group admin), or
   * 'root' (the default): a machine where only root can change the node that root runs.
   */
  homebrewOwner?: 'root' | 'user';
}

let cachedSupport: { ok: boolean; why: string } | undefined;

/** Whether the emulated Mac can run here, and if not, why. */
export function emulatedMacSupport(): { ok: boolean; why: string } {
  if (cachedSupport) return cachedSupport;
  const no = (why: string) => (cachedSupport = { ok: false, why });
  if (process.platform !== 'linux') return no('needs Linux namespaces');
  if (process.getuid?.() !== 0) return no('needs root (namespaces, mounts)');
  for (const tool of ['unshare', 'nsenter', 'setpriv', 'mount']) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return no(`${tool} is not runnable (util-linux)`);
  }
  const packages: Record<string, string> = { ip: 'iproute2', ss: 'iproute2', lsattr: 'e2fsprogs', chattr: 'e2fsprogs', plistutil: 'libplist-utils', python3: 'python3' };
  for (const [tool, pkg] of Object.entries(packages)) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) return no(`${tool} is missing (Debian package ${pkg}; .ci/run installs it)`);
  }
  const probe = spawnSync(
    'unshare',
    ['-n', '-m', '--propagation', 'private', 'sh', '-c',
      'd=$(mktemp -d) && mount -t tmpfs tmpfs "$d" && mkdir "$d/u" "$d/w" "$d/r" && ' +
        'mount -t overlay overlay -o "lowerdir=/,upperdir=$d/u,workdir=$d/w,redirect_dir=on" "$d/r" && ' +
        'mkdir -p "$d/r/private" && mv "$d/r/etc" "$d/r/private/etc" && ip link set lo name lo0 && ip link set lo0 up && ' +
        'ip addr add fe80::1/64 dev lo0; s=$?; umount -l "$d/r" "$d" 2>/dev/null; rmdir "$d"; exit $s'],
    { encoding: 'utf8' },
  );
  if (probe.error || probe.status !== 0) return no(`cannot make the namespaces, the overlay root or lo0: ${probe.stderr.trim() || probe.error?.message}`);
  return (cachedSupport = { ok: true, why: '' });
}

/** `describe` for emulated-Mac tests: runs them, fails under CI=true when it cannot, skips otherwise. */
export function describeOnEmulatedMac(name: string, body: () => void): void {
  const support = emulatedMacSupport();
  if (support.ok) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('can boot the emulated Mac (required in CI)', () => {
        throw new Error(`the emulated-macOS tests must run in CI but cannot: ${support.why}`);
      });
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`skipping "${name}": ${support.why}`);
    describe.skip(name, body);
  }
}


export class EmulatedMac {
  /** Host pid of the machine's PID 1 (the fake launchd). */
  initPid = 0;
  readonly boots: number[] = [];
  private boot: ChildProcess | null = null;
  private bootOutput = '';

  private constructor(
    private readonly opts: Required<MacOptions>,
    private readonly holder: ChildProcess,
    readonly stage: string,
  ) {}

  static async create(options: MacOptions): Promise<EmulatedMac> {
    const opts: Required<MacOptions> = { nodeVersion: '22.1.0', bootoutLingerMs: 300, bootstrapBusyMs: 300, homebrewOwner: 'root', ...options };
    const stage = mkdtempSync(join(tmpdir(), 'lk-mac-'));
    const holder = spawn(
      'setpriv',
      ['--pdeathsig', 'KILL', '--', 'unshare', '-m', '--propagation', 'private', 'sh', '-c',
        'mount -t tmpfs -o mode=700,size=2g tmpfs "$0" && echo held && exec sleep infinity', stage],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    holder.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    await waitForLine(holder, /held\n/, (how) => `the emulated Mac's boot ended (${how}) before it was up:\n${out}`);
    return new EmulatedMac(opts, holder, stage);
  }

  /** Boots the machine; resolves once launchd has loaded the LaunchDaemons. */
  async start(): Promise<void> {
    if (this.boot) throw new Error('the emulated Mac is already running');
    const tools = Object.entries(FAKE_TOOLS).map(([path, name]) => `${path}=${name}`).join(' ');
    const started = Date.now();
    const boot = spawn(
      'nsenter',
      ['-t', String(this.holder.pid), '-m', '--', 'setpriv', '--pdeathsig', 'KILL', '--', 'unshare', '-p', '-f', '-n', '-u', '-i', '-m',
        '--propagation', 'private', '--kill-child', 'sh', '-c', BOOT_SCRIPT, 'boot', this.stage, this.opts.repo, FAKES_SOURCE,
        process.execPath, this.opts.nodeVersion],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
          FAKE_MAC_HOSTS: MACOS_DEFAULT_HOSTS,
          FAKE_MAC_MDNS_PLIST: MDNS_PLIST,
          FAKE_MAC_TOOLS: tools,
          FAKE_LAUNCHD_LINGER_MS: String(this.opts.bootoutLingerMs),
          FAKE_LAUNCHD_BUSY_MS: String(this.opts.bootstrapBusyMs),
          FAKE_MAC_BREW_OWNER: this.opts.homebrewOwner,
          FAKE_MAC_HIERARCHY: MACOS_HIERARCHY,
          FAKE_MAC_LINUX_TOOLS: LINUX_TOOLS_INSIDE,
          FAKE_MAC_LINUX_ONLY: LINUX_ONLY_PATHS.join(' '),
        },
      },
    );
    this.boot = boot;
    this.bootOutput = '';
    boot.stdout!.on('data', (c: Buffer) => (this.bootOutput += c.toString('utf8')));
    boot.stderr!.on('data', (c: Buffer) => (this.bootOutput += c.toString('utf8')));
    const m = await waitForLine(boot, /init (\d+)\n/, (how) => `the emulated Mac's boot ended (${how}) before it was up:\n${this.bootOutput}`);
    this.initPid = Number(m[1]);
    await waitForLine(boot, /launchd ready\n/, (how) => `the emulated Mac's boot ended (${how}) before it was up:\n${this.bootOutput}`);
    this.boots.push(Date.now() - started);
  }

  /** Shuts down as a Mac does: launchd stops every job (SIGTERM), then the machine is gone. */
  async shutdown(): Promise<void> {
    const boot = this.boot;
    if (!boot) return;
    try {
      process.kill(this.initPid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    if (!(await waitForExit(boot, BOUND_MS))) {
      // eslint-disable-next-line no-console
      console.warn('the emulated Mac did not shut down within the bound: killing it');
      try {
        process.kill(this.initPid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await waitForExit(boot, BOUND_MS);
    }
    this.boot = null;
    this.initPid = 0;
  }

  async reboot(): Promise<void> {
    await this.shutdown();
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.shutdown();
    this.holder.kill('SIGKILL');
    await waitForExit(this.holder, BOUND_MS);
    try {
      rmdirSync(this.stage);
    } catch {
      /* the tmpfs was only mounted in the holder's namespace: an empty directory */
    }
  }

  /** argv prefix that runs a command inside, as root, with a Homebrew user's PATH. */
  enter(env: Record<string, string> = {}): string[] {
    if (this.initPid === 0) throw new Error('the emulated Mac is not running');
    const vars = Object.entries({
      PATH: PATH_INSIDE,
      HOME: '/var/root',
      LANG: 'C',
      NO_COLOR: '1',
      NODE_OPTIONS: `--require ${DARWIN_PRELOAD}`,
      ...env,
    }).map(([k, v]) => `${k}=${v}`);
    return ['nsenter', '-t', String(this.initPid), '-m', '-u', '-i', '-n', '-p', '-r', '-w', 'env', '-i', ...vars];
  }

  exec(argv: string[], opts: { input?: string; env?: Record<string, string> } = {}): ExecResult {
    const full = [...this.enter(opts.env), ...argv];
    const r = spawnSync(full[0]!, full.slice(1), { encoding: 'utf8', input: opts.input, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
  }

  /** Starts argv inside without waiting (a listener a test needs). Kill it, or shut the machine down. */
  spawn(argv: string[], opts: SpawnOptions & { env?: Record<string, string> } = {}): ChildProcess {
    const full = [...this.enter(opts.env as Record<string, string> | undefined), ...argv];
    return spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...opts, env: process.env });
  }

  ok(argv: string[], opts: { input?: string; env?: Record<string, string> } = {}): string {
    const r = this.exec(argv, opts);
    if (r.code !== 0) throw new Error(`\`${argv.join(' ')}\` exited ${r.code} on the emulated Mac:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** The loopkeeper CLI, run as a Homebrew user runs it: `sudo loopkeeper …` (node from PATH). */
  loopkeeper(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): ExecResult {
    return this.exec([BREW_NODE, `${PKG_INSIDE}/dist/cli/main.js`, ...args], opts);
  }

  /** Waits (an event: the daemon's own readiness step) until loopkeeperd has finished its first reconcile. */
  waitForDaemon(): ExecResult {
    return this.exec([BREW_NODE, `${PKG_INSIDE}/dist/service/ready.js`, '--socket', '/var/run/loopkeeper.sock', '--within-ms', '60000']);
  }

  writeFile(path: string, content: string, mode = '0644'): void {
    this.ok(['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"', 'sh', path, mode], { input: content });
  }

  readFile(path: string): string | null {
    const r = this.exec(['cat', path]);
    return r.code === 0 ? r.stdout : null;
  }

  exists(path: string): boolean {
    return this.exec(['test', '-e', path]).code === 0;
  }

  /** lo0's addresses as the kernel has them. */
  lo0(): string[] {
    const out = JSON.parse(this.ok([`${LINUX_TOOLS_INSIDE}/ip`, '-j', 'addr', 'show', 'dev', 'lo0'])) as Array<{ addr_info: Array<{ local: string }> }>;
    return out[0]!.addr_info.map((a) => a.local);
  }

  /** Every fake tool call so far (test/helpers/fake-mac/lib/common.js records them). */
  calls(): Array<{ tool: string; argv: string[]; uid: number }> {
    const text = this.readFile('/var/log/fake-mac/calls.log') ?? '';
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { tool: string; argv: string[]; uid: number });
  }

  /**
   * `brew upgrade node` followed by `brew cleanup`: the new version's keg, the bin/ and opt/ links
   * moved to it, the old keg deleted.
   */
  brewUpgradeNode(from: string, to: string): void {
    this.ok(['sh', '-c',
      'set -e; mkdir -p "/opt/homebrew/Cellar/node/$2/bin" && cp "/opt/homebrew/Cellar/node/$1/bin/node" "/opt/homebrew/Cellar/node/$2/bin/node" && ' +
        'ln -sfn "../Cellar/node/$2/bin/node" /opt/homebrew/bin/node && ln -sfn "../Cellar/node/$2" /opt/homebrew/opt/node && ' +
        'rm -rf "/opt/homebrew/Cellar/node/$1"', 'sh', from, to]);
  }

  /** The boot script's and launchd's own output, for a failure message. */
  get output(): string {
    return this.bootOutput;
  }
}

export function builtRepo(): string {
  const repo = resolve(__dirname, '..', '..', '..');
  if (!existsSync(join(repo, 'dist', 'cli', 'main.js'))) throw new Error(`${repo}/dist is missing: run \`npm run build\` (npm test does it first)`);
  return repo;
}
