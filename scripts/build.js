#!/usr/bin/env node
// Builds dist/ for npm's lifecycle hooks. Not shipped: a packed tarball already holds dist/ and an
// install from it (or from the registry) builds nothing and runs no script of ours.
//
//   node scripts/build.js --clean      `prepack`: remove dist/, then compile. TypeScript is required:
//                                      a tarball must never ship a stale or partial dist/.
//   node scripts/build.js --if-needed  `prepare` (npm ci, npm install, `npm install -g .`): compile
//                                      when TypeScript is installed. It is a devDependency, so
//                                      `npm install -g .` in a fresh clone has none: then an existing
//                                      dist/ is used as it is, and without one the install stops
//                                      with what to run (instead of npm's bare "tsc: not found";
//                                      succeeding would put a `loopkeeper` on PATH that cannot start).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const mode = process.argv[2];
if (mode !== '--clean' && mode !== '--if-needed') {
  process.stderr.write('usage: node scripts/build.js --clean | --if-needed\n');
  process.exit(2);
}

// `npm pack` and `npm publish` run prepack (a clean build) and then prepare: once is enough.
if (mode === '--if-needed' && (process.env.npm_command === 'pack' || process.env.npm_command === 'publish')) process.exit(0);

let tsc = null;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
} catch {
  tsc = null;
}

if (tsc === null) {
  const built = ['cli', 'daemon'].every((d) => existsSync(join(root, 'dist', d, 'main.js')));
  if (mode === '--if-needed' && built) {
    process.stderr.write('loopkeeper: TypeScript (a dev dependency) is not installed here: using the dist/ that is already built.\n');
    process.exit(0);
  }
  process.stderr.write(
    `loopkeeper: cannot build dist/ in ${root}: TypeScript, a dev dependency, is not installed there.\n` +
      '  From a clone: run `npm ci` first (it installs TypeScript and builds), then `npm install -g .`.\n' +
      '  Or install a package that ships dist/: `npm pack` here, then `npm install -g ./loopkeeper-<version>.tgz`.\n',
  );
  process.exit(1);
}

if (mode === '--clean') rmSync(join(root, 'dist'), { recursive: true, force: true });
// tsc emits every module (and type-checks); scripts/bundle.js then bundles the programs over
// their entry modules with esbuild, the same two steps as `npm run build`.
for (const argv of [[tsc, '-p', join(root, 'tsconfig.build.json')], [join(__dirname, 'bundle.js')]]) {
  const r = spawnSync(process.execPath, argv, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    process.stderr.write(`loopkeeper: could not run ${argv[0]}: ${r.error.message}\n`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}
