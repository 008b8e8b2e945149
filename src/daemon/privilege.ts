// loopkeeperd is the privileged half: adding a loopback alias needs root, and so do /etc/hosts and
// the state dir. A daemon started as another user would start without a word and then fail with
// EPERM on every reconcile, so it refuses to start instead (SPEC "The daemon and its socket API"),
// with exit 1 (a failure to start, like a socket already in use; 2 stays for usage errors) —
// unless it could really do its whole job: the hosts file and the state dir given are ones this
// user can write, and the config desires no alias (tests and demos without root).
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Runtime } from '../runtime';

export interface PrivilegeFacts {
  euid: number;
  /** Whether this process may write `path` (which exists). */
  writable(path: string): boolean;
  /** Whether `path` exists (any kind). */
  exists(path: string): boolean;
}

export const realPrivilegeFacts = (): PrivilegeFacts => ({
  euid: process.geteuid?.() ?? 0,
  writable: (p) => {
    try {
      accessSync(p, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  exists: (p) => {
    try {
      statSync(p);
      return true;
    } catch {
      return false;
    }
  },
});

/**
 * Why a daemon that is not root cannot run with these paths (null: it can, or it is root). Only
 * the paths are judged here; `aliasesDesired` is checked once the config is loaded.
 */
export function pathsProblem(runtime: Pick<Runtime, 'hostsFile' | 'stateDir'>, facts: PrivilegeFacts): string | null {
  if (facts.euid === 0) return null;
  const problems: string[] = [];
  const hosts = resolve(runtime.hostsFile);
  if (!facts.exists(hosts)) problems.push(`the hosts file ${hosts} does not exist`);
  else if (!facts.writable(hosts)) problems.push(`it cannot write the hosts file ${hosts}`);
  // The writer puts a temp file beside it and renames it over the file.
  else if (!facts.writable(dirname(hosts))) problems.push(`it cannot write ${dirname(hosts)} (the hosts file is replaced by a renamed temp file there)`);
  let dir = resolve(runtime.stateDir);
  while (!facts.exists(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!facts.writable(dir)) {
    problems.push(dir === resolve(runtime.stateDir) ? `it cannot write the state dir ${dir}` : `it cannot create the state dir ${resolve(runtime.stateDir)} (${dir} is not writable)`);
  }
  return problems.length === 0 ? null : problems.join('; ');
}

/** The refusal, in full: what is wrong, why it matters, and the two ways out. */
export function notRootMessage(euid: number, why: string): string {
  return (
    `loopkeeperd is not root (uid ${euid}), so it could change nothing: adding loopback aliases needs root, and ` +
    `${why}. Run it as root (the service does: \`sudo loopkeeper install\`), or — for a test or a demo without root — ` +
    'give it a --hosts-file and a --state-dir this user can write and a config that declares no alias.'
  );
}
