// What every doctor check returns, what a check is, and the seams through which checks see the
// machine. Checks are small functions of a context built on these seams, so unit tests run them
// on plain data.
import type { AliasEntry, Change, DesiredHost, DesiredState, Diagnostic, HostEntry } from '../model';
import type { CommandRunner } from '../platform/types';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable identifier for scripts, e.g. `aliases-bindable`, `port-3000`. */
  id: string;
  /** Short human label. */
  title: string;
  status: CheckStatus;
  /** What was found, in words (may span lines). */
  detail: string;
  /** What to do about it, or a note worth knowing even when all is well. */
  hints?: string[];
  /** The facts behind the verdict, for --json consumers. */
  data?: unknown;
}

export interface DoctorReport {
  checks: CheckResult[];
  /** No check failed. */
  ok: boolean;
}

/**
 * One check: a module in checks/ exports one of these, and registry.ts lists them in order.
 * `id` is stable (scripts and `--check ID` use it); a check may return several results (one per
 * `--port`), whose ids start with its own.
 */
export interface DoctorCheck {
  id: string;
  title: string;
  /** What it looks at, for `--check` usage errors and the README. */
  about: string;
  /** Only on these platforms (default: every platform). */
  platforms?: readonly NodeJS.Platform[];
  /** Needs `--port N` (without it the check has nothing to look at and is left out). */
  needsPorts?: boolean;
  run(ctx: DoctorContext): Promise<CheckResult | CheckResult[]>;
}

/** The config as loaded with strict modes (see src/config). */
export interface LoadedConfigView {
  files: string[];
  desired: DesiredState | null;
  diagnostics: Diagnostic[];
}

export interface HealthAnswer {
  status: number;
  body: string;
}

export interface HostsPlanView {
  entries: HostEntry[];
  damage: { message: string; lines: number[] } | null;
}

/** What a dry-run reconcile of the desired state says about the machine (plan's pipeline). */
export interface MachinePlanView {
  aliases: AliasEntry[];
  hosts: HostEntry[];
  changes: Change[];
  problems: string[];
}

/** A process holding a socket open. */
export interface SocketOwner {
  pid: number;
  process: string;
}

/** Everything a check may ask of the machine. */
export interface DoctorSeams {
  loadConfig(): Promise<LoadedConfigView>;
  /** Binds a TCP socket on address, port 0, then closes it. Rejects with the errno error. */
  bind(address: string): Promise<void>;
  /** The system resolver's answer (getaddrinfo), in its order. Rejects with an errno error. */
  lookup(name: string): Promise<string[]>;
  readFile(path: string): Promise<Buffer>;
  /** lstat: whether the path itself is a symlink (and where it points). */
  symlinkTarget(path: string): Promise<string | null>;
  /** GET /v1/health on the daemon's socket. Rejects with an errno error or a timeout. */
  health(socket: string): Promise<HealthAnswer>;
  /** Canonical addresses on the interface, or null when it does not exist. */
  interfaceAddresses(name: string): string[] | null;
  planHosts(content: Buffer, desired: DesiredHost[]): HostsPlanView;
  /** The plan (dry-run reconcile) of the desired state against this machine. */
  planMachine(desired: DesiredState): Promise<MachinePlanView>;
  /** Linux: the processes holding each of these socket inodes open (from /proc/PID/fd; only the visible ones). */
  socketOwners(inodes: ReadonlySet<string>): Promise<Map<string, SocketOwner[]>>;
  /** Byte order of this machine (the kernel prints /proc/net/tcp addresses in it). */
  endianness: 'LE' | 'BE';
  runner: CommandRunner;
  /** Seconds since boot. */
  uptime(): number;
}

export interface DoctorInput {
  platform: NodeJS.Platform;
  hostsFile: string;
  socket: string;
  interfaceName: string;
  ports: number[];
}

/** The daemon's answer on its socket, or why there was none. */
export type DaemonAnswer =
  | { reachable: true; status: number }
  | { reachable: false; code: string; message: string };

/** A TCP listener, once per process holding it (a socket shared by two processes is two rows). */
export interface Listener {
  address: string;
  port: number;
  /** Identifies the socket (Linux: its inode; macOS: pid and fd): two rows with one socket are one socket. */
  socket: string;
  pid: number | null;
  process: string;
}

/** Connections to one destination `address:port` this machine holds now. */
export interface DestinationUse {
  address: string;
  port: number;
  established: number;
  timeWait: number;
  /** Distinct local addresses these connections come from. */
  sources: string[];
}

export interface PortRange {
  first: number;
  last: number;
}

/**
 * What checks share: the input, the seams, and facts gathered once however many checks ask
 * (the config, the daemon's answer, the plan, the socket table). Every fact is read on first use.
 */
export interface DoctorContext {
  readonly input: DoctorInput;
  readonly seams: DoctorSeams;
  /** Rejects when loading itself failed (the config check reports it). */
  config(): Promise<LoadedConfigView>;
  /** The desired state, or null when the config is unusable or could not be loaded. */
  desired(): Promise<DesiredState | null>;
  daemon(): Promise<DaemonAnswer>;
  /** The plan of the desired state; null without a usable config. */
  machine(): Promise<MachinePlanView | null>;
  /** TCP listeners on the `--port` ports. */
  listeners(): Promise<Listener[]>;
  /** ESTABLISHED and TIME_WAIT connections, per destination, from the kernel's socket table. */
  connections(): Promise<{ destinations: DestinationUse[]; source: string; skipped: number }>;
  /** The ephemeral port range and where it was read. */
  portRange(): Promise<{ range: PortRange; source: string }>;
}
