// The platform seam: the only way the rest of loopkeeper touches the network interface or spawns
// a process. Tests replace the runner with a fake that records argv.

export interface RunOptions {
  /** Written to the child's stdin, then stdin is closed. */
  input?: string;
  timeoutMs?: number;
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
}

export interface AliasChangeRequest {
  add: string[];
  remove: string[];
}

export interface AliasChangeResult {
  address: string;
  action: 'add' | 'remove';
  ok: boolean;
  /** Why it failed, in words a user can act on (includes the tool's stderr). */
  error?: string;
}

export interface AliasChangeReport {
  results: AliasChangeResult[];
  /** The interface observed after the change (re-observed when anything failed). */
  after: InterfaceState;
}

/** Observe and change the loopback aliases of one interface. */
export interface AliasPort {
  readonly interfaceName: string;
  observe(): Promise<InterfaceState>;
  /** Applies all changes of one reconcile; refuses addresses outside the allowed ranges. */
  change(request: AliasChangeRequest): Promise<AliasChangeReport>;
}

export interface Platform {
  readonly name: 'linux' | 'darwin';
  readonly aliases: AliasPort;
  /** Make the resolver see a changed hosts file (macOS flushes its caches; Linux does nothing). */
  flushDnsCache(): Promise<void>;
}
