// Picks the adapter for the running OS. Everything that touches the interface goes through the
// Platform returned here, and every process goes through the runner given to it.
import type { NetworkInterfaceInfo } from 'node:os';
import { createDarwinAliases, flushDarwinDnsCache } from './darwin';
import { createLinuxAliases } from './linux';
import type { CommandRunner, Platform } from './types';

export interface PlatformOptions {
  platform: NodeJS.Platform;
  interfaceName: string;
  runner: CommandRunner;
  allowAliasRanges: readonly string[];
  networkInterfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Default /sys/class/net (Linux); tests point it at a temp directory. */
  sysClassNet?: string;
  /** Where to look for `ip` (Linux; tests). */
  ipCandidates?: readonly string[];
}

export function createPlatform(opts: PlatformOptions): Platform {
  if (opts.platform === 'linux') {
    const aliases = createLinuxAliases(opts);
    return {
      name: 'linux',
      aliases,
      // glibc reads /etc/hosts on every lookup; nscd/systemd-resolved pick up changes themselves.
      flushDnsCache: async () => undefined,
    };
  }
  if (opts.platform === 'darwin') {
    const aliases = createDarwinAliases(opts);
    return { name: 'darwin', aliases, flushDnsCache: () => flushDarwinDnsCache(opts.runner) };
  }
  throw new Error(`loopkeeper supports Linux and macOS; this is ${opts.platform}`);
}

export { createRunner, CommandError } from './runner';
export type { Platform, CommandRunner } from './types';
