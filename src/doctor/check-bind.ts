// Every desired alias is usable: a TCP socket actually binds to it (port 0). An address that is
// "configured" but not bindable (missing, or IPv6 still tentative) fails here first.
import type { CheckResult, DoctorSeams } from './types';
import { errorCode, firstLines, mapLimit, plural } from './util';

const EXPLAIN: Record<string, string> = {
  EADDRNOTAVAIL: 'not on any interface',
  EACCES: 'permission denied',
  EINVAL: 'invalid for this socket',
};

export async function checkAliasesBindable(seams: Pick<DoctorSeams, 'bind'>, aliases: readonly string[]): Promise<CheckResult> {
  const base = { id: 'aliases-bindable', title: 'aliases bindable' };
  if (aliases.length === 0) return { ...base, status: 'ok', detail: 'no aliases desired' };
  const results = await mapLimit(aliases, 16, async (address) => {
    try {
      await seams.bind(address);
      return null;
    } catch (e) {
      return { address, error: errorCode(e) };
    }
  });
  const failed = results.filter((r): r is { address: string; error: string } => r !== null);
  if (failed.length === 0) return { ...base, status: 'ok', detail: `all ${plural(aliases.length, 'desired alias', 'desired aliases')} bind` };
  return {
    ...base,
    status: 'fail',
    detail:
      `${failed.length} of ${plural(aliases.length, 'desired alias', 'desired aliases')} cannot be bound:\n` +
      firstLines(failed.map((f) => `${f.address}: ${f.error}${EXPLAIN[f.error] ? ` (${EXPLAIN[f.error]})` : ''}`)),
    hints: ['the daemon adds missing aliases; once without it: `sudo loopkeeper apply`'],
    data: { failed },
  };
}
