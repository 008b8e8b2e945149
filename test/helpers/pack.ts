// `npm pack` of this checkout as a maintainer would run it, without touching the checkout: the
// sources are copied to a temp directory (node_modules linked, dist/ left behind), where npm's
// prepack does its clean build. The tests that run meanwhile keep using the checkout's dist/.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { REPO } from './cli';

/** Top-level entries of the checkout a pack does not need (and must not see: dist/ is rebuilt). */
const LEFT_OUT = new Set(['node_modules', 'dist', '.git', 'coverage']);

export interface Packed {
  tarball: string;
  /** `npm pack --json`'s report: entryCount, size (bytes, compressed), unpackedSize, files. */
  report: { entryCount: number; size: number; unpackedSize: number; files: Array<{ path: string; size: number }>; filename: string };
}

/** An environment for a nested npm: nothing of the `npm test` that runs us (npm_* variables). */
export function npmEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

/** A copy of the checkout's sources (what `git clone` gives, plus uncommitted work), without node_modules or dist. */
export function copySources(into?: string): string {
  const dir = into ?? mkdtempSync(join(tmpdir(), 'lk-src-'));
  cpSync(REPO, dir, {
    recursive: true,
    filter: (src) => {
      const rel = relative(REPO, src);
      return rel === '' || !LEFT_OUT.has(rel.split(sep)[0]!);
    },
  });
  return dir;
}

/** Packs the checkout into `dest`; throws with npm's output when it fails. */
export function packCheckout(dest: string): Packed {
  const work = copySources();
  try {
    symlinkSync(join(REPO, 'node_modules'), join(work, 'node_modules'));
    const r = spawnSync('npm', ['pack', '--json', '--pack-destination', dest], { cwd: work, encoding: 'utf8', env: npmEnv(), maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`npm pack failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    // prepack/prepare print their own lines first on stdout; the JSON report is the rest.
    const json = r.stdout.slice(r.stdout.indexOf('[\n'));
    const report = (JSON.parse(json) as Packed['report'][])[0]!;
    return { tarball: join(dest, report.filename), report };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
