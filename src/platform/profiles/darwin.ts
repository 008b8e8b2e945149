// macOS: ifconfig on `lo0`, launchd, mDNSResponder (which caches, and reads only a regular
// /private/etc/hosts).
import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { shellLine } from '../../shell';
import type { HostsFileIgnored, LinkSeam, PlatformProfile } from '../profile';

const realLinks: LinkSeam = {
  async readLinkIfAny(path) {
    const st = await lstat(path);
    return st.isSymbolicLink() ? readlink(path) : null;
  },
  realpath: (p) => realpath(p),
};

/**
 * The commands that replace a symlinked hosts file by a regular copy of what it points to, with
 * absolute paths on both sides: a relative link (`hosts -> ../../Users/me/hosts`) resolves against
 * the link's directory, not the directory the user runs the fix from.
 */
export function replaceLinkCommand(hostsFile: string, target: string): string {
  const file = resolve(hostsFile);
  const tmp = `${file}.loopkeeper-new`;
  return [
    shellLine(['sudo', 'cp', target, tmp]),
    shellLine(['sudo', 'chmod', '644', tmp]),
    shellLine(['sudo', 'mv', tmp, file]),
  ].join(' && ');
}

/**
 * mDNSResponder's sandbox reads only /private/etc/hosts as a regular file: a symlink there (to a
 * synced or hand-edited copy) is ignored, so nothing in it resolves. /etc itself is a symlink to
 * private/etc on every Mac; only the last component matters.
 */
export async function darwinHostsFileIgnored(hostsFile: string, seam: LinkSeam = realLinks): Promise<HostsFileIgnored | null> {
  let link: string | null;
  try {
    link = await seam.readLinkIfAny(hostsFile);
  } catch {
    return null; // missing or unreadable: the hosts engine reports that itself
  }
  if (link === null) return null;
  let target: string;
  try {
    target = await seam.realpath(hostsFile);
  } catch {
    // A dangling link: name where it points, resolved against the link's own directory.
    target = resolve(dirname(resolve(hostsFile)), link);
  }
  const fix = replaceLinkCommand(hostsFile, target);
  return {
    reason: 'HostsFileIgnored',
    message:
      `${hostsFile} is a symlink (to ${target}): macOS's resolver (mDNSResponder) reads only a regular file there and ` +
      `ignores a symlinked one, so no name in it resolves; replace the link by a copy: ${fix}`,
    fix,
    target,
  };
}

export const darwinProfile: PlatformProfile = {
  os: 'darwin',
  displayName: 'macOS',
  defaults: { socket: '/var/run/loopkeeper.sock', stateDir: '/var/db/loopkeeper', interfaceName: 'lo0' },
  interfaceUpCommand: (name) => `sudo ifconfig ${name} up`,
  createAliases(opts) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../darwin') as typeof import('../darwin')).createDarwinAliases(opts);
  },
  flushDnsCache(runner) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../darwin') as typeof import('../darwin')).flushDarwinDnsCache(runner);
  },
  hostsFileIgnored: (hostsFile, seam) => darwinHostsFileIgnored(hostsFile, seam),
  serviceManager() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../service/launchd') as typeof import('../../service/launchd')).launchdManager;
  },
  doctor: {
    portRange: { argv: ['/usr/sbin/sysctl', '-n', 'net.inet.ip.portrange.first', 'net.inet.ip.portrange.last'] },
    widenPortRange: 'widen the range: `sudo sysctl -w net.inet.ip.portrange.first=1024` (and `.last=65535`)',
    // lsof names the process of every listener, IPv6 ones included (systeminformation's netstat
    // parser loses their pid); one process for all the ports asked about. Fields: pid, command,
    // fd, type (IPv4/IPv6: `*:N` alone does not say which wildcard), the socket's kernel address
    // (one socket shared by forked workers is one) and the address.
    listeners: { kind: 'lsof', argv: (ports) => ['/usr/sbin/lsof', '-nP', ...ports.map((p) => `-iTCP:${p}`), '-sTCP:LISTEN', '-F', 'pcftdn'] },
    socketTable: { kind: 'netstat', argv: ['/usr/sbin/netstat', '-an', '-p', 'tcp'] },
    fileFlags: (file) => ['/bin/ls', '-lO', file],
    // XNU keeps no SO_REUSEPORT balancing for TCP: its lookup (in_pcblookup_hash) takes the first
    // matching socket of the hash chain, where each bind inserts at the head.
    reusePortConsequence:
      'macOS does not spread connections over such a group: every new connection goes to one member (the socket bound last), ' +
      'the others keep only what they already accepted and take over again when it closes, so an old process in the group ' +
      'answers again as soon as the new one stops',
    aliasesLostAtReboot: true,
    hostsLinkIgnored: true,
  },
};
