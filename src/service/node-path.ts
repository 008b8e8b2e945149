// Which node path the service definition names. process.execPath is the real path of the binary:
// with Homebrew /opt/homebrew/Cellar/node/VER/bin/node, which `brew upgrade node` replaces and
// `brew cleanup` deletes — after that launchd cannot start the daemon, and after the next reboot
// lo0 has only 127.0.0.1. A stable link to the very same binary survives upgrades (it is moved to
// the new version): Homebrew's bin/node and opt/FORMULA/bin/node, /usr/local/bin/node, nvm's
// `current` link, or a link on PATH. One is used only when it resolves to the same binary now.
import { delimiter, isAbsolute, join } from 'node:path';

export interface NodePathHost {
  /** The path with every symlink resolved (the path itself when it cannot be resolved). */
  realpath(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
}

export interface NodeChoice {
  /** The path to write into the service definition. */
  node: string;
  /** Why that one, when it is not the path node runs from. */
  note?: string;
  /** A versioned path that an upgrade removes, with no stable link found. */
  warning?: string;
}

/** Install locations whose path names a version: an upgrade of node makes them disappear. */
const VERSIONED: readonly RegExp[] = [
  /\/Cellar\/[^/]+\/[^/]+\/bin\/node$/, // Homebrew
  /\/\.nvm\/versions\/node\/[^/]+\/bin\/node$/, // nvm
  /\/\.volta\/tools\/image\/node\/[^/]+\/bin\/node$/, // volta
  /\/\.asdf\/installs\/nodejs\/[^/]+\/bin\/node$/, // asdf
  /\/fnm\/node-versions\/[^/]+\/installation\/bin\/node$/, // fnm
  /\/\.local\/share\/mise\/installs\/node\/[^/]+\/bin\/node$/, // mise
];

export function isVersionedNodePath(p: string): boolean {
  return VERSIONED.some((re) => re.test(p));
}

/** Where a stable link to `real` may be, most specific first. */
export function nodeLinkCandidates(execPath: string, real: string, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const add = (p: string | undefined): void => {
    if (p !== undefined && isAbsolute(p) && !out.includes(p)) out.push(p);
  };
  if (execPath !== real) add(execPath);
  const brew = /^(.*)\/Cellar\/([^/]+)\/[^/]+\/bin\/node$/.exec(real);
  if (brew) {
    add(`${brew[1]}/bin/node`);
    add(`${brew[1]}/opt/${brew[2]}/bin/node`);
  }
  add('/opt/homebrew/bin/node');
  add('/usr/local/bin/node');
  if (env.NVM_DIR) add(join(env.NVM_DIR, 'current', 'bin', 'node'));
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir !== '') add(join(dir, 'node'));
  return out.filter((p) => p !== real);
}

/** The node path for the service definition: a stable link to the running binary where one exists. */
export async function chooseNodePath(execPath: string, host: NodePathHost, env: NodeJS.ProcessEnv = process.env): Promise<NodeChoice> {
  const real = await host.realpath(execPath);
  // An unversioned binary (/usr/bin/node, nodejs.org's /usr/local/bin/node) stays where it is.
  if (!isVersionedNodePath(real)) return { node: execPath };
  const candidates = nodeLinkCandidates(execPath, real, env);
  for (const c of candidates) {
    if (!(await host.exists(c))) continue;
    if ((await host.realpath(c)) !== real) continue;
    // A link whose own path names a version is no better than the binary itself.
    if (isVersionedNodePath(c)) continue;
    return { node: c, note: `node: ${c}, a link to ${real} that survives upgrades` };
  }
  return {
    node: real,
    warning:
      `the service names ${real}, a path that an upgrade of node removes, and no stable link to that binary was found ` +
      `(looked at ${candidates.join(', ') || 'nothing'}): after such an upgrade the service cannot start loopkeeperd. ` +
      'Make one (Homebrew: `brew link node`) and run install again',
  };
}
