// Before `install` writes a unit or plist that makes root run node and this package at every
// boot: everything that run loads must be changeable only by root. A node binary, a dist/ or a
// node_modules/ that another user owns or can write (a clone in someone's home, `npm install`
// run as a user and installed as root) would hand that user root at the next start.
//
// Checked, with fs/trust (owner root or the installing user, no group/other write, up to /): the
// node binary, the daemon script, the package directory and its package.json, and every entry
// under dist/ and node_modules/ (a module anywhere in there is code root runs). A symlink in
// those trees is followed: a target outside them is checked like the rest.
import { lstatSync, readdirSync, realpathSync, type Stats } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { checkTrusted, type TrustProblem } from '../fs/trust';

export interface ServiceCode {
  node: string;
  daemon: string;
  /** The package root: dist/ and node_modules/ are under it. */
  packageDir: string;
}

export interface ServiceTrustOptions {
  /** Owners allowed besides root; default the effective uid (root for a real install). */
  trustedUids?: readonly number[];
  /** A tree larger than this is refused rather than walked forever. */
  maxEntries?: number;
}

const SHOWN = 5;

/** Every problem with what the service would run as root; empty when it can be trusted. */
export function serviceCodeProblems(code: ServiceCode, opts: ServiceTrustOptions = {}): TrustProblem[] {
  const trustedUids = opts.trustedUids ?? defaultTrusted();
  const trusted = new Set([0, ...trustedUids]);
  const problems: TrustProblem[] = [];
  // A missing path is not a trust problem: install checks that the daemon exists, and a unit with
  // a missing node fails to start without giving anyone anything.
  const check = (path: string, expect: 'file' | 'dir'): void =>
    void problems.push(...checkTrusted(path, { expect, trustedUids }).filter((p) => p.kind !== 'missing'));

  check(code.node, 'file');
  check(code.daemon, 'file');
  check(code.packageDir, 'dir');
  check(join(code.packageDir, 'package.json'), 'file');

  const roots = [join(code.packageDir, 'dist'), join(code.packageDir, 'node_modules')].map((r) => resolve(r));
  const inside = (p: string): boolean => roots.some((r) => p === r || p.startsWith(r + sep));
  let budget = opts.maxEntries ?? 200_000;
  const followed = new Set<string>();

  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      problems.push({ path: dir, kind: 'unreadable', message: `${dir} cannot be listed (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
      return;
    }
    for (const name of names) {
      if (--budget < 0) return;
      const p = join(dir, name);
      let st: Stats;
      try {
        st = lstatSync(p);
      } catch {
        continue; // removed while we looked
      }
      if (st.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(p);
        } catch {
          continue; // dangling: loads nothing
        }
        if (!inside(target) && !followed.has(target)) {
          followed.add(target);
          let t: Stats | null = null;
          try {
            t = lstatSync(target);
          } catch {
            /* vanished */
          }
          if (t) check(target, t.isDirectory() ? 'dir' : 'file');
        }
        continue;
      }
      problems.push(...entryProblems(p, st, trusted));
      if (st.isDirectory()) walk(p);
    }
  };
  for (const root of roots) {
    let st: Stats;
    try {
      st = lstatSync(root);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) {
      check(root, 'dir'); // the resolved tree's chain; its content is walked below
      try {
        walk(realpathSync(root));
      } catch {
        /* dangling */
      }
      continue;
    }
    problems.push(...entryProblems(root, st, trusted));
    if (st.isDirectory()) walk(root);
  }
  if (budget < 0) {
    problems.push({
      path: code.packageDir,
      kind: 'unreadable',
      message: `${code.packageDir} holds more than ${(opts.maxEntries ?? 200_000).toLocaleString('en-US')} files under dist/ and node_modules/; install a production build (npm ci --omit=dev)`,
    });
  }
  return dedupe(problems);
}

/** One entry inside dist/ or node_modules/: its own owner and mode (its parents are walked too). */
function entryProblems(path: string, st: Stats, trusted: Set<number>): TrustProblem[] {
  const out: TrustProblem[] = [];
  if (!trusted.has(st.uid)) out.push({ path, kind: 'owner', message: `${path} is owned by uid ${st.uid}, not root` });
  if (st.mode & 0o022) out.push({ path, kind: 'writable', message: `${path} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})` });
  return out;
}

function dedupe(list: TrustProblem[]): TrustProblem[] {
  const seen = new Set<string>();
  return list.filter((p) => {
    const k = `${p.path}\0${p.kind}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

function defaultTrusted(): number[] {
  const uid = process.geteuid?.() ?? 0;
  return uid === 0 ? [0] : [0, uid];
}

/** One sentence for install's error, or null when the code can be trusted. */
export function serviceCodeError(code: ServiceCode, opts: ServiceTrustOptions = {}): string | null {
  const problems = serviceCodeProblems(code, opts);
  if (problems.length === 0) return null;
  const shown = problems.slice(0, SHOWN).map((p) => p.message);
  const more = problems.length > SHOWN ? `; and ${problems.length - SHOWN} more` : '';
  return (
    `refusing to install a service that runs, as root, code other users can change: ${shown.join('; ')}${more}. ` +
    // `chown root`, not `root:root`: macOS has no group named root (gid 0 is wheel), and the group
    // does not matter once `chmod go-w` has taken its write permission away.
    `Fix: chown -R root ${code.packageDir} && chmod -R go-w ${code.packageDir} (and the same for what the messages name outside it), ` +
    'or install loopkeeper as root where only root can write (e.g. `sudo npm install -g loopkeeper`), then run install again'
  );
}
