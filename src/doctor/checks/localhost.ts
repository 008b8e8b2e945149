// `localhost` as the resolver answers it: every address and their order (`::1` before
// `127.0.0.1` surprises people whose server listens on 127.0.0.1 only).
import { isLoopbackAddress, parseIp } from '../../net/ip';
import type { CheckResult, DoctorCheck, DoctorSeams } from '../types';
import { errorCode, resultOf } from '../util';
import { canonicalList } from './hosts-resolve';

const self = { id: 'localhost', title: 'localhost' };

export async function checkLocalhost(seams: Pick<DoctorSeams, 'lookup'>): Promise<CheckResult> {
  let resolved: string[];
  try {
    resolved = canonicalList(await seams.lookup('localhost'));
  } catch (e) {
    return resultOf(self, 'fail', `localhost does not resolve (${errorCode(e)})`, { hints: ['add `127.0.0.1 localhost` and `::1 localhost` to the hosts file'] });
  }
  const data = { addresses: resolved };
  if (resolved.length === 0) return resultOf(self, 'fail', 'localhost resolves to nothing', { data });
  const foreign = resolved.filter((a) => {
    const ip = parseIp(a);
    return ip === null || !isLoopbackAddress(ip);
  });
  const detail = `localhost → ${resolved.join(', ')}`;
  if (foreign.length > 0) {
    return resultOf(self, 'fail', `${detail}: ${foreign.join(', ')} is not a loopback address`, { hints: ['a hosts file line maps localhost elsewhere; remove it'], data });
  }
  const v6 = resolved.indexOf('::1');
  const v4 = resolved.indexOf('127.0.0.1');
  const hints =
    v6 !== -1 && (v4 === -1 || v6 < v4)
      ? ['::1 comes first: clients of `localhost:PORT` try IPv6 first, so a server listening only on 127.0.0.1 is reached after a refused attempt (or not at all), and a different process on [::1]:PORT wins']
      : undefined;
  return resultOf(self, 'ok', detail, { hints, data });
}

export const check: DoctorCheck = {
  ...self,
  about: 'the addresses of localhost in resolver order',
  run: (ctx) => checkLocalhost(ctx.seams),
};
