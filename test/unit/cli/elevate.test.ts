// Elevation for `apply`/`down`: argv only, never a shell string built from user text. The attack
// tests use a fake pkexec / osascript (real executables at paths the test chooses) that log the
// argv they get and then do what the real ones do (exec the argv / run the script with /bin/sh),
// and a fake CLI that prints its argv: a `$(…)` anywhere (config path, LOOPKEEPER_* value, the
// working directory's name) must arrive as a literal argument, and the canary it would create
// must never appear.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elevatedArgv, elevateOrExplain, shellQuote, sudoCommand } from '../../../src/cli/elevate';
import type { CommandContext } from '../../../src/cli/context';
import { resolveRuntime } from '../../../src/runtime';

type Ctx = CommandContext & { outText: string; errText: string };

function ctx(argv: string[], env: NodeJS.ProcessEnv = {}, interactive = true): Ctx {
  const c: Ctx = {
    runtime: resolveRuntime({}, env, 'linux'),
    env,
    outText: '',
    errText: '',
    out: (t: string) => void (c.outText += t),
    err: (t: string) => void (c.errText += t),
    color: false,
    interactive,
    argv,
  };
  return c;
}

function script(path: string, text: string): string {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

describe('elevation: the argv and the printed sudo line', () => {
  it('quotes for a POSIX shell so nothing is interpreted when pasted', () => {
    expect(shellQuote('/usr/bin/node')).toBe('/usr/bin/node');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's; rm -rf /")).toBe(`'it'\\''s; rm -rf /'`);
    expect(shellQuote('$(id)')).toBe("'$(id)'");
    expect(shellQuote('')).toBe("''");
  });

  it('turns LOOPKEEPER_* variables into flags, because sudo and pkexec drop them', () => {
    const c = ctx(['/usr/bin/node', '/opt/lk/dist/cli/main.js', 'apply'], {
      LOOPKEEPER_CONFIG: '/tmp/a.yaml:/tmp/b dir',
      LOOPKEEPER_HOSTS_FILE: '/tmp/hosts',
      LOOPKEEPER_STATE_DIR: '/tmp/state',
    });
    expect(elevatedArgv(c)).toEqual([
      '/usr/bin/node', '/opt/lk/dist/cli/main.js',
      '--config', '/tmp/a.yaml', '--config', '/tmp/b dir', '--hosts-file', '/tmp/hosts', '--state-dir', '/tmp/state',
      'apply',
    ]);
    expect(sudoCommand(c)).toBe(
      "sudo /usr/bin/node /opt/lk/dist/cli/main.js --config /tmp/a.yaml --config '/tmp/b dir' --hosts-file /tmp/hosts --state-dir /tmp/state apply",
    );
  });

  it('keeps flags given on the command line, does not duplicate them, and makes relative paths absolute (pkexec changes directory)', () => {
    const c = ctx(['/usr/bin/node', '/x/main.js', '--hosts-file=/h', 'apply', '--json'], { LOOPKEEPER_HOSTS_FILE: '/other' });
    expect(elevatedArgv(c)).toEqual(['/usr/bin/node', '/x/main.js', '--hosts-file=/h', 'apply', '--json']);
    const rel = ctx(['/usr/bin/node', 'dist/cli/main.js', '--config', 'c.yaml', '--state-dir=st', 'apply'], { LOOPKEEPER_HOSTS_FILE: 'h' });
    expect(elevatedArgv(rel, '/work/d')).toEqual([
      '/usr/bin/node', '/work/d/dist/cli/main.js', '--hosts-file', '/work/d/h', '--config', '/work/d/c.yaml', '--state-dir=/work/d/st', 'apply',
    ]);
  });

  it('without a terminal: exit 1 and the exact sudo command, nothing started', async () => {
    const c = ctx(['/usr/bin/node', '/x/main.js', 'apply'], {}, false);
    const spawn = jest.fn();
    expect(await elevateOrExplain(c, { spawn })).toBe(1);
    expect(spawn).not.toHaveBeenCalled();
    expect(c.errText).toBe('loopkeeper: changing lo and /etc/hosts needs root. Run:\n  sudo /usr/bin/node /x/main.js apply\n');
  });

  it('under CI=true: the sudo command, nothing started', async () => {
    const c = ctx(['/usr/bin/node', '/x/main.js', 'down'], { CI: 'true' }, true);
    const spawn = jest.fn();
    expect(await elevateOrExplain(c, { spawn, platform: 'linux' })).toBe(1);
    expect(spawn).not.toHaveBeenCalled();
  });
});

describe('elevation attacks: no injected command runs (fake pkexec / osascript that log argv)', () => {
  let dir: string;
  let canaries: string;
  let fakeCli: string;
  let log: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lk-elevate-'));
    canaries = join(dir, 'canaries');
    mkdirSync(canaries);
    log = join(dir, 'argv.log');
    // Prints the argv it was started with, as JSON: what root would have run.
    fakeCli = join(dir, 'fake-cli.js');
    writeFileSync(fakeCli, 'process.stdout.write(JSON.stringify(process.argv.slice(2)) + "\\n")\n');
  });

  /** Every way user text reaches the argv, each trying to create a file in `canaries`. */
  function hostile(): { cwd: string; c: Ctx; inject: (name: string) => string } {
    const inject = (name: string): string => `$(touch ${join(canaries, name)})\`touch ${join(canaries, `${name}-bt`)}\`;touch ${join(canaries, `${name}-semi`)}"'`;
    const cwd = join(dir, inject('cwd'));
    mkdirSync(cwd, { recursive: true });
    const c = ctx([process.execPath, fakeCli, '--config', `${inject('flag')}.yaml`, 'apply'], {
      LOOPKEEPER_HOSTS_FILE: `/tmp/${inject('env')}`,
      LOOPKEEPER_STATE_DIR: inject('relenv'),
    });
    return { cwd, c, inject };
  }

  /** pkexec: logs its argv NUL-separated, then execs it exactly as the real one does. */
  function fakePkexec(exitInstead?: number): string {
    const body = exitInstead === undefined ? 'exec "$@"' : `exit ${exitInstead}`;
    return script(join(dir, 'pkexec'), `#!/bin/sh\nprintf '%s\\0' "$@" > '${log}'\n${body}\n`);
  }

  function loggedArgv(): string[] {
    return readFileSync(log, 'utf8').split('\0').slice(0, -1);
  }

  it('Linux: pkexec gets the argv as separate arguments; $(…), backticks and ; in a flag, a variable and the cwd stay literal', async () => {
    const { cwd, c, inject } = hostile();
    const pkexec = fakePkexec();
    const code = await elevateOrExplain(c, { platform: 'linux', pkexecPaths: ['/nonexistent/pkexec', pkexec], cwd });
    expect(code).toBe(0);
    const expected = [
      process.execPath,
      fakeCli,
      '--hosts-file', `/tmp/${inject('env')}`,
      '--state-dir', join(cwd, inject('relenv')),
      '--config', join(cwd, `${inject('flag')}.yaml`),
      'apply',
    ];
    expect(loggedArgv()).toEqual(expected);
    // What the elevated program received (relayed to our stdout): the same argv after node and the script.
    expect(JSON.parse(c.outText)).toEqual(expected.slice(2));
    expect(readdirSync(canaries)).toEqual([]);
  });

  it('Linux: pkexec is found at fixed absolute paths, never through PATH', async () => {
    const { cwd, c } = hostile();
    const onPath = join(dir, 'bin');
    mkdirSync(onPath);
    script(join(onPath, 'pkexec'), `#!/bin/sh\ntouch '${join(canaries, 'path-pkexec')}'\n`);
    const saved = process.env.PATH;
    process.env.PATH = `${onPath}:${saved ?? ''}`;
    try {
      const code = await elevateOrExplain(c, { platform: 'linux', pkexecPaths: ['/nonexistent/pkexec'], cwd });
      expect(code).toBe(1);
    } finally {
      process.env.PATH = saved;
    }
    expect(readdirSync(canaries)).toEqual([]);
    expect(c.errText).toMatch(/no graphical sudo prompt \(pkexec\) is installed\. Run:\n {2}sudo /);
    // The printed line, pasted into a shell (with printf in place of sudo), gives back the argv
    // exactly and runs nothing.
    const line = /\n {2}sudo (.*)\n$/.exec(c.errText)![1]!;
    const pasted = spawnSync('/bin/sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
    expect(pasted.stdout.split('\0').slice(0, -1)).toEqual(elevatedArgv(c, cwd));
    expect(readdirSync(canaries)).toEqual([]);
  });

  it('Linux: a dismissed prompt (pkexec exit 126) or no authorization (127) falls back to the sudo line', async () => {
    const c1 = ctx([process.execPath, fakeCli, 'apply']);
    expect(await elevateOrExplain(c1, { platform: 'linux', pkexecPaths: [fakePkexec(126)] })).toBe(1);
    expect(c1.errText).toMatch(/the authorization prompt was dismissed\. Run:\n {2}sudo /);
    const c2 = ctx([process.execPath, fakeCli, 'down']);
    expect(await elevateOrExplain(c2, { platform: 'linux', pkexecPaths: [fakePkexec(127)] })).toBe(1);
    expect(c2.errText).toMatch(/could not get an authorization .*\. Run:\n {2}sudo .* down\n$/);
  });

  it('Linux: the elevated command’s own exit code and stderr come through', async () => {
    const failing = join(dir, 'fail.js');
    writeFileSync(failing, 'process.stderr.write("config invalid\\n"); process.exit(2)\n');
    const c = ctx([process.execPath, failing, 'apply']);
    expect(await elevateOrExplain(c, { platform: 'linux', pkexecPaths: [fakePkexec()] })).toBe(2);
    expect(c.errText).toBe('config invalid\n');
  });

  /**
   * osascript: checks that the script is exactly the fixed template (no user text), then runs the
   * shell command in it with /bin/sh as `do shell script` does, and logs the argument file.
   */
  function fakeOsascript(argDir: string, result: 'run' | 'cancel' = 'run'): string {
    const re = `^do shell script "/usr/bin/xargs -0 /usr/bin/env < ${argDir}/loopkeeper-elevate-[0-9a-f]{32}" with administrator privileges without altering line endings$`;
    return script(
      join(dir, 'osascript'),
      [
        '#!/bin/sh',
        '[ "$1" = "-e" ] || exit 90',
        `printf '%s' "$2" | grep -Eq '${re}' || { echo "unexpected script: $2" >&2; exit 91; }`,
        result === 'cancel' ? 'echo "execution error: User canceled. (-128)" >&2; exit 1' : '',
        'cmd=$(printf \'%s\' "$2" | sed -E \'s/^do shell script "(.*)" with administrator.*$/\\1/\')',
        `file=$(printf '%s' "$cmd" | sed -E 's/^.*< //')`,
        `cp "$file" '${log}'`,
        `stat -c %a "$file" > '${log}.mode'`,
        'exec /bin/sh -c "$cmd"',
      ].join('\n') + '\n',
    );
  }

  it('macOS: the dialog gets a constant command string; the argv goes through a 0600 file and xargs, and the file is removed', async () => {
    const { cwd, c, inject } = hostile();
    const argDir = join(dir, 'private-tmp');
    mkdirSync(argDir);
    chmodSync(argDir, 0o1777);
    const code = await elevateOrExplain(c, { platform: 'darwin', osascriptPath: fakeOsascript(argDir), argFileDir: argDir, cwd });
    expect(c.errText).toBe('');
    expect(code).toBe(0);
    const expected = [
      process.execPath,
      fakeCli,
      '--hosts-file', `/tmp/${inject('env')}`,
      '--state-dir', join(cwd, inject('relenv')),
      '--config', join(cwd, `${inject('flag')}.yaml`),
      'apply',
    ];
    expect(loggedArgv()).toEqual(expected);
    expect(readFileSync(`${log}.mode`, 'utf8').trim()).toBe('600');
    expect(JSON.parse(c.outText)).toEqual(expected.slice(2));
    expect(readdirSync(canaries)).toEqual([]);
    expect(readdirSync(argDir)).toEqual([]); // the argument file is gone
  });

  it('macOS: a cancelled dialog falls back to the sudo line and leaves no argument file', async () => {
    const argDir = join(dir, 'private-tmp');
    mkdirSync(argDir);
    const c = ctx([process.execPath, fakeCli, 'apply']);
    expect(await elevateOrExplain(c, { platform: 'darwin', osascriptPath: fakeOsascript(argDir, 'cancel'), argFileDir: argDir })).toBe(1);
    expect(c.errText).toMatch(/the authorization dialog was dismissed\. Run:\n {2}sudo /);
    expect(readdirSync(argDir)).toEqual([]);
    expect(existsSync(log)).toBe(false);
  });
});
