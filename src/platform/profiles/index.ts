// The registry of platform profiles: the one place that maps process.platform to what loopkeeper
// knows about that OS (src/platform/profile.ts). A new OS is one line here.
import type { OsName, PlatformProfile } from '../profile';
import { darwinProfile } from './darwin';
import { linuxProfile } from './linux';

const PROFILES: Readonly<Record<OsName, PlatformProfile>> = { linux: linuxProfile, darwin: darwinProfile };

export const SUPPORTED_OSES: readonly OsName[] = Object.keys(PROFILES) as OsName[];

/** The profile of `platform`, or null where loopkeeper has none (it still validates configs there). */
export function profileFor(platform: NodeJS.Platform | string): PlatformProfile | null {
  return Object.prototype.hasOwnProperty.call(PROFILES, platform) ? PROFILES[platform as OsName] : null;
}

/** The profile of `platform`; throws a message naming the supported systems where there is none. */
export function requireProfile(platform: NodeJS.Platform | string, what = 'loopkeeper'): PlatformProfile {
  const p = profileFor(platform);
  if (p) return p;
  const names = SUPPORTED_OSES.map((o) => PROFILES[o].displayName).join(' and ');
  throw new UnsupportedPlatform(`${what} supports ${names}; this is ${platform}`);
}

export class UnsupportedPlatform extends Error {
  override name = 'UnsupportedPlatform';
}

/** The systems whose profile says `pred` (for declaring where a check or a feature applies). */
export function platformsWhere(pred: (p: PlatformProfile) => boolean): OsName[] {
  return SUPPORTED_OSES.filter((o) => pred(PROFILES[o]));
}

/**
 * Defaults where no profile exists: the Linux paths, so that `validate`, `plan` and `schema` run
 * on any system (they change nothing there).
 */
export const FALLBACK_PROFILE: PlatformProfile = linuxProfile;

export type { OsName, PlatformProfile } from '../profile';
