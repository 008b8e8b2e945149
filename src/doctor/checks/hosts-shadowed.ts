// The hosts file as the resolver reads it: desired names shadowed by an earlier line (the resolver
// takes the first match), and a damaged managed block (loopkeeper writes nothing until it is fixed).
import { lineList } from '../../lines';
import type { DesiredHost } from '../../model';
import type { CheckResult, DoctorCheck, DoctorSeams } from '../types';
import { errorCode, firstLines, needsConfig, plural, resultOf } from '../util';

const self = { id: 'hosts-shadowed', title: 'hosts file' };

export async function checkHostsShadowed(seams: Pick<DoctorSeams, 'readFile' | 'planHosts'>, hostsFile: string, hosts: readonly DesiredHost[]): Promise<CheckResult> {
  let content: Buffer;
  try {
    content = await seams.readFile(hostsFile);
  } catch (e) {
    return resultOf(self, 'fail', `cannot read ${hostsFile}: ${errorCode(e)}`);
  }
  const plan = seams.planHosts(content, [...hosts]);
  const shadowed = plan.entries.filter((e) => e.state === 'shadowed');
  const data = { shadowed, damage: plan.damage };
  if (plan.damage !== null) {
    return resultOf(self, 'fail', `${hostsFile}: ${plan.damage.message} (${lineList(plan.damage.lines)})`, {
      hints: ['fix or remove the loopkeeper markers by hand; loopkeeper never guesses and writes nothing until then'],
      data,
    });
  }
  if (shadowed.length > 0) {
    return resultOf(
      self,
      'fail',
      `${plural(shadowed.length, 'desired name')} shadowed by an earlier line in ${hostsFile} (the resolver takes the first match):\n` +
        firstLines(shadowed.map((e) => `${e.name}: ${e.detail}`)),
      { hints: ['remove or change the earlier line'], data },
    );
  }
  return resultOf(self, 'ok', `no desired name is shadowed in ${hostsFile}`, { data });
}

export const check: DoctorCheck = {
  ...self,
  about: 'no desired name is mapped elsewhere by an earlier hosts line, and the managed block is not damaged',
  async run(ctx) {
    const desired = await ctx.desired();
    return desired ? checkHostsShadowed(ctx.seams, ctx.input.hostsFile, desired.hosts) : needsConfig(self);
  },
};
