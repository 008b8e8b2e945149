// StrictModes is checked BEFORE a config file is read, by owner and mode of the resolved file and
// every directory up to /, and of every directory a name is looked up in on the way (symlinks
// included). Each attack plants content that a parse error would quote ("SECRET-…"): a refused
// file must produce no message containing it. Making files another user owns needs root: under
// CI=true these tests must run, elsewhere they skip with the reason.
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config';
import { configFileProblems } from '../../../src/config/strict-modes';
import { brief } from './helpers';

const root = process.getuid?.() === 0;
if (!root && process.env.CI === 'true') throw new Error('strict-modes tests need root in CI (they chown files to another user)');
if (!root) console.warn('skipping strict-modes.test.ts: it needs root to make files another user owns'); // eslint-disable-line no-console
const maybe = root ? describe : describe.skip;
const EVE = 65534;

/** A config whose parse errors would quote its lines: any of them in a message is a leak. */
const SECRET = 'version: 1\naliases:\n  - SECRET-alias-line\nhosts:\n  SECRET-host-line: 10.9.9.9\nSECRET-key: SECRET-value\n';

maybe('StrictModes before read (as root)', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'lk-strict-'));
    chmodSync(base, 0o755);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  async function strict(path: string): Promise<string[]> {
    const loaded = await loadConfig([path], { strictModes: true, platform: 'linux' });
    expect(loaded.desired).toBeNull();
    return loaded.diagnostics.map(brief);
  }
  function noLeak(messages: string[]): void {
    expect(messages.join('\n')).not.toMatch(/SECRET/);
    expect(messages.length).toBeGreaterThan(0);
  }
  function dir(path: string, mode = 0o755, uid = 0): string {
    mkdirSync(path, { recursive: true });
    chmodSync(path, mode);
    chownSync(path, uid, uid);
    return path;
  }
  function file(path: string, text = SECRET, mode = 0o644, uid = 0): string {
    writeFileSync(path, text);
    chmodSync(path, mode);
    chownSync(path, uid, uid);
    return path;
  }
  /** A root-only file elsewhere, as /etc/shadow is. */
  function rootSecret(): string {
    return file(join(dir(join(base, 'etc-secret'), 0o700), 'shadow'), SECRET, 0o600);
  }

  it('a file owned by another user is refused, with the chown, and not read', async () => {
    const f = file(join(dir(join(base, 'conf')), 'c.yaml'), SECRET, 0o644, EVE);
    const m = await strict(f);
    expect(m).toEqual([`1:1 error: ${f} is owned by uid ${EVE}, not root; loopkeeper runs as root and refuses it — fix: chown root ${f}`]);
    noLeak(m);
  });

  it('a world-writable grandparent is refused, with the chmod', async () => {
    const gp = dir(join(base, 'gp'), 0o777);
    const f = file(join(dir(join(gp, 'p', 'conf')), 'c.yaml'));
    const m = await strict(f);
    expect(m).toEqual([`1:1 error: ${gp} is writable by its group and others (mode 0777); loopkeeper runs as root and refuses it — fix: chmod go-w ${gp}`]);
    noLeak(m);
  });

  it('a root symlink into another user’s directory is refused (the target’s directory is checked)', async () => {
    const eveDir = dir(join(base, 'home-eve'), 0o755, EVE);
    const target = file(join(eveDir, 'evil.yaml'));
    const confd = dir(join(base, 'conf.d'));
    symlinkSync(target, join(confd, 'x.yaml'));
    const m = await strict(join(confd, 'x.yaml'));
    expect(m).toEqual([`1:1 error: ${eveDir} is owned by uid ${EVE}, not root; loopkeeper runs as root and refuses it — fix: chown root ${eveDir}`]);
    noLeak(m);
  });

  it('a symlink to a root-only file, planted in a directory others can write, is refused and its lines never appear', async () => {
    const secret = rootSecret();
    const confd = dir(join(base, 'conf.d'), 0o777);
    symlinkSync(secret, join(confd, 'x.yaml'));
    const m = await strict(join(confd, 'x.yaml'));
    expect(m.join('\n')).toContain(`${confd} is writable by its group and others`);
    noLeak(m);
  });

  it('the same link in a directory another user owns (0755) is refused, though the file it resolves to is trusted', async () => {
    const secret = rootSecret();
    const eveDir = dir(join(base, 'eve'), 0o755, EVE);
    symlinkSync(secret, join(eveDir, 'x.yaml'));
    // fs/trust alone looks at the resolved path only, and would accept it.
    expect(configFileProblems(secret)).toEqual([]);
    const m = await strict(join(eveDir, 'x.yaml'));
    expect(m.join('\n')).toContain(`${eveDir} is owned by uid ${EVE}`);
    noLeak(m);
  });

  it('a chain of links through another user’s directory is refused: root link -> eve’s link -> root-only file', async () => {
    const secret = rootSecret();
    const eveDir = dir(join(base, 'eve'), 0o755, EVE);
    const hop = join(eveDir, 'hop.yaml');
    symlinkSync(secret, hop);
    lchownSync(hop, EVE, EVE);
    const confd = dir(join(base, 'conf.d'));
    symlinkSync(hop, join(confd, 'x.yaml'));
    const m = await strict(join(confd, 'x.yaml'));
    expect(m.join('\n')).toContain(`${hop} (on the way to ${join(confd, 'x.yaml')}) is a symbolic link owned by uid ${EVE}`);
    expect(m.join('\n')).toContain(`${eveDir} is owned by uid ${EVE}`);
    noLeak(m);
  });

  it('a symlinked directory component inside a writable directory is refused (it can be re-pointed)', async () => {
    const safe = dir(join(base, 'safe'));
    file(join(safe, 'c.yaml'));
    const open = dir(join(base, 'open'), 0o777);
    symlinkSync(safe, join(open, 'sub'));
    const m = await strict(join(open, 'sub', 'c.yaml'));
    expect(m.join('\n')).toContain(`${open} is writable by its group and others`);
    noLeak(m);
  });

  it('a link owned by another user in a root-owned sticky directory (like /tmp) is refused', async () => {
    const secret = rootSecret();
    const sticky = dir(join(base, 'tmp'), 0o1777);
    const link = join(sticky, 'c.yaml');
    symlinkSync(secret, link);
    lchownSync(link, EVE, EVE);
    const m = await strict(link);
    expect(m.join('\n')).toContain('is a symbolic link owned by uid 65534');
    noLeak(m);
  });

  it('accepts root’s own files, also in a root-owned sticky directory and through root’s links in trusted directories', async () => {
    const good = 'version: 1\naliases: [127.0.0.2]\n';
    const sticky = dir(join(base, 'tmp'), 0o1777);
    const inSticky = file(join(sticky, 'c.yaml'), good);
    const etc = dir(join(base, 'etc', 'loopkeeper'));
    const real = file(join(etc, 'real.yaml'), good, 0o600);
    symlinkSync(real, join(etc, 'link.yaml'));
    for (const p of [inSticky, real, join(etc, 'link.yaml')]) {
      const r = await loadConfig([p], { strictModes: true, platform: 'linux' });
      expect({ p, d: r.diagnostics }).toEqual({ p, d: [] });
      expect(r.desired?.aliases).toEqual(['127.0.0.2']);
    }
  });

  it('a missing file: "no such file" in a trusted directory, refused in an untrusted one (someone could create it)', async () => {
    const ok = dir(join(base, 'ok'));
    expect(await strict(join(ok, 'absent.yaml'))).toEqual(['1:1 error: no such file']);
    const open = dir(join(base, 'open'), 0o777);
    expect((await strict(join(open, 'absent.yaml'))).join('\n')).toContain('writable by its group and others');
  });

  it('a FIFO is refused without hanging, a directory is named as one', async () => {
    const d = dir(join(base, 'd'));
    spawnSync('mkfifo', [join(d, 'fifo.yaml')]);
    expect(await strict(join(d, 'fifo.yaml'))).toEqual(['1:1 error: is not a regular file']);
    dir(join(d, 'sub.yaml'));
    expect((await strict(join(d, 'sub.yaml')))[0]).toMatch(/is a directory, not a config file/);
  });
});
