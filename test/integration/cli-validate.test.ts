// `loopkeeper validate` and `loopkeeper schema` as a user runs them: the built CLI, real files,
// exit codes and FILE:LINE:COL output.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, assertBuilt, cli } from '../helpers/cli';

beforeAll(() => assertBuilt());

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'lk-validate-'));
}

describe('loopkeeper validate', () => {
  it('a valid file: exit 0, a summary on stdout, nothing on stderr', () => {
    const d = dir();
    writeFileSync(join(d, 'a.yaml'), 'version: 1\naliases:\n  - 127.0.0.2\n  - range: 127.0.1.0/30\nhosts:\n  api.test: 127.0.0.2\n  web.test: [127.0.0.3, fd00::2]\n');
    const r = cli(['validate', join(d, 'a.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1 file(s) valid: 7 aliases, 2 hosts\n');
    expect(r.code).toBe(0);
  });

  it('warnings only: exit 0, each warning as FILE:LINE:COL: warning: …', () => {
    const d = dir();
    const f = join(d, 'w.yaml');
    writeFileSync(f, 'version: 1\nhosts:\n  printer.local: 127.0.0.2\n');
    const r = cli(['validate', f]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^${escape(f)}:3:3: warning: host \`printer.local\` ends in .local`));
    expect(r.stdout).toBe('1 file(s) valid: 1 aliases, 1 hosts\n');
  });

  it('an invalid file: exit 2 and every problem as FILE:LINE:COL: message', () => {
    const d = dir();
    const f = join(d, 'bad.yaml');
    writeFileSync(f, 'version: 1\naliases:\n  - 10.0.0.2\n  - range: 127.0.0.0/8\nsettings:\n  prun: true\n');
    const r = cli(['validate', f]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `${f}:3:5: alias 10.0.0.2 is outside the ranges aliases may use (allowed: 127.0.0.0/8, fc00::/7); to allow it, add a block that contains it (e.g. 10.0.0.2/32) to settings.allowAliasRanges`,
      `${f}:4:12: range \`127.0.0.0/8\` expands to 16,777,216 addresses; the limit is 65,536 per range (use a smaller block or split it)`,
      `${f}:6:3: unknown key \`prun\` in settings (did you mean \`prune\`?); allowed keys: schedule, prune, allowAliasRanges, aliasesFromHosts`,
      'loopkeeper: the config is invalid: 3 error(s), 0 warning(s)',
      '',
    ]);
  });

  it('a conflict across two files names both places', () => {
    const d = dir();
    writeFileSync(join(d, 'a.yaml'), 'version: 1\nhosts:\n  api.test: 127.0.0.2\n');
    writeFileSync(join(d, 'b.yaml'), 'version: 1\nhosts:\n  api.test: 127.0.0.3\n');
    const r = cli(['validate', join(d, 'a.yaml'), join(d, 'b.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(d, 'b.yaml')}:3:3: host \`api.test\` maps to 127.0.0.3 here but to 127.0.0.2 at ${join(d, 'a.yaml')}:3:3`);
  });

  it('without FILES validates the configured files (--config, LOOPKEEPER_CONFIG; a directory means its *.yaml)', () => {
    const d = dir();
    mkdirSync(join(d, 'conf.d'));
    writeFileSync(join(d, 'conf.d', '10-a.yaml'), 'version: 1\naliases: [127.0.0.2]\n');
    writeFileSync(join(d, 'conf.d', '20-b.yml'), 'version: 1\naliases: [127.0.0.3]\n');
    expect(cli(['--config', join(d, 'conf.d'), 'validate']).stdout).toBe('2 file(s) valid: 2 aliases, 0 hosts\n');
    expect(cli(['validate'], { LOOPKEEPER_CONFIG: join(d, 'conf.d', '10-a.yaml') }).stdout).toBe('1 file(s) valid: 1 aliases, 0 hosts\n');
  });

  it.each([
    ['a missing file', (d: string) => join(d, 'nope.yaml'), 'no such file'],
    ['a directory without config files', (d: string) => d, 'is a directory without *.yaml or *.yml files; put the config there or pass a file'],
    ['an empty file', (d: string) => (writeFileSync(join(d, 'e.yaml'), ''), join(d, 'e.yaml')), 'is empty; expected at least `version: 1`'],
    ['binary junk', (d: string) => (writeFileSync(join(d, 'j.yaml'), Buffer.from([0xff, 0xfe, 0, 1, 2])), join(d, 'j.yaml')), 'contains a NUL byte'],
  ])('%s: exit 2, one line at 1:1, no stack trace', (_name, make, message) => {
    const path = make(dir());
    const r = cli(['validate', path]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]!.startsWith(`${path}:1:1: ${message}`)).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('loopkeeper schema', () => {
  it('prints the JSON Schema, identical to config/loopkeeper.schema.json', () => {
    const r = cli(['schema']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(join(REPO, 'config', 'loopkeeper.schema.json'), 'utf8'));
    expect(JSON.parse(r.stdout).title).toBe('loopkeeper desired-state file');
  });
  it('the example config validates with the built CLI', () => {
    const r = cli(['validate', join(REPO, 'config', 'loopkeeper.example.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^1 file\(s\) valid: \d+ aliases, 6 hosts\n$/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

