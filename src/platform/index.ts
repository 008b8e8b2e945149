// Picks the adapter for the running OS through its profile (src/platform/profiles). Everything
// that touches the interface goes through the Platform returned here, and every process goes
// through the runner given to it.
import type { AliasAdapterOptions } from './profile';
import { requireProfile } from './profiles';
import type { Platform } from './types';

export interface PlatformOptions extends AliasAdapterOptions {
  platform: NodeJS.Platform;
}

export function createPlatform(opts: PlatformOptions): Platform {
  const profile = requireProfile(opts.platform);
  const aliases = profile.createAliases(opts);
  return { name: profile.os, aliases, flushDnsCache: () => profile.flushDnsCache(opts.runner) };
}

export { createRunner, CommandError } from './runner';
export type { Platform, CommandRunner } from './types';
