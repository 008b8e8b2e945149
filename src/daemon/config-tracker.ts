// Config tracking: what the config files hold and whether it is in force. An invalid config never
// causes a partial apply: the last valid desired state stays enforced and the status says why
// (SPEC "Desired-state file"). A reload happens on a deliberate trigger (start-up, a config file
// change, SIGHUP) or when the files' fingerprint moved; a reconcile every minute does not re-parse
// an unchanged file.
import { readdirSync, statSync, type Stats } from 'node:fs';
import type { ConfigStatus } from '../api/types';
import type { LoadedConfig } from '../config';
import { messageOf } from '../errors';
import { formatDiagnostic, type DesiredState } from '../model';
import type { Trigger } from '../reconcile/types';
import type { DaemonLogger } from './log-types';

export interface ConfigTrackerDeps {
  loadConfig: () => Promise<LoadedConfig>;
  /** Files and directories whose changes mean "the config may have changed". */
  configWatchPaths: () => string[];
  logger: DaemonLogger;
  /** True while the daemon stops: a load ended by stop() says nothing about the config. */
  stopping: () => boolean;
}

export class ConfigTracker {
  /** The last valid desired state (enforced), or null before one was loaded. */
  desired: DesiredState | null = null;
  config: ConfigStatus = { files: [], valid: false, error: 'being loaded (loopkeeperd has just started)', errors: [], warnings: [], enforcing: false, loading: true };
  private lastFingerprint: string | null = null;

  constructor(private readonly deps: ConfigTrackerDeps) {}

  /**
   * Loads the config if the trigger asks for it or the files moved. `firstReconcileDone` only
   * chooses whether "valid again" is worth a log line. Returns whether a load happened.
   */
  async reload(trigger: Trigger, firstReconcileDone: boolean): Promise<boolean> {
    const before = this.fingerprint();
    const deliberate = trigger === 'startup' || trigger === 'config' || trigger === 'signal';
    if (!deliberate && before.text === this.lastFingerprint) return false;
    let loaded: LoadedConfig;
    try {
      loaded = await this.deps.loadConfig();
    } catch (e) {
      // A load ended by stop() says nothing about the config: keep what status reports.
      if (this.deps.stopping()) return false;
      loaded = { files: this.config.files, desired: null, diagnostics: [] };
      this.config = { ...this.config, valid: false, error: `config could not be read: ${messageOf(e)}`, errors: [messageOf(e)], loading: undefined };
    }
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
    const warnings = loaded.diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic);
    const wasValid = this.config.valid;
    if (loaded.desired !== null && errors.length === 0) {
      this.desired = loaded.desired;
      this.config = { files: loaded.files, valid: true, error: null, errors: [], warnings, enforcing: true };
      if (!wasValid && firstReconcileDone) this.deps.logger.info({ trigger, files: loaded.files }, 'config is valid again');
    } else {
      const error =
        (errors.length > 0 ? `${errors.length} error(s): ${errors.slice(0, 5).join('; ')}` : this.config.error) ??
        'config invalid';
      this.config = {
        files: loaded.files,
        valid: false,
        error: this.desired ? `${error} — still enforcing the last valid config` : error,
        errors,
        warnings,
        enforcing: this.desired !== null,
      };
      this.deps.logger.warn({ trigger, errors }, 'config invalid; nothing from it is applied');
    }
    // What the files looked like BEFORE this load (for the file list it produced; a file new to
    // the list is stat'ed now): an edit saved while the loader ran then differs from it, so the
    // next trigger of any kind loads again. One taken after the load would record that edit as
    // already seen, and an API or scheduled reconcile would keep applying the old config.
    this.lastFingerprint = this.fingerprint(this.config.files, before.stats).text;
    return true;
  }

  /**
   * What the config files look like on disk (path, inode, size, mtime of every file read and of
   * every watched directory). A schedule, hosts or API trigger re-reads the config only when this
   * moved.
   */
  private fingerprint(files: readonly string[] = this.config.files, known: ReadonlyMap<string, string> = new Map()): { text: string; stats: Map<string, string> } {
    const stats = new Map<string, string>();
    for (const p of [...files, ...this.deps.configWatchPaths()]) {
      if (stats.has(p)) continue;
      const seen = known.get(p);
      if (seen !== undefined) {
        stats.set(p, seen);
        continue;
      }
      try {
        const st = statSync(p);
        stats.set(p, st.isDirectory() ? dirFingerprint(p, st) : `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`);
      } catch {
        stats.set(p, '-');
      }
    }
    return { text: [...stats].map(([p, v]) => `${p}:${v}`).join('|'), stats };
  }
}

/**
 * A watched directory by what it holds (every name but dotfiles) and its owner and mode
 * (StrictModes judges those). Not its mtime: the hosts file may sit in the same directory (/etc, a
 * temp dir), and the daemon's own write of it (the dot-named temp file `.loopkeeper-tmp-…` renamed
 * over `hosts`: the names stay the same) would move the mtime and make the follow-up "hosts"
 * reconcile load the config again — one config process per save, for nothing. A file added,
 * removed or renamed in it still moves this; each config file also has its own stat. Dotfiles are
 * never config files (files.ts isConfigName): editors' swap and lock files.
 */
function dirFingerprint(dir: string, st: Stats): string {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
  } catch {
    names = ['?'];
  }
  return `d:${st.ino}:${st.mode}:${st.uid}:${st.gid}:${names.join('/')}`;
}
