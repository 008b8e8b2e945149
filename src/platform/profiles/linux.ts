// Linux: iproute2 on `lo`, systemd, glibc reading /etc/hosts on every lookup.
import type { PlatformProfile } from '../profile';

export const linuxProfile: PlatformProfile = {
  os: 'linux',
  displayName: 'Linux',
  defaults: { socket: '/run/loopkeeper/loopkeeper.sock', stateDir: '/var/lib/loopkeeper', interfaceName: 'lo' },
  interfaceUpCommand: (name) => `ip link set ${name} up`,
  createAliases(opts) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../linux') as typeof import('../linux')).createLinuxAliases(opts);
  },
  // glibc reads /etc/hosts on every lookup; nscd/systemd-resolved pick up changes themselves.
  flushDnsCache: async () => undefined,
  // glibc follows a symlinked /etc/hosts like any other path.
  hostsFileIgnored: async () => null,
  serviceManager() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../service/systemd') as typeof import('../../service/systemd')).systemdManager;
  },
  doctor: {
    // Applies to IPv6 too.
    portRange: { file: '/proc/sys/net/ipv4/ip_local_port_range' },
    widenPortRange:
      'widen the range: `sudo sysctl -w net.ipv4.ip_local_port_range="1024 65535"` (per network namespace; persist it in /etc/sysctl.d/)',
    // Spawn-free: /proc/net/tcp{,6}, and the owners from /proc/PID/fd.
    listeners: { kind: 'proc' },
    socketTable: { kind: 'proc' },
    fileFlags: null,
    reusePortConsequence:
      'new connections are spread between the members of a group, so "my restart did not take" is often an old process still in the group ' +
      'answering a share of them',
    aliasesLostAtReboot: false,
    hostsLinkIgnored: false,
  },
};
