// Which files make up the config, what the daemon watches, and StrictModes.
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configWatchPaths, loadConfig, loadDesiredState, resolveConfigFiles } from '../../../src/config';
import { editDirOf, namedConfigFiles } from '../../../src/config/files';
import { resolveRuntime, type Runtime } from '../../../src/runtime';
import { brief, tempDir } from './helpers';

const V = 'version: 1\n';

function runtimeFor(dir: string, configPaths: string[] | null = null): Runtime {
  return { ...resolveRuntime({}, {}, 'linux'), configPaths, defaultConfigFile: join(dir, 'loopkeeper.yaml') };
}

describe('resolveConfigFiles', () => {
  it('default file plus conf.d/*.yaml|*.yml in lexical order, dotfiles and other names skipped', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'loopkeeper.yaml'), V);
    mkdirSync(join(dir, 'conf.d'));
    for (const n of ['20-b.yml', '10-a.yaml', 'B.yaml', 'a.yaml', '.#lock.yaml', 'notes.txt', 'x.yaml.bak']) writeFileSync(join(dir, 'conf.d', n), V);
    const r = await resolveConfigFiles(runtimeFor(dir));
    expect(r.diagnostics).toEqual([]);
    expect(r.files).toEqual([join(dir, 'loopkeeper.yaml'), ...['10-a.yaml', '20-b.yml', 'B.yaml', 'a.yaml'].map((n) => join(dir, 'conf.d', n))]);
  });
  it('a missing conf.d is fine', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'loopkeeper.yaml'), V);
    expect(await resolveConfigFiles(runtimeFor(dir))).toEqual({ files: [join(dir, 'loopkeeper.yaml')], diagnostics: [] });
  });
  it('a missing default file is an error that says how to fix it', async () => {
    const dir = tempDir();
    const r = await resolveConfigFiles(runtimeFor(dir));
    expect(r.files).toEqual([]);
    expect(r.diagnostics).toEqual([
      {
        file: join(dir, 'loopkeeper.yaml'),
        line: 1,
        col: 1,
        severity: 'error',
        message: 'no config file; create it (see config/loopkeeper.example.yaml) or pass --config',
      },
    ]);
    const loaded = await loadDesiredState(runtimeFor(dir), { strictModes: false });
    expect(loaded.desired).toBeNull();
    expect(loaded.diagnostics.map(brief)).toEqual([
      '1:1 error: no config file; create it (see config/loopkeeper.example.yaml) or pass --config',
    ]);
  });
  it('explicit paths keep their order; a directory stands for its *.yaml/*.yml files; repeats are dropped', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', 'b.yaml'), V);
    writeFileSync(join(dir, 'd', 'a.yml'), V);
    writeFileSync(join(dir, 'z.yaml'), V);
    const r = await resolveConfigFiles(runtimeFor(dir, [join(dir, 'z.yaml'), join(dir, 'd'), join(dir, 'd', 'a.yml'), join(dir, 'missing.yaml')]));
    expect(r.diagnostics).toEqual([]);
    expect(r.files).toEqual([join(dir, 'z.yaml'), join(dir, 'd', 'a.yml'), join(dir, 'd', 'b.yaml'), join(dir, 'missing.yaml')]);
  });
  it('a directory without config files is an error (an empty desired state would prune everything)', async () => {
    const dir = tempDir();
    const r = await resolveConfigFiles(runtimeFor(dir, [dir]));
    expect(r.diagnostics.map(brief)).toEqual(['1:1 error: is a directory without *.yaml or *.yml files; put the config there or pass a file (searched it and its conf.d/)']);
  });
  it('a --config DIR is laid out like the default: its *.yaml, then its conf.d/*.yaml (SPEC "Binaries")', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'team.yaml'), V);
    writeFileSync(join(dir, 'a.yaml'), V);
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', 'local.yaml'), V);
    writeFileSync(join(dir, 'conf.d', 'vpn.yaml.disabled'), V);
    const r = await resolveConfigFiles(runtimeFor(dir, [dir]));
    expect(r.diagnostics).toEqual([]);
    expect(r.files).toEqual([join(dir, 'a.yaml'), join(dir, 'team.yaml'), join(dir, 'conf.d', 'local.yaml')]);
  });
  it('a --config DIR with files only in conf.d/ is fine', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', 'x.yaml'), V);
    expect(await resolveConfigFiles(runtimeFor(dir, [dir]))).toEqual({ files: [join(dir, 'conf.d', 'x.yaml')], diagnostics: [] });
  });
  it('an overlay adds a new file in its lexical place, in a conf.d/ that does not exist yet, and hides a removed one', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'loopkeeper.yaml'), V);
    const overlay = new Map([[join(dir, 'conf.d', 'local.yaml'), V]]);
    expect((await resolveConfigFiles(runtimeFor(dir), overlay)).files).toEqual([join(dir, 'loopkeeper.yaml'), join(dir, 'conf.d', 'local.yaml')]);
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', 'b.yaml'), V);
    writeFileSync(join(dir, 'conf.d', 'd.yaml'), V);
    const both = new Map<string, string | null>([
      [join(dir, 'conf.d', 'c.yaml'), V],
      [join(dir, 'conf.d', 'd.yaml'), null],
      [join(dir, 'conf.d', 'e.yaml.disabled'), V],
    ]);
    expect((await resolveConfigFiles(runtimeFor(dir), both)).files).toEqual(['loopkeeper.yaml', 'conf.d/b.yaml', 'conf.d/c.yaml'].map((n) => join(dir, n)));
  });
});

describe('editDirOf and namedConfigFiles', () => {
  it('default: conf.d beside the default file; --config DIR: DIR/conf.d; only files: none', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'one.yaml'), V);
    expect(editDirOf(runtimeFor(dir))).toBe(join(dir, 'conf.d'));
    expect(editDirOf(runtimeFor(dir, [join(dir, 'one.yaml'), dir]))).toBe(join(dir, 'conf.d'));
    expect(editDirOf(runtimeFor(dir, [join(dir, 'one.yaml')]))).toBeNull();
    expect([...namedConfigFiles(runtimeFor(dir, [join(dir, 'one.yaml'), dir]))]).toEqual([join(dir, 'one.yaml')]);
    expect(namedConfigFiles(runtimeFor(dir)).size).toBe(0);
  });
});

describe('loadDesiredState with an overlay (an edit validated before it is written)', () => {
  it('uses the candidate text, reports problems at its lines, and leaves the disk alone', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'loopkeeper.yaml'), `${V}hosts:\n  a.test: 127.0.0.2\n`);
    const candidate = join(dir, 'conf.d', 'local.yaml');
    const ok = await loadDesiredState(runtimeFor(dir), { strictModes: false, overlay: new Map([[candidate, `${V}hosts:\n  b.test: 127.0.0.3\n`]]) });
    expect(ok.files).toEqual([join(dir, 'loopkeeper.yaml'), candidate]);
    expect(ok.desired?.hosts.map((h) => h.name)).toEqual(['a.test', 'b.test']);
    const bad = await loadDesiredState(runtimeFor(dir), { strictModes: false, overlay: new Map([[candidate, `${V}hosts:\n  a.test: 127.0.0.9\n`]]) });
    expect(bad.desired).toBeNull();
    expect(bad.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}`)).toEqual([`${candidate}:3:3`]);
    const binary = await loadDesiredState(runtimeFor(dir), { strictModes: false, overlay: new Map([[candidate, 'version: 1\u0000']]) });
    expect(binary.diagnostics.map(brief)[0]).toMatch(/contains a NUL byte/);
    expect(existsSync(join(dir, 'conf.d'))).toBe(false);
  });
});

describe('loadDesiredState', () => {
  it('merges the default file and conf.d in order', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'loopkeeper.yaml'), `${V}aliases: [127.0.0.3]\nhosts:\n  a.test: 127.0.0.3\n`);
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', '10-team.yaml'), `${V}aliases: [127.0.0.2]\nsettings:\n  prune: false\n`);
    const r = await loadDesiredState(runtimeFor(dir), { strictModes: false });
    expect(r.diagnostics).toEqual([]);
    expect(r.files).toEqual([join(dir, 'loopkeeper.yaml'), join(dir, 'conf.d', '10-team.yaml')]);
    expect(r.desired).toEqual({
      aliases: ['127.0.0.3', '127.0.0.2'],
      hosts: [{ name: 'a.test', addresses: ['127.0.0.3'] }],
      settings: { schedule: '* * * * *', prune: false, allowAliasRanges: [], aliasesFromHosts: true },
    });
  });
  it('one bad file makes the whole desired state null', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'loopkeeper.yaml'), `${V}aliases: [127.0.0.2]\n`);
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', 'x.yaml'), 'version: 2\n');
    const r = await loadDesiredState(runtimeFor(dir), { strictModes: false });
    expect(r.desired).toBeNull();
    expect(r.diagnostics).toHaveLength(1);
  });
});

describe('configWatchPaths', () => {
  it('default layout: the file, its directory, conf.d and the files in it (existing paths only)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'loopkeeper.yaml'), V);
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', 'a.yaml'), V);
    expect(configWatchPaths(runtimeFor(dir))).toEqual([join(dir, 'loopkeeper.yaml'), dir, join(dir, 'conf.d'), join(dir, 'conf.d', 'a.yaml')]);
  });
  it('a missing default file: its directory is still watched, so creating it is noticed', () => {
    const dir = tempDir();
    expect(configWatchPaths(runtimeFor(dir))).toEqual([dir]);
  });
  it('explicit files and directories', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', 'a.yaml'), V);
    writeFileSync(join(dir, 'one.yaml'), V);
    expect(configWatchPaths(runtimeFor(dir, [join(dir, 'one.yaml'), join(dir, 'd')]))).toEqual([
      join(dir, 'one.yaml'),
      dir,
      join(dir, 'd'),
      join(dir, 'd', 'a.yaml'),
    ]);
  });
  it('a --config DIR: its conf.d/ and the files in it too (where CLI edits and profiles go)', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'team.yaml'), V);
    writeFileSync(join(dir, 'conf.d', 'local.yaml'), V);
    expect(configWatchPaths(runtimeFor(dir, [dir]))).toEqual([dir, join(dir, 'team.yaml'), join(dir, 'conf.d'), join(dir, 'conf.d', 'local.yaml')]);
  });
});

describe('StrictModes (when running as root)', () => {
  async function strict(path: string): Promise<string[]> {
    return (await loadConfig([path], { strictModes: true, platform: 'linux' })).diagnostics.map(brief);
  }
  function safeDir(): string {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    return dir;
  }
  it('a 0644 file in a 0755 directory is accepted', async () => {
    const dir = safeDir();
    writeFileSync(join(dir, 'c.yaml'), V, { mode: 0o644 });
    chmodSync(join(dir, 'c.yaml'), 0o644);
    expect(await strict(join(dir, 'c.yaml'))).toEqual([]);
  });
  it('a group- or world-writable file is refused with the exact chmod', async () => {
    const dir = safeDir();
    const file = join(dir, 'c.yaml');
    writeFileSync(file, V);
    chmodSync(file, 0o664);
    expect(await strict(file)).toEqual([
      `1:1 error: ${file} is writable by its group (mode 0664); loopkeeper runs as root and refuses it — fix: chmod go-w ${file}`,
    ]);
    chmodSync(file, 0o666);
    expect(await strict(file)).toEqual([
      `1:1 error: ${file} is writable by its group and others (mode 0666); loopkeeper runs as root and refuses it — fix: chmod go-w ${file}`,
    ]);
    const loaded = await loadConfig([file], { strictModes: true, platform: 'linux' });
    expect(loaded.desired).toBeNull();
    expect((await loadConfig([file], { strictModes: false, platform: 'linux' })).desired).not.toBeNull();
  });
  it('a writable directory is refused with the chmod for the directory; paths with spaces are quoted', async () => {
    const parent = safeDir();
    const dir = join(parent, 'my conf');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const file = join(dir, 'c.yaml');
    writeFileSync(file, V);
    chmodSync(file, 0o644);
    expect(await strict(file)).toEqual([
      `1:1 error: ${dir} is writable by its group and others (mode 0777); loopkeeper runs as root and refuses it — fix: chmod go-w '${dir}'`,
    ]);
  });
  it('a root-owned sticky shared directory (like /tmp) is fine: nobody else can replace what root put there', async () => {
    const dir = safeDir();
    chmodSync(dir, 0o1777);
    writeFileSync(join(dir, 'c.yaml'), V);
    chmodSync(join(dir, 'c.yaml'), 0o600);
    expect(await strict(join(dir, 'c.yaml'))).toEqual([]);
  });
  it('through a symlink, the real file and its directory are checked', async () => {
    const real = safeDir();
    const open = join(real, 'open');
    mkdirSync(open);
    chmodSync(open, 0o775);
    writeFileSync(join(open, 'c.yaml'), V);
    chmodSync(join(open, 'c.yaml'), 0o644);
    const linkDir = safeDir();
    symlinkSync(join(open, 'c.yaml'), join(linkDir, 'c.yaml'));
    expect(await strict(join(linkDir, 'c.yaml'))).toEqual([
      `1:1 error: ${open} is writable by its group (mode 0775); loopkeeper runs as root and refuses it — fix: chmod go-w ${open}`,
    ]);
  });
  it('is skipped on Windows, where mode bits mean nothing', async () => {
    const dir = safeDir();
    writeFileSync(join(dir, 'c.yaml'), V);
    chmodSync(join(dir, 'c.yaml'), 0o666);
    expect((await loadConfig([join(dir, 'c.yaml')], { strictModes: true, platform: 'win32' })).diagnostics).toEqual([]);
  });
});
