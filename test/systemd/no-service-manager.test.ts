// `install` / `uninstall` on a machine without a running service manager (SPEC "Services"): the
// same overlay root as the real-systemd suite, but PID 1 is `sleep` (no /run/systemd/system), as
// in a container or WSL without systemd. install must refuse before writing anything at all (the
// overlay's upper layer shows every write); uninstall must still remove every file a package or an
// earlier install left, including the link `systemctl enable` makes.
import { REPO, assertBuilt } from '../helpers/cli';
import { describeWithSystemd, hostSnapshot, SystemdContainer } from '../helpers/systemd-container';

const UNIT = '/etc/systemd/system/loopkeeper.service';
const WANTS_LINK = '/etc/systemd/system/multi-user.target.wants/loopkeeper.service';

describeWithSystemd('install / uninstall without a service manager', () => {
  let c: SystemdContainer;
  let before: Record<string, string>;
  /** Files written or deleted (not directories: overlayfs keeps the ones it copied up). */
  const written = () => c.upperLayer('', { filesOnly: true });

  beforeAll(async () => {
    assertBuilt();
    before = hostSnapshot();
    c = await SystemdContainer.create({ repo: REPO, init: 'none' });
    await c.start();
  });
  afterAll(async () => {
    await c?.destroy();
  });

  it('install writes nothing anywhere, exits 1 and says how to run the daemon in the foreground', () => {
    expect(c.exec(['test', '-e', '/run/systemd/system']).code).not.toBe(0);
    const upper = c.upperLayer();
    const r = c.loopkeeper(['install']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^loopkeeper: install refused: systemd is not running on this machine \(\/run\/systemd\/system does not exist/);
    expect(r.stderr).toContain(`Nothing was written. Run the daemon in the foreground instead`);
    expect(r.stderr).toContain(`\n  sudo ${process.execPath} /opt/loopkeeper/dist/daemon/main.js\n`);
    expect(c.upperLayer()).toEqual(upper);
  });

  it('uninstall removes the files and the enable link a package left, and notes there was no service to stop', () => {
    const upper = written();
    // What a package build lays down: the files (install --root / loads nothing) and `systemctl enable`'s link.
    expect(c.loopkeeper(['install', '--root', '/'])).toMatchObject({ code: 0, stderr: '' });
    c.ok(['ln', '-s', UNIT, WANTS_LINK]);
    expect(written()).not.toEqual(upper);
    const r = c.loopkeeper(['uninstall']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`removed   ${WANTS_LINK}\n`);
    expect(r.stdout).toContain(`removed   ${UNIT}\n`);
    expect(r.stdout).toContain('removed   /etc/loopkeeper\n');
    expect(r.stdout).toMatch(/^note: systemd is not running \(\/run\/systemd\/system does not exist\), so there was no service to stop or reload/m);
    expect(r.stdout).not.toMatch(/^ran\s/m);
    expect(written()).toEqual(upper);

    const again = c.loopkeeper(['uninstall']);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(/there was nothing to remove\.$/m);
  });

  it('leaves nothing on the host', async () => {
    await c.destroy();
    expect(c.cgroupsLeft).toEqual([]);
    expect(hostSnapshot()).toEqual(before);
  });
});
