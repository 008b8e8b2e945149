// Where things live: defaults per platform, overridden by LOOPKEEPER_* variables, overridden by
// flags. Both binaries resolve their paths here so they always agree. What differs per OS comes
// from the platform profile (src/platform/profiles).
import type { PlatformDefaults } from './platform/profile';
import { FALLBACK_PROFILE, profileFor } from './platform/profiles';

export interface RuntimeFlags {
  config?: string[];
  hostsFile?: string;
  socket?: string;
  stateDir?: string;
  interface?: string;
}

export interface Runtime {
  /** Config files or directories named explicitly (flag or LOOPKEEPER_CONFIG); null = defaults. */
  configPaths: string[] | null;
  /** The default config file (used when configPaths is null); its conf.d/ sits beside it. */
  defaultConfigFile: string;
  hostsFile: string;
  socket: string;
  stateDir: string;
  interfaceName: string;
  platform: NodeJS.Platform;
}

export const DEFAULT_CONFIG_FILE = '/etc/loopkeeper/loopkeeper.yaml';

/** The platform's defaults (src/platform/profiles); the Linux ones where loopkeeper has no profile. */
function defaultsOf(platform: NodeJS.Platform): PlatformDefaults {
  return (profileFor(platform) ?? FALLBACK_PROFILE).defaults;
}

export function defaultSocket(platform: NodeJS.Platform): string {
  return defaultsOf(platform).socket;
}

export function defaultStateDir(platform: NodeJS.Platform): string {
  return defaultsOf(platform).stateDir;
}

export function defaultInterface(platform: NodeJS.Platform): string {
  return defaultsOf(platform).interfaceName;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

export function resolveRuntime(
  flags: RuntimeFlags,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Runtime {
  let configPaths: string[] | null = null;
  if (flags.config && flags.config.length > 0) configPaths = flags.config;
  else if (nonEmpty(env.LOOPKEEPER_CONFIG)) {
    configPaths = env.LOOPKEEPER_CONFIG!.split(':').filter((p) => p !== '');
  }
  return {
    configPaths,
    defaultConfigFile: DEFAULT_CONFIG_FILE,
    hostsFile: flags.hostsFile ?? nonEmpty(env.LOOPKEEPER_HOSTS_FILE) ?? '/etc/hosts',
    socket: flags.socket ?? nonEmpty(env.LOOPKEEPER_SOCKET) ?? defaultSocket(platform),
    stateDir: flags.stateDir ?? nonEmpty(env.LOOPKEEPER_STATE_DIR) ?? defaultStateDir(platform),
    interfaceName: flags.interface ?? nonEmpty(env.LOOPKEEPER_INTERFACE) ?? defaultInterface(platform),
    platform,
  };
}
