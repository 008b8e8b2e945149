// What every doctor check returns, and the seams through which checks see the machine. Checks
// are small functions of these seams, so unit tests run them on plain data.
import type { DesiredHost, DesiredState, Diagnostic, HostEntry } from '../model';
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

/** The config as loaded with strict modes (see src/config). */
export interface LoadedConfigView {
  files: string[];
  desired: DesiredState | null;
  diagnostics: Diagnostic[];
}

/** A TCP socket as systeminformation's networkConnections() reports it. */
export interface ConnectionRow {
  protocol: string;
  localAddress: string;
  localPort: string;
  state: string;
  pid: number | null;
  process: string;
}

export interface HealthAnswer {
  status: number;
  body: string;
}

export interface HostsPlanView {
  entries: HostEntry[];
  damage: { message: string; lines: number[] } | null;
}

/** Everything a check may ask of the machine. */
export interface DoctorSeams {
  loadConfig(): Promise<LoadedConfigView>;
  /** Binds a TCP socket on address, port 0, then closes it. Rejects with the errno error. */
  bind(address: string): Promise<void>;
  /** The system resolver's answer (getaddrinfo), in its order. Rejects with an errno error. */
  lookup(name: string): Promise<string[]>;
  connections(): Promise<ConnectionRow[]>;
  readFile(path: string): Promise<Buffer>;
  /** lstat: whether the path itself is a symlink (and where it points). */
  symlinkTarget(path: string): Promise<string | null>;
  /** GET /v1/health on the daemon's socket. Rejects with an errno error or a timeout. */
  health(socket: string): Promise<HealthAnswer>;
  /** Canonical addresses on the interface, or null when it does not exist. */
  interfaceAddresses(name: string): string[] | null;
  planHosts(content: Buffer, desired: DesiredHost[]): HostsPlanView;
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
