// The built CLI's hints name the command as the user has it: `loopkeeper` when a `loopkeeper` on
// PATH is this CLI (a link, as `npm install -g` makes), `node …/dist/cli/main.js` when run that way.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, REPO } from '../helpers/cli';

describe('hints name the command the user has', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  /** An installed copy (npm makes the bin executable; the checkout's dist/ is not, and stays untouched). */
  let CLI: string;
  const run = (argv: string[], PATH: string) => spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...env, PATH } });

  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lk-hints-'));
    const pkg = join(dir, 'lib', 'loopkeeper');
    cpSync(join(REPO, 'dist'), join(pkg, 'dist'), { recursive: true });
    cpSync(join(REPO, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(REPO, 'node_modules'), join(pkg, 'node_modules'));
    CLI = join(pkg, 'dist', 'cli', 'main.js');
    chmodSync(CLI, 0o755);
    mkdirSync(join(dir, 'bin'));
    symlinkSync(CLI, join(dir, 'bin', 'loopkeeper'));
    // Another `loopkeeper` (an older install) in a directory searched first.
    mkdirSync(join(dir, 'old'));
    writeFileSync(join(dir, 'old', 'loopkeeper'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, 'old', 'loopkeeper'), 0o755);
    env = { NO_COLOR: '1', LOOPKEEPER_SOCKET: join(dir, 'nothing.sock'), LOOPKEEPER_CONFIG: join(dir, 'none.yaml') };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('run through a `loopkeeper` link on PATH: `loopkeeper apply`; sudo by absolute path (that directory is not on root’s PATH)', () => {
    const PATH = `${join(dir, 'bin')}:${process.env.PATH}`;
    const r = run(['loopkeeper', 'reconcile'], PATH);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('(to reconcile without the daemon: loopkeeper apply)');
    expect(r.stderr).toContain(`no socket there (is loopkeeperd running? \`sudo ${process.execPath} ${CLI} install\` sets it up)`);
  });

  it('run as `node dist/cli/main.js` with no loopkeeper on PATH: that command line', () => {
    const r = run([process.execPath, CLI, 'reconcile'], process.env.PATH ?? '/usr/bin:/bin');
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`\\(to reconcile without the daemon: (node|${process.execPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}) ${CLI.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} apply\\)`));
  });

  it('a different `loopkeeper` first on PATH is not named', () => {
    const PATH = `${join(dir, 'old')}:${join(dir, 'bin')}:${process.env.PATH}`;
    const r = run([process.execPath, join(dir, 'bin', 'loopkeeper'), 'reconcile'], PATH);
    expect(r.status).toBe(4);
    expect(r.stderr).not.toContain('daemon: loopkeeper apply');
    expect(r.stderr).toContain(`${CLI} apply)`);
  });
});
