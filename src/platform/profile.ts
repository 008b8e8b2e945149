// What loopkeeper knows about one operating system, in one place: where things live by default,
// which adapter changes the loopback interface, how the resolver is told about a changed hosts
// file, when the resolver ignores the hosts file, which service manager runs the daemon, and how
// the doctor finds listeners. A port to another OS (a BSD, Windows) is one adapter plus one
// profile registered in profiles/index.ts; nothing else branches on the OS name.
//
// Profiles are cheap to load (every CLI command resolves its paths through one): the adapter and
// the service manager are loaded on first use.
import type { ServiceManager } from '../service/manager';
import type { AliasPort, CommandRunner } from './types';
import type { NetworkInterfacesFn } from './common';

export type OsName = 'linux' | 'darwin';

export interface PlatformDefaults {
  /** The daemon's API socket. */
  socket: string;
  /** The ownership ledger and the hosts backups. */
  stateDir: string;
  /** The loopback interface. */
  interfaceName: string;
}

export interface AliasAdapterOptions {
  interfaceName: string;
  runner: CommandRunner;
  allowAliasRanges: readonly string[];
  networkInterfaces?: NetworkInterfacesFn;
  /** Linux: default /sys/class/net; tests point it at a temp directory. */
  sysClassNet?: string;
  /** Linux: where to look for `ip` (tests). */
  ipCandidates?: readonly string[];
  /** macOS: whether an address is on this machine right now (bind test); tests replace it. */
  isLocalAddress?: (address: string) => Promise<boolean>;
}

/** The system resolver does not read the hosts file loopkeeper manages: why, and the fix. */
export interface HostsFileIgnored {
  /** The condition reason (SPEC "The hosts file"). */
  reason: 'HostsFileIgnored';
  /** What is wrong, in words. */
  message: string;
  /** A command that fixes it, runnable from any directory. */
  fix: string;
  /** Where the link points, fully resolved. */
  target: string;
}

/** The file-system reads hostsFileIgnored needs (tests replace them). */
export interface LinkSeam {
  /** The symlink's own text, or null when `path` is not a symlink. Rejects like lstat. */
  readLinkIfAny(path: string): Promise<string | null>;
  /** The path with every symlink resolved. */
  realpath(path: string): Promise<string>;
}

/**
 * Where the doctor reads what it judges on this OS, as data: src/doctor implements each kind of
 * source once (so a BSD port picks the macOS kinds with its own paths).
 */
export interface DoctorSources {
  /** The ephemeral port range: a file holding the two numbers, or a command printing them. */
  portRange: { file: string } | { argv: readonly string[] };
  /** How a user widens that range. */
  widenPortRange: string;
  /** TCP listeners with their processes: the kernel's tables in /proc, or lsof (argv for the ports). */
  listeners: { kind: 'proc' } | { kind: 'lsof'; argv(ports: readonly number[]): string[] };
  /** Every TCP socket: /proc/net/tcp and tcp6, or netstat (argv). */
  socketTable: { kind: 'proc' } | { kind: 'netstat'; argv: readonly string[] };
  /** What several TCP listeners sharing one address:port (SO_REUSEPORT) means for new connections. */
  reusePortConsequence: string;
  /** The command printing a file's flags (macOS `ls -lO`: uchg, schg), or null where there are none. */
  fileFlags: ((file: string) => string[]) | null;
  /** The loopback interface loses its aliases at every reboot; only the daemon puts them back. */
  aliasesLostAtReboot: boolean;
  /** The system resolver ignores a symlinked hosts file (see hostsFileIgnored). */
  hostsLinkIgnored: boolean;
}

export interface PlatformProfile {
  readonly os: OsName;
  /** For messages: "Linux", "macOS". */
  readonly displayName: string;
  readonly defaults: PlatformDefaults;
  /** The command a user runs to bring the loopback interface up (loopkeeper never does). */
  interfaceUpCommand(name: string): string;
  /** The adapter that observes and changes the loopback aliases. */
  createAliases(opts: AliasAdapterOptions): AliasPort;
  /** Makes the resolver see a changed hosts file. */
  flushDnsCache(runner: CommandRunner): Promise<void>;
  /** Whether the system resolver ignores `hostsFile` as it is (macOS: a symlink); null when it reads it. */
  hostsFileIgnored(hostsFile: string, seam?: LinkSeam): Promise<HostsFileIgnored | null>;
  /** The service manager that runs loopkeeperd from boot (loaded on use). */
  serviceManager(): ServiceManager;
  readonly doctor: DoctorSources;
}
