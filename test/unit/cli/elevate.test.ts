import { elevatedArgv, elevateOrExplain, shellQuote, sudoCommand, type PromptExec } from '../../../src/cli/elevate';
import type { CommandContext } from '../../../src/cli/context';
import { resolveRuntime } from '../../../src/runtime';

function ctx(argv: string[], env: NodeJS.ProcessEnv = {}, interactive = true): CommandContext & { outText: string; errText: string } {
  const c = {
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

describe('elevation', () => {
  it('quotes for a POSIX shell so nothing is interpreted', () => {
    expect(shellQuote('/usr/bin/node')).toBe('/usr/bin/node');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's; rm -rf /")).toBe(`'it'\\''s; rm -rf /'`);
    expect(shellQuote('$(id)')).toBe("'$(id)'");
    expect(shellQuote('')).toBe("''");
  });

  it('turns LOOPKEEPER_* variables into flags, because sudo drops them', () => {
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

  it('keeps flags given on the command line and does not duplicate them', () => {
    const c = ctx(['/usr/bin/node', '/x/main.js', '--hosts-file=/h', 'apply', '--json'], { LOOPKEEPER_HOSTS_FILE: '/other' });
    expect(elevatedArgv(c)).toEqual(['/usr/bin/node', '/x/main.js', '--hosts-file=/h', 'apply', '--json']);
  });

  it('without a terminal: exit 1 and the exact sudo command, no prompt', async () => {
    const c = ctx(['/usr/bin/node', '/x/main.js', 'apply'], {}, false);
    const exec = jest.fn();
    expect(await elevateOrExplain(c, exec as unknown as PromptExec)).toBe(1);
    expect(exec).not.toHaveBeenCalled();
    expect(c.errText).toBe('loopkeeper: changing lo and /etc/hosts needs root. Run:\n  sudo /usr/bin/node /x/main.js apply\n');
  });

  it('with a terminal: runs the quoted command through sudo-prompt and relays its output', async () => {
    const c = ctx(['/usr/bin/node', '/x y/main.js', 'apply'], {}, true);
    const calls: string[] = [];
    const exec: PromptExec = (cmd, _o, cb) => {
      calls.push(cmd);
      cb(undefined, 'Done: 2 added\n', '');
    };
    expect(await elevateOrExplain(c, exec)).toBe(0);
    expect(calls).toEqual(["/usr/bin/node '/x y/main.js' apply"]);
    expect(c.outText).toBe('Done: 2 added\n');
  });

  it('with no GUI helper (pkexec/kdesudo missing): falls back to the sudo command', async () => {
    const c = ctx(['/usr/bin/node', '/x/main.js', 'down'], {}, true);
    const exec: PromptExec = (_cmd, _o, cb) => cb(new Error('Unable to find pkexec or kdesudo.'));
    expect(await elevateOrExplain(c, exec)).toBe(1);
    expect(c.errText).toMatch(/no graphical sudo prompt could be used \(Unable to find pkexec or kdesudo.\)\. Run:\n  sudo \/usr\/bin\/node \/x\/main.js down\n$/);
  });

  it('when the elevated command itself fails: exit 1 with its output', async () => {
    const c = ctx(['/usr/bin/node', '/x/main.js', 'apply'], {}, true);
    const exec: PromptExec = (_cmd, _o, cb) => cb(new Error('Command failed: exit 2'), '', 'config invalid\n');
    expect(await elevateOrExplain(c, exec)).toBe(1);
    expect(c.errText).toBe('config invalid\n');
  });
});
