import { notRootMessage, pathsProblem, type PrivilegeFacts } from '../../../src/daemon/privilege';

function facts(euid: number, writable: string[], existing: string[]): PrivilegeFacts {
  return { euid, writable: (p) => writable.includes(p), exists: (p) => existing.includes(p) || writable.includes(p) || p === '/' };
}

describe('pathsProblem (a daemon that is not root)', () => {
  const rt = { hostsFile: '/etc/hosts', stateDir: '/var/lib/loopkeeper' };

  it('root: nothing to judge', () => {
    expect(pathsProblem(rt, facts(0, [], []))).toBeNull();
  });

  it('the defaults: root\'s hosts file and state dir', () => {
    expect(pathsProblem(rt, facts(1000, [], ['/etc/hosts', '/etc', '/var/lib', '/var']))).toBe(
      'it cannot write the hosts file /etc/hosts; it cannot create the state dir /var/lib/loopkeeper (/var/lib is not writable)',
    );
  });

  it('writable paths of its own pass; each missing piece is named', () => {
    const ok = { hostsFile: '/tmp/d/hosts', stateDir: '/tmp/d/state/x' };
    expect(pathsProblem(ok, facts(1000, ['/tmp/d/hosts', '/tmp/d'], []))).toBeNull(); // state dir created under /tmp/d
    expect(pathsProblem(ok, facts(1000, ['/tmp/d/hosts'], ['/tmp/d']))).toMatch(/^it cannot write \/tmp\/d \(the hosts file is replaced by a renamed temp file there\)/);
    expect(pathsProblem(ok, facts(1000, ['/tmp/d'], []))).toBe('the hosts file /tmp/d/hosts does not exist');
    expect(pathsProblem({ hostsFile: '/tmp/d/hosts', stateDir: '/tmp/s' }, facts(1000, ['/tmp/d/hosts', '/tmp/d'], ['/tmp/s']))).toBe('it cannot write the state dir /tmp/s');
  });

  it('the message says what, why, and both ways out', () => {
    expect(notRootMessage(1000, 'it cannot write the hosts file /etc/hosts')).toBe(
      'loopkeeperd is not root (uid 1000), so it could change nothing: adding loopback aliases needs root, and it cannot write the hosts file /etc/hosts. ' +
        'Run it as root (the service does: `sudo loopkeeper install`), or — for a test or a demo without root — give it a --hosts-file and a --state-dir this user can write and a config that declares no alias.',
    );
  });
});
