// Every desired alias is usable: a TCP socket actually binds to it (port 0). An address that is
// "configured" but not bindable (missing, or IPv6 still tentative) fails here first. On Linux
// every 127.x address binds even without an alias (127/8 is routed to lo whole).
import type { CheckResult, DoctorCheck, DoctorSeams } from '../types';
import { errorCode, firstLines, mapLimit, needsConfig, plural, resultOf } from '../util';
import { cliHint } from '../../cli/hint';

const self = { id: 'aliases-bindable', title: 'aliases bindable' };

const EXPLAIN: Record<string, string> = {
  EADDRNOTAVAIL: 'not on any interface',
  EACCES: 'permission denied',
  EINVAL: 'invalid for this socket',
};

export async function checkAliasesBindable(seams: Pick<DoctorSeams, 'bind'>, aliases: readonly string[]): Promise<CheckResult> {
  if (aliases.length === 0) return resultOf(self, 'ok', 'no aliases desired');
  const results = await mapLimit(aliases, 16, async (address) => {
    try {
      await seams.bind(address);
      return null;
    } catch (e) {
      return { address, error: errorCode(e) };
    }
  });
  const failed = results.filter((r): r is { address: string; error: string } => r !== null);
  if (failed.length === 0) return resultOf(self, 'ok', `all ${plural(aliases.length, 'desired alias', 'desired aliases')} bind`);
  return resultOf(
    self,
    'fail',
    `${count(failed.length)} of ${plural(aliases.length, 'desired alias', 'desired aliases')} cannot be bound:\n` +
      firstLines(failed.map((f) => `${f.address}: ${f.error}${EXPLAIN[f.error] ? ` (${EXPLAIN[f.error]})` : ''}`)),
    { hints: [`the daemon adds missing aliases; once without it: \`${cliHint('apply', { sudo: true })}\``], data: { failed } },
  );
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

export const check: DoctorCheck = {
  ...self,
  about: 'a TCP socket binds to every desired alias (port 0)',
  async run(ctx) {
    const desired = await ctx.desired();
    return desired ? checkAliasesBindable(ctx.seams, desired.aliases) : needsConfig(self);
  },
};
