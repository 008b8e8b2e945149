// What the built CLI prints, as a user runs it: messages that say what is true, exit codes per
// SPEC, --quiet, --verbose, validate --json, doctor --check, and a closed stdout. Plan only: it
// reads the interface list and a temp hosts file and touches nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, assertBuilt, cli } from '../helpers/cli';
import { cliHint, invocationOf, realInvocationFacts } from '../../src/cli/hint';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'lk-output-'));
  writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
  writeFileSync(join(dir, 'damaged'), '127.0.0.1 localhost\n# BEGIN loopkeeper (managed, edits here are overwritten)\n127.0.0.2 x.test\n');
  // Only hosts, no aliases: the plan does not depend on what this machine's lo has.
  writeFileSync(join(dir, 'hosts-only.yaml'), 'version: 1\nsettings:\n  aliasesFromHosts: false\nhosts:\n  web.myteam.test: [127.0.0.3, fd00::2]\n');
  writeFileSync(join(dir, 'aliases.yaml'), 'version: 1\naliases:\n  - 127.0.0.2\n');
  writeFileSync(join(dir, 'big.yaml'), 'version: 1\naliases:\n  - range: 127.77.0.0/20\n');
  writeFileSync(join(dir, 'huge.yaml'), 'version: 1\naliases:\n  - range: 127.78.0.0/18\n');
  env = {
    LOOPKEEPER_HOSTS_FILE: join(dir, 'hosts'),
    LOOPKEEPER_STATE_DIR: join(dir, 'state'),
    LOOPKEEPER_SOCKET: join(dir, 'none.sock'),
    LOOPKEEPER_CONFIG: join(dir, 'hosts-only.yaml'),
  };
});

describe('plan says what is true', () => {
  it('a damaged hosts block: exit 1, "cannot plan" with the line, never "No changes"', () => {
    const r = cli(['plan'], { ...env, LOOPKEEPER_HOSTS_FILE: join(dir, 'damaged') });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/No changes|matches the config/);
    expect(r.stdout).toContain(`Hosts in ${join(dir, 'damaged')} (1): nothing can be planned — the managed block in ${join(dir, 'damaged')} is damaged\n`);
    expect(r.stdout).toContain('a BEGIN marker without an END marker (line 2); nothing was written');
    expect(r.stdout).not.toContain('(lines 2)');
    expect(r.stdout).toMatch(/^Cannot plan the hosts file \(the managed block in \S+ is damaged\): see the problems above\. Nothing else is pending\.$/m);
    // --exit-code does not turn "cannot plan" into "pending".
    expect(cli(['plan', '--exit-code'], { ...env, LOOPKEEPER_HOSTS_FILE: join(dir, 'damaged') }).code).toBe(1);
  });

  it('--interface lo5: exit 1, nothing can be planned for the aliases because lo5 does not exist', () => {
    const r = cli(['plan', '--interface', 'lo5'], { ...env, LOOPKEEPER_CONFIG: join(dir, 'aliases.yaml') });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Aliases on lo5 (1): nothing can be planned — interface lo5 does not exist\n');
    expect(r.stdout).toContain('interface lo5 does not exist; loopkeeper never creates interfaces');
    expect(r.stdout).not.toMatch(/No changes/);
    expect(r.stdout).toMatch(/^Cannot plan the aliases \(interface lo5 does not exist\): see the problems above\. Nothing else is pending\.$/m);
  });

  it('a plan with changes: exit 0, or 3 with --exit-code; the plain truth otherwise', () => {
    const r = cli(['plan'], env);
    expect(r.code).toBe(0);
    // The command as it was run (`node …/dist/cli/main.js`: no `loopkeeper` on PATH here).
    expect(r.stdout).toContain(`\nPlan: 1 to add, 0 to update, 0 to remove. Run \`${cliHint('apply', { how: invocationOf({ ...realInvocationFacts(), argv1: CLI }) })}\` to make them.\n`);
    expect(cli(['plan', '--exit-code'], env).code).toBe(3);
  });

  it('an invalid config says so and that there is no plan: exit 2', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'version: 2\n');
    const r = cli(['plan'], { ...env, LOOPKEEPER_CONFIG: join(dir, 'bad.yaml') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/loopkeeper: the config is invalid \(1 error\), so there is nothing to plan\n$/);
  });
});

describe('--quiet and --verbose', () => {
  it('-q: errors only, on stderr; exit codes unchanged', () => {
    expect(cli(['plan', '-q'], env)).toEqual({ code: 0, stdout: '', stderr: '' });
    const r = cli(['--quiet', 'plan', '--interface', 'lo5'], { ...env, LOOPKEEPER_CONFIG: join(dir, 'aliases.yaml') });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('loopkeeper: interface lo5 does not exist; loopkeeper never creates interfaces — check --interface / LOOPKEEPER_INTERFACE\n');
    // --json is what was asked for: still printed.
    expect(JSON.parse(cli(['plan', '-q', '--json'], env).stdout).changes).toHaveLength(1);
  });

  it('-q hides warnings, not errors (validate)', () => {
    writeFileSync(join(dir, 'warn.yaml'), 'version: 1\nhosts:\n  printer.local: 127.0.0.2\n');
    expect(cli(['validate', '-q', join(dir, 'warn.yaml')])).toEqual({ code: 0, stdout: '', stderr: '' });
    const bad = cli(['validate', '-q', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:1:\d+: /);
  });

  it('a range of 4,096 aliases is one line by default; --verbose lists every address', () => {
    const big = { ...env, LOOPKEEPER_CONFIG: join(dir, 'big.yaml') };
    const short = cli(['plan'], big);
    expect(short.code).toBe(0);
    expect(short.stdout.split('\n').length).toBeLessThan(12);
    expect(short.stdout).toMatch(/^ {2}(missing|present) {2}127\.77\.0\.0–127\.77\.15\.255 \(4,096 addresses\) {2}not owned$/m);
    const long = cli(['plan', '--verbose'], big);
    expect(long.stdout.split('\n').filter((l) => /^ {2}(missing|present) {2}127\.77\./.test(l))).toHaveLength(4096);
    expect(cli(['--verbose', 'plan'], big).stdout).toBe(long.stdout);
  });
});

describe('validate --json', () => {
  it('one document {valid, files, errors, warnings} on stdout, nothing else there; exit 0 or 2', () => {
    writeFileSync(join(dir, 'two.yaml'), 'version: 1\naliases:\n  - 10.0.0.2\nhosts:\n  printer.local: 127.0.0.2\n');
    const r = cli(['validate', '--json', join(dir, 'two.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['valid', 'files', 'errors', 'warnings']);
    expect(doc.valid).toBe(false);
    expect(doc.files).toEqual([join(dir, 'two.yaml')]);
    expect(doc.errors).toEqual([{ file: join(dir, 'two.yaml'), line: 3, col: 5, message: expect.stringMatching(/^alias 10\.0\.0\.2 is outside the ranges/) }]);
    expect(doc.warnings).toEqual([expect.objectContaining({ file: join(dir, 'two.yaml'), line: 5, col: 3 })]);
    const ok = cli(['validate', '--json', join(dir, 'warn.yaml')]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, errors: [], warnings: [{ line: 3, col: 3 }] });
    const missing = cli(['validate', '--json', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ valid: false, errors: [{ line: 1, col: 1 }] });
  });
});

describe('doctor --check', () => {
  it('an unknown id is a usage error (exit 2) that lists every id', () => {
    const r = cli(['doctor', '--check', 'nope'], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    for (const id of ['config', 'daemon', 'hosts-resolve', 'port-sharing', 'ephemeral-use']) expect(r.stderr).toMatch(new RegExp(`^ {2}${id} +\\S`, 'm'));
  });

  it('runs only the named checks, with stable ids in --json', () => {
    const r = cli(['doctor', '--check', 'config', '--check', 'localhost', '--json'], env);
    expect(JSON.parse(r.stdout).checks.map((c: { id: string }) => c.id)).toEqual(['config', 'localhost']);
    expect(cli(['doctor', '--check', 'port-sharing'], env)).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs|--port N/) });
  });
});

describe('a closed stdout ends the command quietly', () => {
  /** Runs the CLI into a pipe the reader closes after the first line; resolves with what happened. */
  function firstLineThenClose(args: string[], extraEnv: NodeJS.ProcessEnv): Promise<{ first: string; code: number | null; signal: string | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let buffered = '';
      let first: string | null = null;
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        if (first !== null) return;
        buffered += c;
        const nl = buffered.indexOf('\n');
        if (nl === -1) return;
        first = buffered.slice(0, nl);
        child.stdout.destroy(); // what `head -1` does: read a line, go away
      });
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ first: first ?? '', code, signal, stderr }));
    });
  }

  it('plan --verbose of a 16,384-address range into `head -1`: the first line, then a clean exit 0, no stack trace', async () => {
    const big = { ...env, LOOPKEEPER_CONFIG: join(dir, 'huge.yaml') };
    // The whole output is far more than a pipe holds (64 KiB), so the CLI is still writing when the reader leaves.
    expect(cli(['plan', '--verbose'], big).stdout.length).toBeGreaterThan(4 * 65536);
    for (let i = 0; i < 3; i++) {
      const r = await firstLineThenClose(['plan', '--verbose'], big);
      expect(r.first).toBe('Aliases on lo (16,384)');
      expect(r.stderr).toBe('');
      expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
    }
  });

  it('keeps the exit code of the command (3 for pending changes with --exit-code)', async () => {
    const r = await firstLineThenClose(['plan', '--verbose', '--exit-code'], { ...env, LOOPKEEPER_CONFIG: join(dir, 'huge.yaml') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
  });
});
