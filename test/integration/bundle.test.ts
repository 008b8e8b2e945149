// The bundled build (scripts/bundle.js) keeps what makes a loopkeeper process start fast, and its
// code caches (src/code-cache.ts) are used, and harmless when they do not fit. These are the
// properties the start-up ratios of `npm run bench` rest on; the bench measures the time, this
// checks the structure (no timing here).
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, DAEMON, REPO, assertBuilt, cli } from '../helpers/cli';

const DIST = join(REPO, 'dist');
const text = (p: string) => readFileSync(join(DIST, p), 'utf8');
// Markers of each library's code in a bundle: a class each defines.
const ZOD = /\$ZodType\b/;
const YAML = /YAMLParseError/;
const COMMANDER = /CommanderError/;

/** Runs `node -e SCRIPT` and returns its stdout parsed as JSON. */
function nodeJson(script: string): unknown {
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node -e exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('the bundled build', () => {
  beforeAll(assertBuilt);

  it('the CLI entry is small and hands over to main-bundle.js; neither carries zod or yaml', () => {
    expect(readFileSync(CLI, 'utf8').length).toBeLessThan(8 * 1024);
    expect(text('cli/main.js')).toMatch(/^#!\/usr\/bin\/env node\n/);
    const main = text('cli/main-bundle.js');
    expect(main).toMatch(COMMANDER);
    expect(main).not.toMatch(ZOD);
    expect(main).not.toMatch(YAML);
  });

  it('commands are bundles of their own, loaded on use; `status` loads the config parser only without a daemon', () => {
    for (const c of ['plan', 'apply', 'validate', 'status', 'hosts', 'aliases', 'doctor', 'install']) {
      expect({ c, there: existsSync(join(DIST, 'cli', 'commands', `${c}.js`)) }).toEqual({ c, there: true });
    }
    // The config loader and the reconcile pipeline are shared bundles, not copied into each command.
    for (const c of ['plan', 'apply', 'validate', 'down', 'up']) {
      const t = text(`cli/commands/${c}.js`);
      expect({ c, zod: ZOD.test(t), yaml: YAML.test(t), shared: t.includes('lib/config.js') }).toEqual({ c, zod: false, yaml: false, shared: true });
    }
    expect(text('cli/commands/apply.js')).toContain('lib/reconciler.js');
    expect(text('lib/config.js')).toMatch(YAML);
    const status = text('cli/commands/status.js');
    expect(status).not.toMatch(ZOD);
    expect(status).not.toMatch(YAML);
    expect(status).toContain('lib/config.js');
    // The main bundle is loaded from the commands, not copied into them.
    expect(status).not.toMatch(COMMANDER);
  });

  it('the daemon does not carry the config parser (its child does, through lib/config.js)', () => {
    const daemon = readFileSync(DAEMON, 'utf8');
    expect(daemon).not.toMatch(ZOD);
    expect(daemon).not.toMatch(YAML);
    expect(text('daemon/config-child.js')).toContain('lib/config.js');
    expect(text('lib/config.js')).toMatch(ZOD);
  });

  it('the version is built in and every program still answers', () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(cli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(spawnSync(process.execPath, [DAEMON, '--version'], { encoding: 'utf8' })).toMatchObject({ status: 0, stdout: `${version}\n` });
    const v = cli(['validate', join(REPO, 'config', 'loopkeeper.example.yaml')]);
    expect({ code: v.code, stderr: v.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('the trained code caches are accepted by this node', () => {
    const loader = join(DIST, 'code-cache.js');
    for (const b of ['lib/config.js', 'lib/reconciler.js', 'cli/commands/plan.js', 'cli/main-bundle.js']) {
      expect(existsSync(join(DIST, `${b}.cache`))).toBe(true);
      const loaded = nodeJson(
        `const c = require(${JSON.stringify(loader)}); c.requireBundle(${JSON.stringify(join(DIST, b))}); process.stdout.write(JSON.stringify(c.loaded))`,
      );
      expect(loaded).toEqual([{ file: join(DIST, b), cache: 'used' }]);
    }
  });

  describe('a cache that does not fit, or none', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'lk-bundle-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const load = (file: string) =>
      nodeJson(
        `const c = require(${JSON.stringify(join(DIST, 'code-cache.js'))}); const m = c.requireBundle(${JSON.stringify(file)}); ` +
          `const again = c.requireBundle(${JSON.stringify(file)}) === m; ` +
          `process.stdout.write(JSON.stringify({ loaded: c.loaded.map((l) => l.cache), exports: Object.keys(m).sort(), again }))`,
      ) as { loaded: string[]; exports: string[]; again: boolean };

    it('is compiled as usual: the same exports, loaded once', () => {
      const real = load(join(DIST, 'lib', 'config.js'));
      // A copy of the bundle with a cache of another bundle beside it: V8 rejects it.
      const copy = join(dir, 'config.js');
      copyFileSync(join(DIST, 'lib', 'config.js'), copy);
      copyFileSync(join(DIST, 'lib', 'reconciler.js.cache'), `${copy}.cache`);
      const rejected = load(copy);
      expect(rejected.loaded).toEqual(['rejected']);
      expect(rejected.exports).toEqual(real.exports);
      expect(rejected.again).toBe(true);
      writeFileSync(`${copy}.cache`, 'not a cache');
      expect(load(copy).loaded).toEqual(['rejected']);
      rmSync(`${copy}.cache`);
      const none = load(copy);
      expect(none.loaded).toEqual(['none']);
      expect(none.exports).toEqual(real.exports);
    });

    it('the CLI runs from a copy of dist/ without any cache', () => {
      const copy = join(dir, 'pkg');
      cpSync(DIST, join(copy, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.cache') });
      const r = spawnSync(process.execPath, [join(copy, 'dist', 'cli', 'main.js'), 'validate', join(REPO, 'config', 'loopkeeper.example.yaml')], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(/^1 file\(s\) valid/);
    });
  });
});
