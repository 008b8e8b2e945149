// What install/uninstall need from a service manager (systemd, launchd), and the types both sides
// share. A manager is chosen by the platform profile (src/platform/profiles); install.ts does the
// parts every platform shares (pre-flight, the config directory) and hands the rest to it.
import type { CommandRunner } from '../platform/types';
import type { Session } from './session';
import type { ServicePaths } from './templates';

export type ServicePlatform = 'linux' | 'darwin';

/** What install/uninstall need from the running system, beyond files under `root` (tests fake it). */
export interface ServiceHost {
  /** Whether a path of the running system exists. */
  exists(path: string): Promise<boolean>;
  /** The path with every symlink resolved (the path itself when it cannot be resolved). */
  realpath(path: string): Promise<string>;
  /**
   * Asks the daemon's socket until it answers (any HTTP status), for at most `withinMs`. With
   * 'reconciled', until it has finished its first reconcile (POST /v1/reconcile, which the daemon
   * answers only after the run in progress, as the systemd unit's readiness step does).
   */
  waitForDaemon(socket: string, withinMs: number, until?: 'answers' | 'reconciled'): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** The last `lines` lines of a file, or null when it cannot be read. */
  tail(path: string, lines: number): Promise<string | null>;
  /** The pid the daemon answering on `socket` reports (GET /v1/status), or null when it does not say. */
  daemonPid?(socket: string): Promise<number | null>;
  /** Waits `ms` (polling a service manager that works asynchronously); tests make it instant. */
  sleep?(ms: number): Promise<void>;
  /** Milliseconds on a monotonic clock, for the bounds of those polls. */
  now?(): number;
}

export interface ServiceOptions {
  platform: ServicePlatform;
  /** Where `/` is: '/' for a real install, a staging directory with --root. */
  root: string;
  /** Drive systemctl / launchctl (false with --root: nothing is loaded). */
  activate: boolean;
  paths: ServicePaths;
  runner: CommandRunner;
  /** Where systemd/, launchd/ and config/ are (the package root). */
  packageDir?: string;
  host?: ServiceHost;
  /** The installed daemon's socket (default: the platform's, which the unit's daemon uses). */
  socket?: string;
  /** How long install waits for the started daemon to answer (SPEC: up to 10 s). */
  answerWithinMs?: number;
  /** The environment install runs in (PATH and NVM_DIR name places a stable node link may be). */
  env?: NodeJS.ProcessEnv;
}

/** One thing install/uninstall did or found, in the order it happened. */
export type ServiceStep =
  | { kind: 'wrote' | 'updated' | 'unchanged' | 'created' | 'exists' | 'removed' | 'absent' | 'kept'; path: string; note?: string }
  | { kind: 'ran'; argv: string[]; note?: string };

export interface ServiceOutcome {
  ok: boolean;
  steps: ServiceStep[];
  /** Why it stopped, in words a user can act on. */
  error?: string;
  /** install refused before writing anything (no service manager, a path the unit cannot see). */
  refused?: boolean;
  /** The service's last log lines, when it did not come up. */
  log?: { source: string; text: string };
  /** Whether any file or the service's state was changed. */
  changed: boolean;
  /** What failed (uninstall goes on with the rest); makes ok false. */
  problems: string[];
  /** What it did not do and why where nothing failed, and what a user should know (install too). */
  notes: string[];
  /** uninstall: nothing install writes was there. */
  nothingToRemove?: boolean;
}

/** What `write` did to the service definition. */
export interface Written {
  /** The definition's content changed (a running service must be reloaded). */
  changed: boolean;
  /** It was there before (installed earlier). */
  existed: boolean;
}

export interface ServiceManager {
  /** 'systemd' or 'launchd', for messages. */
  readonly name: string;
  /** The service definition install writes (unit file, plist), a path of the target system. */
  readonly servicePath: string;
  /** A command that shows the service's state, for the summary. */
  readonly statusCommand: string;
  /** Why this manager cannot be driven here (not running), or null. Checked before anything is written. */
  notRunning(host: ServiceHost): Promise<string | null>;
  /** Files the service runs besides node and the daemon (systemd: the readiness script). */
  extraFiles(paths: ServicePaths): Array<[what: string, path: string]>;
  /** Why a path under a temp directory cannot work for this service manager. */
  tempDirProblem(tempDir: string): string;
  /** Writes the service definition and what goes with it under the session's root. */
  write(session: Session): Promise<Written>;
  /** Loads and starts what `write` wrote (a real install only), and checks the daemon answers. */
  activate(session: Session, written: Written): Promise<void>;
  /** Stops and unloads the service and removes what install wrote for it (not the config). */
  uninstall(session: Session): Promise<void>;
  /** Keeps the service's last log lines in the session, for a service that did not come up. */
  collectLog(session: Session): Promise<void>;
}
