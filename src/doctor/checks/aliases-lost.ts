// macOS: lo0 aliases do not survive a reboot; only the daemon puts them back. Desired aliases
// missing from the interface mean the daemon has not run since boot (or failed to).
import { platformsWhere } from '../../platform/profiles';
import type { CheckResult, DoctorCheck, DoctorSeams } from '../types';
import { firstLines, needsConfig, plural, resultOf } from '../util';
import { cliHint } from '../../cli/hint';

const self = { id: 'aliases-lost', title: 'aliases since boot' };

function since(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'an unknown time';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

export function checkAliasesLost(
  seams: Pick<DoctorSeams, 'interfaceAddresses' | 'uptime'>,
  interfaceName: string,
  aliases: readonly string[],
  daemonReachable: boolean,
): CheckResult {
  const present = seams.interfaceAddresses(interfaceName);
  if (present === null) return resultOf(self, 'fail', `there is no interface ${interfaceName}`);
  const have = new Set(present);
  const missing = aliases.filter((a) => !have.has(a));
  const booted = `booted ${since(seams.uptime())} ago`;
  if (missing.length === 0) return resultOf(self, 'ok', `every desired alias is on ${interfaceName} (${booted})`);
  return resultOf(
    self,
    'fail',
    `${missing.length.toLocaleString('en-US')} of ${plural(aliases.length, 'desired alias', 'desired aliases')} missing from ${interfaceName} (${booted}; ${interfaceName} aliases do not survive a reboot):\n${firstLines(missing)}`,
    {
      hints: [
        daemonReachable
          ? `the daemon runs but has not added them: \`${cliHint('status')}\` says why`
          : `the daemon is not running, so nothing restores them at boot: \`${cliHint('install', { sudo: true })}\``,
      ],
      data: { missing },
    },
  );
}

export const check: DoctorCheck = {
  ...self,
  about: 'macOS: desired aliases missing from lo0, which loses its aliases at every reboot unless the daemon runs',
  platforms: platformsWhere((p) => p.doctor.aliasesLostAtReboot),
  async run(ctx) {
    const desired = await ctx.desired();
    if (!desired) return needsConfig(self);
    const daemon = await ctx.daemon();
    return checkAliasesLost(ctx.seams, ctx.input.interfaceName, desired.aliases, daemon.reachable);
  },
};
