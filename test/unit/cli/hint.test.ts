// Hints name the command the user has: `loopkeeper` only when that name on PATH is this CLI.
import { cliHint, invocationOf, quoteWord, type InvocationFacts } from '../../../src/cli/hint';

const SCRIPT = '/usr/lib/node_modules/loopkeeper/dist/cli/main.js';

/** A file system of executables and symlinks: path -> its real path. */
function facts(files: Record<string, string>, over: Partial<InvocationFacts> = {}): InvocationFacts {
  return {
    argv1: '/usr/bin/loopkeeper',
    execPath: '/usr/bin/node',
    PATH: '/home/ann/bin:/usr/local/bin:/usr/bin:/bin',
    cliScript: '/elsewhere/dist/cli/main.js',
    realpath: (p) => files[p] ?? null,
    executable: (p) => p in files,
    ...over,
  };
}

const installed = { '/usr/bin/loopkeeper': SCRIPT, [SCRIPT]: SCRIPT, '/usr/bin/node': '/usr/bin/node' };

describe('invocationOf', () => {
  it('a global install on a system PATH directory: `loopkeeper …` and `sudo loopkeeper …`', () => {
    const how = invocationOf(facts(installed));
    expect(how).toEqual({ plain: ['loopkeeper'], sudo: ['sudo', 'loopkeeper'] });
    expect(cliHint('install', { sudo: true, how })).toBe('sudo loopkeeper install');
    expect(cliHint('status', { how })).toBe('loopkeeper status');
  });

  it('a clone run as `node dist/cli/main.js`: that, and sudo with absolute paths', () => {
    const clone = '/home/ann/src/loopkeeper/dist/cli/main.js';
    const how = invocationOf(facts({ [clone]: clone, '/usr/bin/node': '/usr/bin/node' }, { argv1: clone }));
    expect(cliHint('apply', { how })).toBe(`node ${clone} apply`);
    expect(cliHint('install', { sudo: true, how })).toBe(`sudo /usr/bin/node ${clone} install`);
  });

  it('an npm prefix in the home directory (not on sudo’s secure_path): plain `loopkeeper`, sudo with absolute paths', () => {
    const script = '/home/ann/.npm-global/lib/node_modules/loopkeeper/dist/cli/main.js';
    const how = invocationOf(
      facts(
        { '/home/ann/.npm-global/bin/loopkeeper': script, [script]: script, '/home/ann/.nvm/node': '/home/ann/.nvm/node' },
        { argv1: '/home/ann/.npm-global/bin/loopkeeper', PATH: '/home/ann/.npm-global/bin:/usr/bin', execPath: '/home/ann/.nvm/node' },
      ),
    );
    expect(how).toEqual({ plain: ['loopkeeper'], sudo: ['sudo', '/home/ann/.nvm/node', script] });
  });

  it('another loopkeeper earlier on PATH (an older install): not named; this one is run by path', () => {
    const clone = '/opt/lk/dist/cli/main.js';
    const how = invocationOf(facts({ ...installed, [clone]: clone }, { argv1: clone }));
    expect(how.plain).toEqual(['node', clone]);
  });

  it('a `node` on PATH that is not the one running: the running one by its absolute path', () => {
    const how = invocationOf(facts({ [SCRIPT]: SCRIPT, '/usr/bin/node': '/usr/bin/node', '/usr/local/bin/node': '/usr/local/bin/node' }, { argv1: SCRIPT, execPath: '/usr/bin/node' }));
    expect(how.plain).toEqual(['/usr/bin/node', SCRIPT]);
  });

  it('not run as the CLI at all (a test runner, another entry point): the installation’s own dist/cli/main.js', () => {
    const own = '/elsewhere/dist/cli/main.js';
    const how = invocationOf(facts({ [own]: own, '/usr/bin/node': '/usr/bin/node', '/x/jest.js': '/x/jest.js' }, { argv1: '/x/jest.js' }));
    expect(how.plain).toEqual(['node', own]);
  });

  it('ignores empty and relative PATH entries (they depend on the working directory)', () => {
    const how = invocationOf(facts({ 'bin/loopkeeper': SCRIPT, [SCRIPT]: SCRIPT, '/usr/bin/node': '/usr/bin/node' }, { argv1: SCRIPT, PATH: ':bin:/usr/bin' }));
    expect(how.plain).toEqual(['node', SCRIPT]);
  });

  it('quotes paths a shell would split', () => {
    const clone = '/Users/Ann Lee/lk/dist/cli/main.js';
    const how = invocationOf(facts({ [clone]: clone, '/usr/bin/node': '/usr/bin/node' }, { argv1: clone }));
    expect(cliHint('down', { sudo: true, how })).toBe(`sudo /usr/bin/node '/Users/Ann Lee/lk/dist/cli/main.js' down`);
    expect(quoteWord("it's")).toBe(`'it'\\''s'`);
    expect(quoteWord('')).toBe(`''`);
  });
});
