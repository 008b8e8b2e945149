import { chmodSync, chownSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTrusted, trustError, type TrustFs } from '../../../src/fs/trust';

interface Node {
  uid: number;
  mode: number;
  type: 'dir' | 'file' | 'link';
  target?: string;
}

/** A fake tree: path -> node. realpath follows links in any component. */
function fakeFs(tree: Record<string, Node>): TrustFs {
  const enoent = (p: string): Error => Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
  const resolveReal = (p: string, depth = 0): string => {
    if (depth > 20) throw Object.assign(new Error('ELOOP'), { code: 'ELOOP' });
    const parts = p.split('/').filter(Boolean);
    let cur = '';
    for (const part of parts) {
      cur = `${cur}/${part}`;
      const n = tree[cur];
      if (!n) throw enoent(cur);
      if (n.type === 'link') cur = resolveReal(n.target!, depth + 1);
    }
    return cur === '' ? '/' : cur;
  };
  const statOf = (n: Node): Stats =>
    ({
      uid: n.uid,
      mode: n.mode | (n.type === 'dir' ? 0o040000 : n.type === 'file' ? 0o100000 : 0o120000),
      isDirectory: () => n.type === 'dir',
      isFile: () => n.type === 'file',
      isSymbolicLink: () => n.type === 'link',
    }) as unknown as Stats;
  return {
    lstat: (p) => {
      const n = tree[p];
      if (!n) throw enoent(p);
      return statOf(n);
    },
    stat: (p) => {
      const n = tree[resolveReal(p)];
      if (!n) throw enoent(p);
      return statOf(n);
    },
    realpath: (p) => resolveReal(p),
  };
}

const base: Record<string, Node> = {
  '/': { uid: 0, mode: 0o755, type: 'dir' },
  '/etc': { uid: 0, mode: 0o755, type: 'dir' },
  '/etc/loopkeeper': { uid: 0, mode: 0o755, type: 'dir' },
  '/etc/loopkeeper/loopkeeper.yaml': { uid: 0, mode: 0o644, type: 'file' },
  '/tmp': { uid: 0, mode: 0o1777, type: 'dir' },
  '/home': { uid: 0, mode: 0o755, type: 'dir' },
  '/home/eve': { uid: 1000, mode: 0o755, type: 'dir' },
  '/home/eve/evil.yaml': { uid: 0, mode: 0o644, type: 'file' },
};

const asRoot = { trustedUids: [0] };

describe('checkTrusted (OpenSSH safe_path rules)', () => {
  it('accepts a root-owned file in root-owned, non-writable directories', () => {
    expect(checkTrusted('/etc/loopkeeper/loopkeeper.yaml', { expect: 'file', fs: fakeFs(base), ...asRoot })).toEqual([]);
  });

  it('refuses a file owned by another user, with the chown that fixes it', () => {
    const fs = fakeFs({ ...base, '/etc/loopkeeper/loopkeeper.yaml': { uid: 1000, mode: 0o644, type: 'file' } });
    const [p] = checkTrusted('/etc/loopkeeper/loopkeeper.yaml', { expect: 'file', fs, ...asRoot });
    expect(p?.kind).toBe('owner');
    expect(p?.message).toContain('chown root /etc/loopkeeper/loopkeeper.yaml');
  });

  it('refuses a group-writable file and a world-writable grandparent', () => {
    const fs = fakeFs({
      ...base,
      '/etc': { uid: 0, mode: 0o777, type: 'dir' },
      '/etc/loopkeeper/loopkeeper.yaml': { uid: 0, mode: 0o664, type: 'file' },
    });
    const problems = checkTrusted('/etc/loopkeeper/loopkeeper.yaml', { expect: 'file', fs, ...asRoot });
    expect(problems.map((p) => [p.path, p.kind])).toEqual([
      ['/etc/loopkeeper/loopkeeper.yaml', 'writable'],
      ['/etc', 'writable'],
    ]);
    expect(problems[1]!.message).toContain('chmod go-w /etc');
  });

  it('accepts a root-owned sticky directory as an ancestor, not a non-root one', () => {
    const ok = fakeFs({ ...base, '/tmp/lk': { uid: 0, mode: 0o755, type: 'dir' }, '/tmp/lk/a.yaml': { uid: 0, mode: 0o644, type: 'file' } });
    expect(checkTrusted('/tmp/lk/a.yaml', { expect: 'file', fs: ok, ...asRoot })).toEqual([]);
    const bad = fakeFs({
      ...base,
      '/tmp': { uid: 1000, mode: 0o1777, type: 'dir' },
      '/tmp/lk': { uid: 0, mode: 0o755, type: 'dir' },
      '/tmp/lk/a.yaml': { uid: 0, mode: 0o644, type: 'file' },
    });
    expect(checkTrusted('/tmp/lk/a.yaml', { expect: 'file', fs: bad, ...asRoot }).map((p) => p.path)).toEqual(['/tmp', '/tmp']);
  });

  it('refuses a root-owned file directly in a sticky directory only when the file itself is not trusted', () => {
    const fs = fakeFs({ ...base, '/tmp/a.yaml': { uid: 1000, mode: 0o644, type: 'file' } });
    expect(checkTrusted('/tmp/a.yaml', { expect: 'file', fs, ...asRoot }).map((p) => p.kind)).toEqual(['owner']);
  });

  it('checks the target of a root symlink into another user’s directory', () => {
    const fs = fakeFs({ ...base, '/etc/loopkeeper/conf.d.yaml': { uid: 0, mode: 0o777, type: 'link', target: '/home/eve/evil.yaml' } });
    const problems = checkTrusted('/etc/loopkeeper/conf.d.yaml', { expect: 'file', fs, ...asRoot });
    expect(problems.map((p) => [p.path, p.kind])).toEqual([['/home/eve', 'owner']]);
    expect(problems[0]!.message).toContain('→ /home/eve/evil.yaml');
  });

  it('with noSymlink refuses the link itself', () => {
    const fs = fakeFs({ ...base, '/var': { uid: 0, mode: 0o755, type: 'dir' }, '/var/lk': { uid: 0, mode: 0o777, type: 'link', target: '/etc' } });
    expect(checkTrusted('/var/lk', { expect: 'dir', noSymlink: true, fs, ...asRoot }).map((p) => p.kind)).toEqual(['symlink']);
  });

  it('refuses the wrong type (a FIFO or file where a directory belongs)', () => {
    expect(checkTrusted('/etc/loopkeeper/loopkeeper.yaml', { expect: 'dir', fs: fakeFs(base), ...asRoot }).map((p) => p.kind)).toEqual(['type']);
  });

  it('checks the nearest existing ancestor of a path that is to be created', () => {
    const ok = fakeFs({ ...base, '/var': { uid: 0, mode: 0o755, type: 'dir' } });
    expect(checkTrusted('/var/lib/loopkeeper', { expect: 'dir', mayBeMissing: true, fs: ok, ...asRoot })).toEqual([]);
    const bad = fakeFs({ ...base, '/var': { uid: 0, mode: 0o777, type: 'dir' } });
    expect(checkTrusted('/var/lib/loopkeeper', { expect: 'dir', mayBeMissing: true, fs: bad, ...asRoot }).map((p) => p.path)).toEqual(['/var']);
    expect(checkTrusted('/var/lib/loopkeeper', { expect: 'dir', fs: ok, ...asRoot }).map((p) => p.kind)).toEqual(['missing']);
  });

  it('trusts the process’s own user besides root', () => {
    const fs = fakeFs({ ...base, '/home/eve/x': { uid: 1000, mode: 0o755, type: 'dir' } });
    expect(checkTrusted('/home/eve/x', { expect: 'dir', fs, trustedUids: [1000] })).toEqual([]);
  });
});

describe('checkTrusted on the real file system', () => {
  const root = process.getuid?.() === 0;
  const maybe = root ? it : it.skip;
  maybe('finds an unsafe mode and owner on real files (as root)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-trust-'));
    const file = join(dir, 'a.yaml');
    writeFileSync(file, 'version: 1\n');
    chmodSync(file, 0o644);
    expect(trustError(file, { expect: 'file', trustedUids: [0] })).toBeNull();
    chmodSync(file, 0o666);
    expect(trustError(file, { expect: 'file', trustedUids: [0] })).toContain('writable by its group and others (mode 0666)');
    chmodSync(file, 0o644);
    chownSync(file, 65534, 65534);
    expect(trustError(file, { expect: 'file', trustedUids: [0] })).toContain('owned by uid 65534');
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    symlinkSync(sub, join(dir, 'link'));
    expect(checkTrusted(join(dir, 'link'), { expect: 'dir', noSymlink: true, trustedUids: [0] })[0]?.kind).toBe('symlink');
  });
});
