// Runs every check in a fixed order. The config comes first: the checks that need the desired
// state are skipped (not failed) when it cannot be used, since the config check already failed.
import { checkAliasesLost } from './check-aliases-lost';
import { checkAliasesBindable } from './check-bind';
import { checkConfig } from './check-config';
import { checkDaemon } from './check-daemon';
import { checkEphemeralPorts } from './check-ephemeral';
import { checkHostsFlags, checkHostsShadowed, checkHostsSymlink } from './check-hosts-file';
import { checkPorts } from './check-port';
import { checkHostsResolve, checkLocalhost } from './check-resolve';
import type { CheckResult, DoctorInput, DoctorReport, DoctorSeams, LoadedConfigView } from './types';
import { messageOf } from './util';

/** A check that throws is reported, never allowed to hide the others. */
async function guarded(id: string, title: string, body: () => Promise<CheckResult> | CheckResult): Promise<CheckResult> {
  try {
    return await body();
  } catch (e) {
    return { id, title, status: 'warn', detail: `could not run this check: ${messageOf(e)}` };
  }
}

function skipped(id: string, title: string): CheckResult {
  return { id, title, status: 'skip', detail: 'needs a valid config' };
}

export async function runDoctor(input: DoctorInput, seams: DoctorSeams): Promise<DoctorReport> {
  let config: LoadedConfigView | null = null;
  const configCheck = await guarded('config', 'config', async () => {
    config = await seams.loadConfig();
    return checkConfig(config);
  });
  const loaded = config as LoadedConfigView | null;
  const desired = loaded?.desired ?? null;
  const aliases = desired?.aliases ?? [];
  const darwin = input.platform === 'darwin';

  const [daemon, bindable, resolve, shadowed, symlink, flags, localhost, ports, ephemeral] = await Promise.all([
    guarded('daemon', 'daemon', () => checkDaemon(seams, input.socket)),
    desired ? guarded('aliases-bindable', 'aliases bindable', () => checkAliasesBindable(seams, aliases)) : skipped('aliases-bindable', 'aliases bindable'),
    desired ? guarded('hosts-resolve', 'hosts resolve', () => checkHostsResolve(seams, desired.hosts)) : skipped('hosts-resolve', 'hosts resolve'),
    desired ? guarded('hosts-shadowed', 'hosts file', () => checkHostsShadowed(seams, input.hostsFile, desired.hosts)) : skipped('hosts-shadowed', 'hosts file'),
    darwin ? guarded('hosts-symlink', 'hosts file is a file', () => checkHostsSymlink(seams, input.hostsFile)) : null,
    darwin ? guarded('hosts-flags', 'hosts file flags', () => checkHostsFlags(seams, input.hostsFile)) : null,
    guarded('localhost', 'localhost', () => checkLocalhost(seams)),
    checkPorts(seams, input.ports, aliases),
    guarded('ephemeral-ports', 'ephemeral ports', () => checkEphemeralPorts(seams, input.platform, aliases)),
  ]);
  const lost = darwin
    ? desired
      ? await guarded('aliases-lost', 'aliases since boot', () =>
          checkAliasesLost(seams, input.interfaceName, aliases, daemon.status !== 'fail'),
        )
      : skipped('aliases-lost', 'aliases since boot')
    : null;

  const checks = [configCheck, daemon, bindable, lost, resolve, shadowed, symlink, flags, localhost, ...ports, ephemeral].filter(
    (c): c is CheckResult => c !== null,
  );
  return { checks, ok: checks.every((c) => c.status !== 'fail') };
}
