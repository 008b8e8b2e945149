// macOS: the uchg/schg flags make the hosts file immutable: nothing can change it, loopkeeper included.
import { platformsWhere, requireProfile } from '../../platform/profiles';
import { parseLsFlags } from '../parse/ls-flags';
import type { CheckResult, DoctorCheck, DoctorSeams } from '../types';
import { messageOf, resultOf } from '../util';

const self = { id: 'hosts-flags', title: 'hosts file flags' };
const IMMUTABLE = ['uchg', 'schg', 'uappnd', 'sappnd'];

/** `argv` prints the file's flags (the platform profile's: `/bin/ls -lO FILE` on macOS). */
export async function checkHostsFlags(seams: Pick<DoctorSeams, 'runner'>, hostsFile: string, argv = ['/bin/ls', '-lO', hostsFile]): Promise<CheckResult> {
  let output: string;
  try {
    const r = await seams.runner.run(argv);
    if (r.code !== 0) return resultOf(self, 'warn', `\`${argv.join(' ')}\` exited with ${r.code}: ${r.stderr.trim()}`);
    output = r.stdout;
  } catch (e) {
    return resultOf(self, 'warn', `cannot run \`${argv.join(' ')}\`: ${messageOf(e)}`);
  }
  const flags = parseLsFlags(output);
  if (flags === null) return resultOf(self, 'warn', `cannot read the flags from ${JSON.stringify(output.slice(0, 120))}`);
  const blocking = flags.filter((f) => IMMUTABLE.includes(f));
  if (blocking.length === 0) return resultOf(self, 'ok', flags.length ? `flags: ${flags.join(',')}` : 'no file flags', { data: { flags } });
  return resultOf(self, 'fail', `${hostsFile} has the ${blocking.join(', ')} flag: nothing can change it, loopkeeper included`, {
    hints: [`sudo chflags no${blocking[0]} ${hostsFile}${blocking.some((f) => f.startsWith('s')) ? ' (system flags clear only in single-user mode)' : ''}`],
    data: { flags },
  });
}

export const check: DoctorCheck = {
  ...self,
  about: 'macOS: the hosts file has no uchg/schg flag (nothing could write it)',
  platforms: platformsWhere((p) => p.doctor.fileFlags !== null),
  run: (ctx) => checkHostsFlags(ctx.seams, ctx.input.hostsFile, requireProfile(ctx.input.platform).doctor.fileFlags!(ctx.input.hostsFile)),
};
