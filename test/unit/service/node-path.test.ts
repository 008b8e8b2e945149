// Which node path the service names: a stable link to the running binary, never a versioned path
// when such a link exists.
import { chooseNodePath, isVersionedNodePath, nodeLinkCandidates, type NodePathHost } from '../../../src/service/node-path';

/** A file system of links: path -> what it resolves to (paths not listed resolve to themselves). */
function host(links: Record<string, string>, existing: string[] = []): NodePathHost {
  const there = new Set([...Object.keys(links), ...Object.values(links), ...existing]);
  return { realpath: async (p) => links[p] ?? p, exists: async (p) => there.has(p) };
}

const CELLAR = '/opt/homebrew/Cellar/node/22.1.0/bin/node';

describe('chooseNodePath', () => {
  it('Apple silicon Homebrew: /opt/homebrew/bin/node for the Cellar binary it links to', async () => {
    expect(await chooseNodePath(CELLAR, host({ '/opt/homebrew/bin/node': CELLAR }), { PATH: '/usr/bin' })).toEqual({
      node: '/opt/homebrew/bin/node',
      note: `node: /opt/homebrew/bin/node, a link to ${CELLAR} that survives upgrades`,
    });
  });

  it('Intel Homebrew: /usr/local/bin/node', async () => {
    const cellar = '/usr/local/Cellar/node/21.0.0/bin/node';
    expect((await chooseNodePath(cellar, host({ '/usr/local/bin/node': cellar }), {})).node).toBe('/usr/local/bin/node');
  });

  it("a keg-only formula (node@20, not linked into bin/): Homebrew's opt/ link", async () => {
    const cellar = '/opt/homebrew/Cellar/node@20/20.18.1/bin/node';
    const links = { '/opt/homebrew/opt/node@20/bin/node': cellar, '/opt/homebrew/bin/node': CELLAR };
    expect((await chooseNodePath(cellar, host(links), {})).node).toBe('/opt/homebrew/opt/node@20/bin/node');
  });

  it("nvm's current link (NVM_SYMLINK_CURRENT), or a link found on PATH", async () => {
    const nvm = '/Users/me/.nvm/versions/node/v20.11.0/bin/node';
    expect((await chooseNodePath(nvm, host({ '/Users/me/.nvm/current/bin/node': nvm }), { NVM_DIR: '/Users/me/.nvm' })).node).toBe(
      '/Users/me/.nvm/current/bin/node',
    );
    expect((await chooseNodePath(nvm, host({ '/Users/me/bin/node': nvm }), { PATH: '/usr/bin:/Users/me/bin' })).node).toBe('/Users/me/bin/node');
  });

  it('a link to another binary (another version) is never used', async () => {
    const r = await chooseNodePath(CELLAR, host({ '/opt/homebrew/bin/node': '/opt/homebrew/Cellar/node/21.0.0/bin/node' }), {});
    expect(r.node).toBe(CELLAR);
    expect(r.warning).toMatch(/an upgrade of node removes, and no stable link to that binary was found \(looked at \/opt\/homebrew\/bin\/node, /);
  });

  it('a link whose own path names a version is no better', async () => {
    const nvm = '/Users/me/.nvm/versions/node/v20.11.0/bin/node';
    const r = await chooseNodePath(nvm, host({ '/Users/me/.nvm/versions/node/v20/bin/node': nvm }), { PATH: '/Users/me/.nvm/versions/node/v20/bin' });
    expect(r.node).toBe(nvm);
    expect(r.warning).toBeDefined();
  });

  it('an unversioned binary stays as it is, even with links to it around', async () => {
    expect(await chooseNodePath('/usr/bin/node', host({ '/usr/local/bin/node': '/usr/bin/node' }), { PATH: '/usr/local/bin' })).toEqual({ node: '/usr/bin/node' });
    expect(await chooseNodePath('/usr/local/bin/node', host({}), {})).toEqual({ node: '/usr/local/bin/node' });
  });

  it('a volta shim is not the same binary: it is not used, and the versioned image path is warned about', async () => {
    const image = '/Users/me/.volta/tools/image/node/20.11.0/bin/node';
    const r = await chooseNodePath(image, host({ '/Users/me/.volta/bin/node': '/Users/me/.volta/bin/volta-shim' }), { PATH: '/Users/me/.volta/bin' });
    expect(r.node).toBe(image);
    expect(r.warning).toBeDefined();
  });
});

describe('nodeLinkCandidates', () => {
  it('derives Homebrew links from the Cellar path, then the usual places, then nvm and PATH; only absolute, no duplicates', () => {
    expect(nodeLinkCandidates(CELLAR, CELLAR, { NVM_DIR: '/n', PATH: 'relative:/opt/homebrew/bin::/x' })).toEqual([
      '/opt/homebrew/bin/node',
      '/opt/homebrew/opt/node/bin/node',
      '/usr/local/bin/node',
      '/n/current/bin/node',
      '/x/node',
    ]);
  });

  it('names the versioned layouts of Homebrew, nvm, volta, asdf, fnm and mise', () => {
    for (const p of [
      CELLAR,
      '/home/linuxbrew/.linuxbrew/Cellar/node/22.1.0/bin/node',
      '/Users/a/.nvm/versions/node/v1/bin/node',
      '/Users/a/.volta/tools/image/node/1.0.0/bin/node',
      '/Users/a/.asdf/installs/nodejs/20.0.0/bin/node',
      '/Users/a/Library/Application Support/fnm/node-versions/v20.0.0/installation/bin/node',
      '/Users/a/.local/share/mise/installs/node/20/bin/node',
    ]) {
      expect(isVersionedNodePath(p)).toBe(true);
    }
    for (const p of ['/usr/bin/node', '/usr/local/bin/node', '/opt/homebrew/bin/node', '/opt/homebrew/opt/node/bin/node']) expect(isVersionedNodePath(p)).toBe(false);
  });
});
