// macOS: mDNSResponder's sandbox reads only /private/etc/hosts, so a symlinked /etc/hosts is
// ignored by the resolver whatever it says.
import { dirname, resolve } from 'node:path';
import { platformsWhere } from '../../platform/profiles';
import { replaceLinkCommand } from '../../platform/profiles/darwin';
import type { CheckResult, DoctorCheck, DoctorSeams } from '../types';
import { errorCode, resultOf } from '../util';

const self = { id: 'hosts-symlink', title: 'hosts file is a file' };

export async function checkHostsSymlink(seams: Pick<DoctorSeams, 'symlinkTarget'>, hostsFile: string): Promise<CheckResult> {
  try {
    const target = await seams.symlinkTarget(hostsFile);
    if (target === null) return resultOf(self, 'ok', `${hostsFile} is a regular file`);
    return resultOf(self, 'fail', `${hostsFile} is a symlink to ${target}: macOS's resolver ignores a symlinked hosts file`, {
      // Absolute on both sides: a relative link resolves against its own directory, not the
      // directory the fix is run from (cp follows the rest of a chain of links).
      hints: [`replace it with a regular file: ${replaceLinkCommand(hostsFile, resolve(dirname(resolve(hostsFile)), target))}`],
      data: { target },
    });
  } catch (e) {
    return resultOf(self, 'fail', `cannot examine ${hostsFile}: ${errorCode(e)}`);
  }
}

export const check: DoctorCheck = {
  ...self,
  about: 'macOS: the hosts file is not a symlink (the resolver ignores a symlinked one)',
  platforms: platformsWhere((p) => p.doctor.hostsLinkIgnored),
  run: (ctx) => checkHostsSymlink(ctx.seams, ctx.input.hostsFile),
};
