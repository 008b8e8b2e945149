// How many connections one destination (address:port) can take at once: every connection needs
// its own (source address, source port) pair, so it is the ephemeral range size times the number
// of source addresses a client can bind (127.0.0.1 plus the IPv4 aliases; ::1 plus the IPv6 ones).
import { parseIp } from '../../net/ip';
import { profileFor } from '../../platform/profiles';
import { rangeSize } from '../parse/port-range';
import type { CheckResult, DoctorCheck, PortRange } from '../types';
import { messageOf, plural, resultOf } from '../util';

const self = { id: 'ephemeral-ports', title: 'ephemeral ports' };

/** A range this small runs out under an ordinary load test. */
const SMALL_RANGE = 4096;

export function judgeCapacity(range: PortRange, aliases: readonly string[]): CheckResult {
  const size = rangeSize(range);
  const v4 = 1 + aliases.filter((a) => parseIp(a)?.family === 4).length;
  const v6 = 1 + aliases.filter((a) => parseIp(a)?.family === 6).length;
  const detail =
    `ports ${range.first}–${range.last} (${plural(size, 'port')}): ` +
    `× ${plural(v4, 'IPv4 source address', 'IPv4 source addresses')} = ${(size * v4).toLocaleString('en-US')} concurrent connections to one IPv4 destination; ` +
    `× ${plural(v6, 'IPv6 source address', 'IPv6 source addresses')} = ${(size * v6).toLocaleString('en-US')} to one IPv6 destination`;
  const data = { first: range.first, last: range.last, size, sourceAddresses: { ipv4: v4, ipv6: v6 }, perDestination: { ipv4: size * v4, ipv6: size * v6 } };
  const hints = ["beyond one address's share a client must bind a source alias itself (e.g. `localAddress` in Node)"];
  if (size < SMALL_RANGE) return resultOf(self, 'warn', `${detail}; the range is unusually small`, { hints, data });
  return resultOf(self, 'ok', detail, { hints, data });
}

export const check: DoctorCheck = {
  ...self,
  about: 'the ephemeral port range × the source addresses of each family = the concurrent connections one destination can take',
  async run(ctx) {
    const platform = ctx.input.platform;
    if (profileFor(platform) === null) return resultOf(self, 'skip', `not known how to read the range on ${platform}`);
    let range: PortRange;
    try {
      range = (await ctx.portRange()).range;
    } catch (e) {
      return resultOf(self, 'warn', messageOf(e).startsWith('cannot parse') ? messageOf(e) : `cannot read the ephemeral port range: ${messageOf(e)}`);
    }
    return judgeCapacity(range, (await ctx.desired())?.aliases ?? []);
  },
};
