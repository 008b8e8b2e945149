// The checked-in service definitions (systemd/loopkeeper.service, launchd/…plist) are templates
// with @NAME@ placeholders; this module fills them in. Pure: text in, text out.
import { basename, dirname, resolve } from 'node:path';

export const SYSTEMD_UNIT_NAME = 'loopkeeper.service';
export const LAUNCHD_LABEL = 'dev.loopkeeper.daemon';

/**
 * The package root: the parent of the nearest `dist` or `src` directory above this module. Not a
 * fixed number of levels: the build bundles this module into files at several depths
 * (dist/cli/commands/install.js, dist/cli/main-bundle.js, dist/daemon/main.js; scripts/bundle.js).
 */
export function packageRoot(from = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (basename(dir) === 'dist' || basename(dir) === 'src') return dirname(dir);
    if (dirname(dir) === dir) return resolve(from, '..', '..'); // neither above: the old layout
  }
}

export function systemdTemplatePath(root = packageRoot()): string {
  return resolve(root, 'systemd', SYSTEMD_UNIT_NAME);
}

export function launchdTemplatePath(root = packageRoot()): string {
  return resolve(root, 'launchd', `${LAUNCHD_LABEL}.plist`);
}

export interface ServicePaths {
  /** Absolute path of the node binary (process.execPath). */
  node: string;
  /** Absolute path of dist/daemon/main.js. */
  daemon: string;
  /** Absolute path of dist/service/ready.js, the unit's readiness step (default: beside the daemon's dist/). */
  ready?: string;
}

/** dist/service/ready.js of the installation whose daemon is `daemon` (dist/daemon/main.js). */
export function readyPathFor(paths: ServicePaths): string {
  return paths.ready ?? resolve(dirname(paths.daemon), '..', 'service', 'ready.js');
}

/** Directories that systemd's ProtectHome=true makes inaccessible. */
const HOME_PREFIXES = ['/home/', '/root/', '/run/user/'];

/** ProtectHome=true hides node and the daemon when they live under a home (nvm, a clone in ~). */
export function protectHomeFor(paths: ServicePaths): 'true' | 'read-only' {
  const underHome = [paths.node, paths.daemon, readyPathFor(paths)].some((p) => HOME_PREFIXES.some((h) => p.startsWith(h)));
  return underHome ? 'read-only' : 'true';
}

function checkPath(what: string, p: string): void {
  if (!p.startsWith('/')) throw new Error(`${what} must be an absolute path, got ${JSON.stringify(p)}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) throw new Error(`${what} contains a control character: ${JSON.stringify(p)}`);
}

/** One ExecStart word: quoted, with systemd's specifier (%), variable ($) and C escapes. */
export function systemdWord(p: string): string {
  const escaped = p.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_./@+:,=-]+$/.test(p) ? escaped : `"${escaped}"`;
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function fill(template: string, values: Record<string, string>): string {
  const out = template.replace(/@([A-Z_]+)@/g, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`service template has an unknown placeholder ${whole}`);
    return v;
  });
  return out;
}

export function renderSystemdUnit(template: string, paths: ServicePaths): string {
  checkPath('the node path', paths.node);
  checkPath('the daemon path', paths.daemon);
  const ready = readyPathFor(paths);
  checkPath('the readiness script path', ready);
  return fill(template, {
    NODE: systemdWord(paths.node),
    DAEMON: systemdWord(paths.daemon),
    READY: systemdWord(ready),
    PROTECT_HOME: protectHomeFor(paths),
  });
}

export function renderLaunchdPlist(template: string, paths: ServicePaths): string {
  checkPath('the node path', paths.node);
  checkPath('the daemon path', paths.daemon);
  return fill(template, { NODE: xmlEscape(paths.node), DAEMON: xmlEscape(paths.daemon) });
}
