// Shell completions and the man page are generated from the same command tree as --help: they
// must parse in their shells, complete what the tree has, and the checked-in man page must be
// the current output (regenerate with `npm run man:write`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { bashCompletion, fishCompletion, zshCompletion } from '../../../src/cli/commands/completion';
import { allCommands, commandModel } from '../../../src/cli/help-model';
import { buildProgram } from '../../../src/cli/main';
import { renderManPage } from '../../../src/cli/manpage';

const REPO = resolve(__dirname, '..', '..', '..');
const model = commandModel(buildProgram());
const dir = mkdtempSync(join(tmpdir(), 'lk-completion-'));

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** Runs the test when `tool` is installed; under CI=true a missing tool fails (.ci/run installs it). */
function withTool(tool: string): jest.It {
  if (has(tool)) return it;
  if (process.env.CI === 'true') {
    return ((name: string) => it(name, () => { throw new Error(`${tool} is required in CI (.ci/run installs it)`); })) as unknown as jest.It;
  }
  // eslint-disable-next-line no-console
  console.warn(`skipping ${tool} checks: ${tool} is not installed`);
  return it.skip;
}

function sub(program: Command, ...path: string[]): Command {
  let c = program;
  for (const p of path) c = c.commands.find((x) => x.name() === p)!;
  return c;
}

describe('--help of a subcommand', () => {
  it('lists the inherited global flags', () => {
    const help = sub(buildProgram(), 'hosts', 'add').helpInformation();
    expect(help).toMatch(/Global Options:/);
    for (const flag of ['--config <path>', '--hosts-file <path>', '--socket <path>', '--state-dir <dir>', '--interface <name>']) expect(help).toContain(flag);
    expect(help).toContain('--profile <name>');
  });
});

describe('the command tree', () => {
  it('has the everyday commands of the SPEC', () => {
    const paths = allCommands(model).map((c) => c.path.slice(1).join(' '));
    for (const p of ['hosts add', 'hosts remove', 'hosts list', 'aliases add', 'aliases remove', 'aliases list', 'profile list', 'profile enable', 'profile disable', 'completion']) {
      expect(paths).toContain(p);
    }
    expect(allCommands(model).find((c) => c.name === 'completion')!.arguments[0]!.choices).toEqual(['bash', 'zsh', 'fish']);
  });
});

describe('man/loopkeeper.1', () => {
  const page = renderManPage(model);
  const path = join(REPO, 'man', 'loopkeeper.1');
  it('equals the page generated from the command definitions (regenerate with `npm run man:write`)', () => {
    expect(readFileSync(path, 'utf8')).toBe(page);
  });
  it('documents every command and every option --help shows', () => {
    for (const c of allCommands(model).slice(1)) {
      expect(page).toContain(`.SS "${c.path.join(' ')}`);
      for (const o of c.options) if (o.long) expect(page).toContain(o.long.replace(/-/g, '\\-'));
    }
    expect(page).toMatch(/^\.SH EXIT STATUS$/m);
    expect(page).toMatch(/^\.SH ENVIRONMENT$/m);
  });
  it('is shipped in the npm package', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('man');
    expect(pkg.man).toEqual(['./man/loopkeeper.1']);
  });
  withTool('man')('`man -l` renders it without warnings', () => {
    const r = spawnSync('man', ['--warnings', '-l', path], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat', LC_ALL: 'C.UTF-8' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^LOOPKEEPER\(1\)\s+User Commands\s+LOOPKEEPER\(1\)$/);
    expect(r.stdout).toContain('loopkeeper hosts add [options] <name> <addr...>');
    expect(r.stdout).toContain('--hosts-file <path>');
    expect(lines.every((l) => l.length <= 80)).toBe(true);
  });
});

describe('bash completion', () => {
  const script = join(dir, 'loopkeeper.bash');
  writeFileSync(script, bashCompletion(model));
  it('passes bash -n', () => {
    const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  it('completes subcommands, options (global ones after a subcommand too), choices and paths', () => {
    const complete = (...words: string[]): string[] => {
      const q = words.map((w) => `'${w}'`).join(' ');
      const r = spawnSync('bash', ['-c', `source '${script}'; COMP_WORDS=(${q}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _loopkeeper_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], {
        encoding: 'utf8',
        cwd: dir,
      });
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter((l) => l !== '');
    };
    expect(complete('loopkeeper', 'ho')).toEqual(['hosts']);
    expect(complete('loopkeeper', 'hosts', '')).toEqual(expect.arrayContaining(['add', 'remove', 'list', '--config']));
    expect(complete('loopkeeper', '--config', '/tmp', 'hosts', 'add', '--pro')).toEqual(['--profile']);
    expect(complete('loopkeeper', 'hosts', 'add', 'api.test', '--fi')).toEqual(['--file']);
    expect(complete('loopkeeper', 'completion', 'f')).toEqual(['fish']);
    expect(complete('loopkeeper', 'hosts', 'list', '--a')).toEqual(['--all']);
    expect(complete('loopkeeper', '--hosts-file', 'loopkeeper.b')).toEqual(['loopkeeper.bash']);
  });
});

describe('zsh completion', () => {
  const script = join(dir, '_loopkeeper');
  writeFileSync(script, zshCompletion(model));
  withTool('zsh')('passes zsh -n and defines a function per command', () => {
    const n = spawnSync('zsh', ['-n', script], { encoding: 'utf8' });
    expect(n.stderr).toBe('');
    expect(n.status).toBe(0);
    const r = spawnSync('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -D && source '${script}' && print -r -- \${_comps[loopkeeper]} && whence -w _loopkeeper_hosts_add _loopkeeper_profile_enable`], {
      encoding: 'utf8',
      env: { ...process.env, HOME: dir },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('_loopkeeper\n_loopkeeper_hosts_add: function\n_loopkeeper_profile_enable: function\n');
  });
});

describe('fish completion', () => {
  const script = join(dir, 'loopkeeper.fish');
  writeFileSync(script, fishCompletion(model));
  withTool('fish')('passes fish -n and completes subcommands, options and choices', () => {
    const n = spawnSync('fish', ['-n', script], { encoding: 'utf8' });
    expect(n.stderr).toBe('');
    expect(n.status).toBe(0);
    const complete = (line: string): string[] => {
      const r = spawnSync('fish', ['--no-config', '-c', `source '${script}'; complete -C '${line}'`], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t')[0]!);
    };
    expect(complete('loopkeeper hosts ')).toEqual(['add', 'help', 'list', 'remove']);
    expect(complete('loopkeeper --config /tmp/x hosts add --p')).toEqual(['--profile']);
    expect(complete('loopkeeper aliases list --')).toEqual(expect.arrayContaining(['--verbose', '--json', '--config', '--interface']));
    expect(complete('loopkeeper completion ')).toEqual(['bash', 'fish', 'zsh']);
  });
});
