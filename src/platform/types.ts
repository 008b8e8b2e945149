// The platform seam: the only way the rest of loopkeeper touches the network interface or spawns
// a process. Tests replace the runner with a fake that records argv.

export interface RunOptions {
  /** Written to the child's stdin, then stdin is closed. */
  input?: string;
  timeoutMs?: number;
  /** Open file descriptors handed to the child as its fds 3, 4, … (the state lock uses one). */
  fds?: number[];
}

export interface RunResult {
  argv: readonly string[];
  /** Exit code, or null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs one command given as argv (never through a shell). Resolves even on non-zero exit. */
export interface CommandRunner {
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** What the loopback interface looks like right now. */
export interface InterfaceState {
  name: string;
  exists: boolean;
  /** null when the platform cannot tell without spawning. */
  up: boolean | null;
  /** Canonical addresses (see src/net/ip.ts), including 127.0.0.1 and ::1. */
  addresses: string[];
  /**
   * Addresses that carry loopkeeper's own mark in the kernel (Linux: the label IFACE:lk on IPv4,
   * `metric 27755` on IPv6), i.e. that loopkeeper added — the record of ownership that survives a
   * crash or a lost ledger. Meaningful only for the families in `markedFamilies`.
   */
  marked?: string[];
  /**
   * The address families whose marks this look could see (4, 6). A spawn-free look on Linux sees
   * IPv4 labels only; a deeper look (`AliasPort.inspect`) sees both. Absent: no marks seen at all.
   */
  markedFamilies?: (4 | 6)[];
}

export interface AliasChangeRequest {
  add: string[];
  remove: string[];
  /** The interface as last seen before this change (sizes the timeout; judges a failed batch). */
  before?: InterfaceState;
}

export interface AliasChangeResult {
  address: string;
  action: 'add' | 'remove';
  ok: boolean;
  /** Why it failed, in words a user can act on (includes the tool's stderr). */
  error?: string;
  /**
   * For an add: this change itself put the address there, with loopkeeper's mark (the tool
   * reported that line as done and the address is there now). Absent when that is not known.
   */
  added?: boolean;
}

export interface AliasChangeReport {
  results: AliasChangeResult[];
  /** The interface observed after the change (re-observed when anything failed). */
  after: InterfaceState;
  /**
   * One error that failed the whole request (the tool is missing, was killed, timed out): the
   * per-address results repeat it, but it is reported once.
   */
  batchError?: string;
}

/** Observe and change the loopback aliases of one interface. */
export interface AliasPort {
  readonly interfaceName: string;
  observe(): Promise<InterfaceState>;
  /** Applies all changes of one reconcile; refuses addresses outside the allowed ranges. */
  change(request: AliasChangeRequest): Promise<AliasChangeReport>;
  /**
   * A deeper look that sees every mark (Linux: spawns `ip -j addr show dev IFACE`). Only called
   * when there is something to judge (a batch that did not finish, IPv6 to remove, `down`).
   * Absent where the platform marks nothing.
   */
  inspect?(): Promise<InterfaceState>;
  /** Whether the addresses this port adds carry its mark (false or absent: only the ledger knows). */
  readonly marks?: boolean;
}

export interface Platform {
  readonly name: 'linux' | 'darwin';
  readonly aliases: AliasPort;
  /** Make the resolver see a changed hosts file (macOS flushes its caches; Linux does nothing). */
  flushDnsCache(): Promise<void>;
}
