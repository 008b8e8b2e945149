// STATE_DIR/config-cache.json (src/config/cache.ts): a hit gives exactly what a fresh parse of
// the same bytes gives; any byte change, another file list, a damaged, untrusted or linked file
// is a miss; only apply writes it, and only for a valid config.
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../../src/config';
import { CONFIG_CACHE_FILE, readConfigCache } from '../../../src/config/cache';
import { tempDir } from './helpers';

const ALIASES = ['version: 1', 'aliases:', ...Array.from({ length: 300 }, (_, i) => `  - 127.0.${10 + (i >> 8)}.${i & 255}`), ''].join('\n');

function setup(text = ALIASES): { file: string; state: string; cachePath: string } {
  const dir = tempDir('lk-config-cache-');
  const file = join(dir, 'loopkeeper.yaml');
  writeFileSync(file, text);
  const state = join(dir, 'state');
  mkdirSync(state, { mode: 0o755 });
  return { file, state, cachePath: join(state, CONFIG_CACHE_FILE) };
}

const load = (files: string[], state: string, write: boolean): Promise<LoadedConfig> =>
  loadConfig(files, { strictModes: false, platform: 'linux', cache: { stateDir: state, write } });

/** Replaces the stored desired state with a forged one (aliases 127.9.9.9), keeping the rest. */
function forge(cachePath: string): void {
  const entry = JSON.parse(readFileSync(cachePath, 'utf8'));
  entry.desired.aliases = ['127.9.9.9'];
  writeFileSync(cachePath, JSON.stringify(entry), { mode: 0o600 });
  chmodSync(cachePath, 0o600);
}

describe('config cache', () => {
  it('apply stores a valid result; the next load of the same bytes is a hit equal to a fresh parse', async () => {
    const { file, state, cachePath } = setup();
    const fresh = await loadConfig([file], { strictModes: false, platform: 'linux' });
    const first = await load([file], state, true);
    expect(first).toEqual(fresh);
    expect(existsSync(cachePath)).toBe(true);
    expect(readFileSync(cachePath).length).toBeGreaterThan(0);
    // The stored entry really is what the next load returns: a forged desired state shows up.
    forge(cachePath);
    const hit = await load([file], state, false);
    expect(hit.desired?.aliases).toEqual(['127.9.9.9']);
    expect(hit.files).toEqual([file]);
  });

  it('keeps warnings: a hit reports the same diagnostics as the parse that stored it', async () => {
    const { file, state } = setup('version: 1\naliases:\n  - 127.0.0.2\nhosts:\n  api.myteam.test: [127.0.0.2, 127.0.0.2]\n');
    const first = await load([file], state, true);
    expect(first.desired).not.toBeNull();
    expect(first.diagnostics.map((d) => d.severity)).toContain('warning');
    const second = await load([file], state, false);
    expect(second).toEqual(first);
  });

  it('one changed byte (same length) is a miss and the new text is parsed', async () => {
    const { file, state, cachePath } = setup();
    await load([file], state, true);
    forge(cachePath);
    writeFileSync(file, ALIASES.replace('127.0.10.5\n', '127.0.10.6\n'));
    const after = await load([file], state, false);
    expect(after.desired).not.toBeNull();
    expect(after.desired!.aliases).not.toContain('127.9.9.9');
    // 127.0.10.6 now twice: the duplicate is reported, as a fresh parse reports it.
    expect(after).toEqual(await loadConfig([file], { strictModes: false, platform: 'linux' }));
  });

  it('another file list (one more file) is a miss', async () => {
    const { file, state, cachePath } = setup();
    await load([file], state, true);
    forge(cachePath);
    const other = join(state, '..', 'more.yaml');
    writeFileSync(other, 'version: 1\naliases:\n  - 127.0.99.1\n');
    const after = await load([file, other], state, false);
    expect(after.desired!.aliases).toContain('127.0.99.1');
    expect(after.desired!.aliases).not.toContain('127.9.9.9');
  });

  it('a cache file writable by group or others, a symlink, junk or a foreign build is ignored', async () => {
    const { file, state, cachePath } = setup();
    await load([file], state, true);
    forge(cachePath);
    const entry = readFileSync(cachePath, 'utf8');
    const texts = [{ file, text: readFileSync(file, 'utf8') }];
    expect(readConfigCache(state, texts)?.desired.aliases).toEqual(['127.9.9.9']);

    chmodSync(cachePath, 0o666);
    expect(readConfigCache(state, texts)).toBeNull();
    expect((await load([file], state, false)).desired!.aliases).toHaveLength(300);
    chmodSync(cachePath, 0o620);
    expect(readConfigCache(state, texts)).toBeNull();

    const elsewhere = join(state, '..', 'planted.json');
    writeFileSync(elsewhere, entry, { mode: 0o600 });
    const { rmSync } = require('node:fs') as typeof import('node:fs');
    rmSync(cachePath);
    symlinkSync(elsewhere, cachePath);
    expect(readConfigCache(state, texts)).toBeNull();
    rmSync(cachePath);

    for (const junk of ['', '{', 'null', '[]', '{"format":1}', entry.replace('"aliases":["127.9.9.9"]', '"aliases":[1]')]) {
      writeFileSync(cachePath, junk, { mode: 0o600 });
      expect(readConfigCache(state, texts)).toBeNull();
    }
    writeFileSync(cachePath, entry.replace(/"build":"[^"]*"/, '"build":"another build"'), { mode: 0o600 });
    expect(readConfigCache(state, texts)).toBeNull();
  });

  it('a state dir others can write is not used for the cache, neither read nor written', async () => {
    const { file, state, cachePath } = setup();
    chmodSync(state, 0o777);
    await load([file], state, true);
    expect(existsSync(cachePath)).toBe(false);
    chmodSync(state, 0o755);
    await load([file], state, true);
    forge(cachePath);
    chmodSync(state, 0o777);
    expect((await load([file], state, false)).desired!.aliases).toHaveLength(300);
    chmodSync(state, 0o755);
  });

  it('read-only use (plan) writes nothing; an invalid config is never stored; a missing state dir is not created', async () => {
    const { file, state, cachePath } = setup();
    await load([file], state, false);
    expect(existsSync(cachePath)).toBe(false);
    writeFileSync(file, 'version: 1\naliases:\n  - 10.0.0.1\n');
    const bad = await load([file], state, true);
    expect(bad.desired).toBeNull();
    expect(existsSync(cachePath)).toBe(false);
    writeFileSync(file, ALIASES);
    const missing = join(state, 'not-yet');
    await load([file], missing, true);
    expect(existsSync(missing)).toBe(false);
  });

  it('a refused or unreadable file is never answered from the cache', async () => {
    const { file, state } = setup();
    await load([file], state, true);
    const { rmSync } = require('node:fs') as typeof import('node:fs');
    rmSync(file);
    const gone = await load([file], state, false);
    expect(gone.desired).toBeNull();
    expect(gone.diagnostics[0]!.severity).toBe('error');
  });
});
