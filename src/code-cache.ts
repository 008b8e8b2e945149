// Loading a bundle of the build with V8's code cache. Node 20 has no compile cache of its own
// (module.enableCompileCache() came with Node 22), and a process that loads a 450 KB bundle spends
// a large part of its start compiling it: parsing it, then compiling each function the first time
// it runs. `npm run build` runs each bundle once and stores V8's code for it beside it
// (BUNDLE.cache: bytecode of every function that ran); this loader hands that to V8, which then
// neither parses nor compiles those functions again.
//
// Only scripts/build.js writes caches (LOOPKEEPER_WRITE_CODE_CACHE=1 while it trains the bundles),
// into dist/ beside the bundles, so a cache is as trusted as the code it belongs to; nothing is
// written at run time. V8 checks a cache against its own version, its flags and the source, and
// rejects one that does not fit (another node, another build): the bundle is then compiled as
// usual, only slower. A missing cache is the same.
import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** How a bundle was loaded (tests and the benchmark report it). */
export const loaded: { file: string; cache: 'used' | 'rejected' | 'none' }[] = [];

const pending: { file: string; script: Script }[] = [];

/**
 * Loads the CommonJS bundle `file` (an absolute path) as `require(file)` would, compiled with its
 * code cache `file.cache` when there is one that V8 accepts. Cached like `require` too (a second
 * call returns the same exports). With `as`, the bundle runs as that module instead (its
 * `module`, `exports` and `require.main === module`): how a program's small entry file hands
 * over to its bundle.
 */
export function requireBundle(file: string, as?: NodeJS.Module): unknown {
  const known = require.cache[file];
  if (known !== undefined && as === undefined) return known.exports;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    cachedData = undefined; // no cache (a build without training, or it was deleted): compile
  }
  const source = readFileSync(file, 'utf8');
  const script = new Script(wrap(source), { filename: file, cachedData });
  loaded.push({ file, cache: cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used' });
  if (process.env.LOOPKEEPER_WRITE_CODE_CACHE === '1') {
    if (pending.length === 0) process.once('exit', writeCaches);
    pending.push({ file, script });
  }
  const fn = script.runInThisContext() as (...a: unknown[]) => void;
  if (as !== undefined) {
    fn.call(as.exports, as.exports, Module.createRequire(file), as, file, dirname(file));
    return as.exports;
  }
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  require.cache[file] = mod;
  try {
    fn.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  } catch (e) {
    delete require.cache[file];
    throw e;
  }
  mod.loaded = true;
  return mod.exports;
}

/** The CommonJS function wrapper, as node's loader adds it (a shebang line is no JavaScript). */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source.replace(/^#!.*/, '')}\n});`;
}

/** At exit of a training run: V8's code for each loaded bundle, with every function that ran. */
function writeCaches(): void {
  for (const { file, script } of pending) writeFileSync(`${file}.cache`, script.createCachedData());
}
