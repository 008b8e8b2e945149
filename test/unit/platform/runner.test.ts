import { until } from '../../helpers/wait';
import { CommandError, createRunner } from '../../../src/platform/runner';

describe('createRunner', () => {
  it('runs argv without a shell, feeds stdin and collects output', async () => {
    const runner = createRunner();
    const r = await runner.run(['/bin/sh', '-c', 'cat; echo "$1" >&2', 'sh', '$(touch /nonexistent); `x`'], { input: 'hello\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).toBe('$(touch /nonexistent); `x`\n'); // the argument arrived as bytes, not as syntax
    expect(runner.spawned).toBe(1);
  });

  it('resolves with the exit code on failure instead of throwing', async () => {
    const runner = createRunner();
    const r = await runner.run(['/bin/sh', '-c', 'echo oops >&2; exit 3']);
    expect(r).toMatchObject({ code: 3, signal: null, stderr: 'oops\n' });
    expect(CommandError.fromResult(r).message).toBe('`/bin/sh -c echo oops >&2; exit 3` failed (exit code 3): oops');
  });

  it('runs children with the C locale so error texts can be matched', async () => {
    const r = await createRunner().run(['/bin/sh', '-c', 'echo "$LC_ALL"']);
    expect(r.stdout).toBe('C\n');
  });

  it('rejects with a CommandError naming the tool when it cannot be started, and does not count it', async () => {
    const runner = createRunner();
    await expect(runner.run(['/nonexistent/ip', 'addr'])).rejects.toThrow(/\/nonexistent\/ip was not found; is it installed\?/);
    await expect(runner.run(['/nonexistent/ip'])).rejects.toBeInstanceOf(CommandError);
    expect(runner.spawned).toBe(0);
  });

  it('kills a command that runs past its timeout and says so', async () => {
    const r = await createRunner({ timeoutMs: 200 }).run(['/bin/sleep', '30']);
    expect(r.code).toBeNull();
    expect(r.signal).toBe('SIGKILL');
    expect(r.stderr).toMatch(/timed out after 200 ms/);
  });

  it('survives a child that exits without reading a large stdin', async () => {
    const r = await createRunner().run(['/bin/true'], { input: 'x'.repeat(8 * 1024 * 1024) });
    expect(r.code).toBe(0);
  });

  it('refuses an empty argv', async () => {
    await expect(createRunner().run([])).rejects.toThrow(/empty argv/);
  });
});

// A child that forks a helper holding our pipes, then hangs or exits: the runner must settle and
// leave nothing behind (issue 11 item 8). Each script prints the helper's pid first, so the test
// can check afterwards that it is gone — synchronised on the run settling, never on a sleep.
describe('createRunner: nothing it starts outlives the run', () => {
  // Gone, or dead and waiting to be reaped by init (a zombie has closed its files already).
  const alive = (pid: number) => {
    const { readFileSync } = require('node:fs') as typeof import('node:fs');
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  };
  // SIGKILL of the group is sent before the run settles, but the kernel finishes each death when
  // it schedules that process: on a busy machine the helper can still be running for a moment.
  // So wait for the death itself (an event seen through /proc); a helper that was never killed
  // sleeps 300 s and fails the test on its timeout.
  const dies = (pid: number) => until(`pid ${pid} to die`, () => !alive(pid), 10);
  // `sleep` in the background inherits stdout/stderr: a helper holding the pipes open.
  const HELPER = 'sleep 300 & echo $!; ';

  it('a timeout kills the whole process group, so a helper holding the pipes dies too', async () => {
    const r = await createRunner({ timeoutMs: 300 }).run(['/bin/sh', '-c', `${HELPER} sleep 300`]);
    expect(r.signal).toBe('SIGKILL');
    expect(r.stderr).toMatch(/timed out after 300 ms/);
    const helper = Number(r.stdout.trim().split('\n')[0]);
    expect(helper).toBeGreaterThan(0);
    await dies(helper);
  }, 60_000);

  it('a child that exits while its helper still holds the pipes: the run settles and the helper is killed', async () => {
    const r = await createRunner({ timeoutMs: 120_000 }).run(['/bin/sh', '-c', `${HELPER} exit 0`]);
    expect(r.code).toBe(0);
    const helper = Number(r.stdout.trim().split('\n')[0]);
    expect(helper).toBeGreaterThan(0);
    await dies(helper);
  }, 60_000);

  it('a helper that left the group (setsid) and holds the pipes cannot keep the run from settling', async () => {
    const r = await createRunner({ timeoutMs: 120_000, pipeGraceMs: 50 }).run(['/bin/sh', '-c', 'setsid sleep 300 & echo $!; exit 3']);
    expect(r.code).toBe(3);
    const escaped = Number(r.stdout.trim().split('\n')[0]);
    if (escaped > 0) process.kill(escaped, 'SIGKILL'); // not ours to leave running
  });

  it('starts each child in its own process group', async () => {
    const r = await createRunner().run(['/bin/sh', '-c', 'echo $$; ps -o pgid= -p $$']);
    const [pid, pgid] = r.stdout.trim().split(/\s+/).map(Number);
    expect(pgid).toBe(pid);
    expect(pgid).not.toBe(Number(spawnSyncPgid()));
  });

  it('on Linux, gives each child a parent-death signal (setpriv --pdeathsig), so it dies with loopkeeper', async () => {
    const { existsSync } = require('node:fs') as typeof import('node:fs');
    if (!existsSync('/usr/bin/setpriv') && !existsSync('/bin/setpriv')) {
      if (process.env.CI === 'true') throw new Error('setpriv (util-linux) is required in CI');
      return;
    }
    // setpriv --dump reports its own parent-death signal (prctl PR_GET_PDEATHSIG).
    const dump = await createRunner().run(['/usr/bin/setpriv', '--dump']);
    expect(dump.stdout).toMatch(/Parent death signal: KILL/);
  });

  it('hands extra file descriptors to the child as fd 3, 4, …', async () => {
    const { openSync, closeSync, readFileSync, mkdtempSync } = require('node:fs') as typeof import('node:fs');
    const { tmpdir } = require('node:os') as typeof import('node:os');
    const { join } = require('node:path') as typeof import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'lk-runner-')), 'out');
    const fd = openSync(file, 'w');
    try {
      const r = await createRunner().run(['/bin/sh', '-c', 'echo through-fd3 >&3'], { fds: [fd] });
      expect(r.code).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('through-fd3\n');
  });

  it('reports the argv it was given, not the setpriv wrapper', async () => {
    const r = await createRunner().run(['/bin/sh', '-c', 'exit 2']);
    expect(r.argv).toEqual(['/bin/sh', '-c', 'exit 2']);
    expect(CommandError.fromResult(r).message).toBe('`/bin/sh -c exit 2` failed (exit code 2)');
  });
});

function spawnSyncPgid(): string {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  return spawnSync('ps', ['-o', 'pgid=', '-p', String(process.pid)], { encoding: 'utf8' }).stdout.trim();
}

describe('createRunner: a child dies with loopkeeper', () => {
  it('SIGKILL of the loopkeeper process kills a hung child too (parent-death signal)', async () => {
    const { existsSync } = require('node:fs') as typeof import('node:fs');
    if (!existsSync('/usr/bin/setpriv') && !existsSync('/bin/setpriv')) {
      if (process.env.CI === 'true') throw new Error('setpriv (util-linux) is required in CI');
      return;
    }
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const { join } = require('node:path') as typeof import('node:path');
    const runnerModule = join(__dirname, '..', '..', '..', 'dist', 'platform', 'runner.js');
    // The hung child gets our stdout as its fd 3 and prints its pid there: the pipe closes only when
    // every holder is gone, so its 'close' event is the proof that the child died with its parent.
    const script = `const { createRunner } = require(${JSON.stringify(runnerModule)});
      createRunner().run(['/bin/sh', '-c', 'echo $$ >&3; exec sleep 300'], { fds: [1] });`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    const closed = new Promise<void>((r) => parent.stdout!.on('close', () => r()));
    const pid = await new Promise<number>((resolve) =>
      parent.stdout!.on('data', (b: Buffer) => {
        text += b.toString();
        if (text.includes('\n')) resolve(Number(text.trim()));
      }),
    );
    expect(pid).toBeGreaterThan(0);
    parent.kill('SIGKILL');
    await closed;
  });
});
