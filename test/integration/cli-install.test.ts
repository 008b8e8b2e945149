// `loopkeeper install --root DIR` / `uninstall --root DIR` through the built CLI: the files a
// package or a user gets, and that running either twice changes nothing.
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MINIMAL_CONFIG, inertExample } from '../../src/service/install';
import { CLI, DAEMON, REPO, asNobody, assertBuilt, cli } from '../helpers/cli';

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('install / uninstall --root (Linux, systemd)', () => {
  let root: string;
  const unitPath = () => join(root, 'etc/systemd/system/loopkeeper.service');

  beforeAll(() => {
    assertBuilt();
    root = mkdtempSync(join(tmpdir(), 'lk-root-'));
  });

  it('install writes the unit with this node and the built daemon, the config and conf.d/', () => {
    const r = cli(['install', '--root', root]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const unit = readFileSync(unitPath(), 'utf8');
    expect(unit).toContain(`\nExecStart=${process.execPath} --max-semi-space-size=1 --lite-mode --no-expose-wasm ${DAEMON}\n`);
    expect(unit).toContain(`\nExecStartPost=${process.execPath} ${join(REPO, 'dist', 'service', 'ready.js')}\n`);
    expect(unit).not.toMatch(/@[A-Z_]+@/);
    expect(statSync(unitPath()).mode & 0o777).toBe(0o644);
    const config = join(root, 'etc/loopkeeper/loopkeeper.yaml');
    const example = join(REPO, 'config', 'loopkeeper.example.yaml');
    expect(readFileSync(config, 'utf8')).toBe(existsSync(example) ? inertExample(readFileSync(example, 'utf8')) : MINIMAL_CONFIG);
    expect(statSync(join(root, 'etc/loopkeeper/conf.d')).isDirectory()).toBe(true);
    expect(r.stdout).toContain(`wrote     ${unitPath()}\n`);
    expect(r.stdout).toContain(`Installed the systemd service under ${root}; nothing was loaded.`);
    // Nothing outside the three places install owns.
    expect(readdirSync(root).sort()).toEqual(['etc']);
    expect(readdirSync(join(root, 'etc')).sort()).toEqual(['loopkeeper', 'systemd']);
  });

  it('the config it writes is valid and asks for nothing until the user says so', () => {
    const config = join(root, 'etc/loopkeeper/loopkeeper.yaml');
    expect(cli(['--config', config, 'validate']).code).toBe(0);
    const plan = cli(['--config', config, '--hosts-file', join(root, 'no-hosts'), '--state-dir', join(root, 'state'), 'plan', '--json']);
    expect(JSON.parse(plan.stdout)).toMatchObject({ aliases: [], hosts: [], changes: [] });
  });

  it('install again changes nothing and says so', () => {
    const before = statSync(unitPath()).mtimeMs;
    const r = cli(['install', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`unchanged ${unitPath()}\n`);
    expect(r.stdout).not.toMatch(/^wrote/m);
    expect(statSync(unitPath()).mtimeMs).toBe(before);
  });

  it('install again changes nothing and says so in its summary', () => {
    const r = cli(['install', '--root', root]);
    expect(r.stdout).toContain(`The systemd service under ${root} was already installed: nothing changed, nothing was loaded.`);
  });

  it('uninstall removes everything install wrote, keeps a config the user edited; a second uninstall finds nothing', () => {
    const config = join(root, 'etc/loopkeeper/loopkeeper.yaml');
    const r = cli(['uninstall', '--root', root]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(unitPath())).toBe(false);
    expect(r.stdout).toContain(`removed   ${unitPath()}\n`);
    expect(r.stdout).toContain(`removed   ${config}\n`);
    expect(r.stdout).toContain(`removed   ${join(root, 'etc/loopkeeper')}\n`);
    expect(r.stdout).toContain(`\`sudo ${process.execPath} ${CLI} down\` removes them`); // as run: no `loopkeeper` on PATH
    expect(existsSync(join(root, 'etc/loopkeeper'))).toBe(false);

    expect(cli(['install', '--root', root]).code).toBe(0);
    writeFileSync(config, 'version: 1\naliases: [127.0.0.9]\n');
    const edited = cli(['uninstall', '--root', root]);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain(`kept      ${config} (your config: it differs from the one install wrote)\n`);
    expect(readFileSync(config, 'utf8')).toBe('version: 1\naliases: [127.0.0.9]\n');

    const again = cli(['uninstall', '--root', root]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`absent    ${unitPath()}\n`);
    expect(again.stdout).toContain(`loopkeeper is not installed here (${unitPath()} does not exist): there was nothing to remove.\n`);
  });

  it('without --root and not root: exit 1 with the exact sudo command, nothing done', () => {
    const expected = `loopkeeper: install changes the system's services and needs root. Run:\n  sudo ${process.execPath} ${CLI} install\n`;
    if (process.getuid?.() !== 0) {
      expect(cli(['install'])).toEqual({ code: 1, stdout: '', stderr: expected });
      return;
    }
    // As root the command would really install: run it as nobody (setpriv, util-linux) instead.
    const r = asNobody([process.execPath, CLI, 'install'], { env: { ...process.env, NO_COLOR: '1' } });
    const seen = expected.split(REPO).join(r.repo);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 1, stdout: '', stderr: seen });
  });
});
