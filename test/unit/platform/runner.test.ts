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
