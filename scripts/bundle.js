#!/usr/bin/env node
// `npm run build`, after `tsc -p tsconfig.build.json` (which type-checks and emits dist/ module by
// module, for the tests and benchmarks that load single modules): bundles every program with
// esbuild, over the module tsc emitted at the same path, so that the binaries, the service
// templates and the tests keep their paths; then trains the bundles' V8 code caches.
//
// Why: a loopkeeper process spent most of its start resolving, reading and compiling a few
// hundred modules (zod, yaml, commander and ours). A bundle is one read and one compile, and the
// code cache (src/code-cache.ts) saves most of that compile. Layout:
//   dist/cli/main.js            the entry: loads main-bundle.js with its code cache
//   dist/cli/main-bundle.js     commander and the command tree: all that `--version` needs
//   dist/cli/commands/NAME.js   one command with what it uses, loaded when that command runs
//   dist/lib/config.js          the config loader (yaml, zod): for `status` without a daemon,
//   dist/lib/reconciler.js      the reconcile pipeline     and for the daemon's config child
//   dist/daemon/main.js, dist/daemon/config-child.js, dist/service/ready.js
// A bundle loaded by another through requireBundle() gets a code cache: BUNDLE.cache beside it.
'use strict';
const { build } = require('esbuild');
const { spawn } = require('node:child_process');
const { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:http');
const { tmpdir } = require('node:os');
const { join, relative, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const CODE_CACHE = join(SRC, 'code-cache.ts');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
// One id per build, shared by every bundle of it: STATE_DIR's config cache (src/config/cache.ts)
// is never read by a build other than the one that wrote it.
const BUILD_ID = `${version}-${Date.now().toString(36)}-${require('node:crypto').randomBytes(6).toString('hex')}`;

const src = (p) => join(SRC, `${p}.ts`);
const COMMANDS = readdirSync(join(SRC, 'cli', 'commands'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `cli/commands/${f.replace(/\.ts$/, '')}`);

/**
 * Imports of these sources are not copied into the bundle: `bundle` ones become a run-time
 * requireBundle() of their own bundle (with its code cache), `module` ones a plain `require` of
 * the module tsc emitted.
 */
function loadedApart(entry, { bundle = [], module = [] }) {
  const outDir = join(DIST, entry, '..');
  const targets = new Map([...bundle.map((p) => [src(p), 'bundle']), ...module.map((p) => [src(p), 'module'])]);
  return {
    name: 'loaded-apart',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (a) => {
        const base = resolve(a.resolveDir, a.path);
        const target = [`${base}.ts`, join(base, 'index.ts')].find((f) => targets.has(f));
        if (target === undefined) return undefined;
        const kind = targets.get(target);
        const out = kind === 'bundle' ? outOf(relative(SRC, target).replace(/\.ts$/, '')) : relative(SRC, target).replace(/\.ts$/, '');
        let rel = relative(outDir, join(DIST, `${out}.js`)).split('\\').join('/');
        if (!rel.startsWith('.')) rel = `./${rel}`;
        if (kind === 'module') return { path: rel, external: true };
        return { path: rel, namespace: 'bundle-ref' };
      });
      b.onLoad({ filter: /.*/, namespace: 'bundle-ref' }, (a) => ({
        contents: `module.exports = require(${JSON.stringify(CODE_CACHE)}).requireBundle(require('node:path').join(__dirname, ${JSON.stringify(a.path)}));`,
        resolveDir: SRC,
        loader: 'js',
      }));
    },
  };
}

/**
 * commander requires node:child_process when it loads, for subcommands that are separate
 * executables (loopkeeper has none): that module and what it pulls in (dgram, …) cost ~3 ms of
 * every start. Bundled with that require made lazy instead; the build fails if commander changes
 * the line, so this never silently stops applying.
 */
const commanderWithoutChildProcess = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (a) => {
      const text = readFileSync(a.path, 'utf8');
      const line = "const childProcess = require('node:child_process');";
      if (!text.includes(line)) throw new Error(`${a.path}: no \`${line}\` any more: update scripts/bundle.js`);
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: text.replace(line, lazy), loader: 'js' };
    });
  },
};

/** Every bundle: its entry under src/ and what it loads apart. */
const BUNDLES = [
  // The commands stay out of main.js and main.js (the command tree, for `completion`) out of them:
  // the one main.js loaded is shared.
  ['cli/main', { bundle: COMMANDS }, 'cli/main-bundle'],
  // The config loader (yaml, zod) and the reconcile pipeline are one bundle each, shared by every
  // command that uses them instead of copied into each (the package was 9 MB unpacked with the
  // copies). Without a daemon, `status` shows the local plan; with one (the usual case) it must
  // not even parse zod and yaml: loaded on first use, as everywhere.
  ...COMMANDS.map((c) => [c, { module: ['cli/main'], bundle: ['config/index', 'reconcile/reconciler'] }]),
  ['config/index', {}, 'lib/config'],
  ['reconcile/reconciler', {}, 'lib/reconciler'],
  // The daemon loads its config in the child; src/config/index.ts is only its fallback when it runs
  // from sources, so the daemon's bundle does not carry the parser.
  ['daemon/main', { module: ['config/index'] }],
  ['daemon/config-child', { bundle: ['config/index'] }],
  ['service/ready', {}],
];

/** Where the bundle of `entry` goes, under dist/ (without .js). */
function outOf(entry) {
  const b = BUNDLES.find(([e]) => e === entry);
  if (b === undefined) throw new Error(`${entry} is loaded as a bundle but has none in BUNDLES`);
  return b[2] ?? entry;
}

async function bundleAll() {
  await Promise.all(
    BUNDLES.map(async ([entry, apart, out = entry]) => {
      const outfile = join(DIST, `${out}.js`);
      await build({
        entryPoints: [src(entry)],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        // Less to read and parse; names are kept, so stack traces still read.
        minifyWhitespace: true,
        minifySyntax: true,
        legalComments: 'none',
        // Read from package.json at build time instead of at every start (src/version.ts).
        // Dependencies' ES modules are bundled (so tree-shaken); those that read import.meta.url
        // when they load (node-cron computes a path from it) get the bundle's own.
        define: { LOOPKEEPER_VERSION: JSON.stringify(version), LOOPKEEPER_BUILD_ID: JSON.stringify(BUILD_ID), 'import.meta.url': 'import_meta_url' },
        banner: { js: '"use strict";var import_meta_url=require("node:url").pathToFileURL(__filename).href;' },
        // Loaded from node_modules, and only by `doctor`: 430 KB no other command should parse.
        external: ['systeminformation'],
        plugins: [loadedApart(out, apart), commanderWithoutChildProcess],
        logLevel: 'warning',
      });
      rmSync(`${outfile}.map`, { force: true });
      rmSync(`${outfile}.cache`, { force: true });
    }),
  );
  // The CLI's entry: main-bundle.js run as this module, so that its `require.main === module`
  // (start the CLI) holds exactly when this file is the program.
  await build({
    stdin: {
      contents: "require('../code-cache').requireBundle(require('node:path').join(__dirname, 'main-bundle.js'), module);",
      resolveDir: join(SRC, 'cli'),
      sourcefile: 'cli-entry.js',
      loader: 'js',
    },
    outfile: join(DIST, 'cli', 'main.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifyWhitespace: true,
    minifySyntax: true,
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  rmSync(join(DIST, 'cli', 'main.js.map'), { force: true });
  chmodSync(join(DIST, 'cli', 'main.js'), 0o755);
  // The modules that only the bundles load under these names.
  for (const m of ['lib/config', 'lib/reconciler', 'cli/main-bundle']) rmSync(join(DIST, `${m}.js.map`), { force: true });
}

// ---- training the code caches ----

/** A status answer for the training run of `status` (only its shape matters). */
const STATUS_DOC = {
  daemon: { version, pid: 1, uptimeSeconds: 1, hostsFile: '/x', interface: 'lo' },
  config: { files: ['/x.yaml'], valid: true, error: null, warnings: ['w'] },
  lastReconcile: { at: 'now', durationMs: 1, trigger: 'start', result: 'ok', changes: [], problems: [] },
  conditions: [{ type: 'Ready', status: 'True', reason: 'R', message: 'm', lastTransitionTime: 'now' }],
  aliases: [{ address: '127.0.0.2', state: 'present', owned: true, desired: true }],
  hosts: [{ name: 'api.example.test', addresses: ['127.0.0.2'], state: 'present', detail: '' }],
  changes: [],
  drift: { repairs: 0, lastAt: null },
};

/**
 * Runs each command the way users run it most, against files in a temporary directory (nothing on
 * the machine is read or changed but the example config), each bundle writing its cache at exit;
 * a bundle run twice keeps what both runs compiled. Bundles no run loads have no cache and are
 * compiled as usual.
 */
async function train() {
  const dir = mkdtempSync(join(tmpdir(), 'loopkeeper-build-'));
  const sock = join(dir, 'sock');
  const server = createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(req.url === '/v1/status' ? STATUS_DOC : { result: 'ok', changes: [], problems: [] }));
  });
  await new Promise((r) => server.listen(sock, r));
  try {
    writeFileSync(join(dir, 'hosts'), '127.0.0.1\tlocalhost\n::1\tlocalhost\n');
    const example = join(ROOT, 'config', 'loopkeeper.example.yaml');
    const flags = ['--config', example, '--hosts-file', join(dir, 'hosts'), '--state-dir', join(dir, 'state'), '--socket', join(dir, 'none')];
    const cli = join(DIST, 'cli', 'main.js');
    const runs = [
      [['plan', ...flags], [0]],
      [['apply', '--dry-run', ...flags], [0]],
      [['validate', example], [0]],
      [['schema'], [0]],
      [['status', ...flags], [4]], // no daemon: the local plan
      [['status', ...flags.slice(0, -1), sock], [0]],
      [['status', '--json', ...flags.slice(0, -1), sock], [0]],
      [['hosts', 'list', ...flags], [0]],
      [['aliases', 'list', ...flags], [0]],
      [['completion', 'bash'], [0]],
    ];
    // The servers answer the training runs, so they run while this process waits.
    for (const [args, expect] of runs) await runAsync([cli, ...args], expect);
    const runtime = { configPaths: [example], defaultConfigFile: example, hostsFile: join(dir, 'hosts'), socket: sock, stateDir: join(dir, 'state'), interfaceName: 'lo', platform: process.platform };
    await runAsync([join(DIST, 'daemon', 'config-child.js'), JSON.stringify({ runtime, strictModes: false })], [0]);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function runAsync(argv, expect) {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, argv, { env: { ...process.env, LOOPKEEPER_WRITE_CODE_CACHE: '1', NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', rej);
    child.on('close', (code) => {
      if (expect.includes(code)) res();
      else rej(new Error(`training run \`node ${argv.join(' ')}\` exited ${code} (expected ${expect.join(' or ')}): ${err}`));
    });
  });
}

bundleAll()
  .then(train)
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
