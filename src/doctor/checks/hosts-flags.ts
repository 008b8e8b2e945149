// macOS: the uchg/schg flags make the hosts file immutable: nothing can change it, loopkeeper included.
import { parseLsFlags } from '../parse/ls-flags';
import type { CheckResult, DoctorCheck, DoctorSeams } from '../types';
import { messageOf, resultOf } from '../util';

const self = { id: 'hosts-flags', title: 'hosts file flags' };
const IMMUTABLE = ['uchg', 'schg', 'uappnd', 'sappnd'];

export async function checkHostsFlags(seams: Pick<DoctorSeams, 'runner'>, hostsFile: string): Promise<CheckResult> {
  const argv = ['/bin/ls', '-lO', hostsFile];
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
  platforms: ['darwin'],
  run: (ctx) => checkHostsFlags(ctx.seams, ctx.input.hostsFile),
};
