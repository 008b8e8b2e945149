// Ephemeral-port use now, not only capacity (SPEC "Doctor"): for every destination address:port
// this machine holds at least 1,000 connections to (ESTABLISHED + TIME_WAIT, from the kernel's
// socket table), the share of what it can take: each connection to one destination needs its own
// (source address, source port), so the capacity is the ephemeral range size × the source
// addresses those connections come from. Above 50 % a warning, above 80 % a problem: a load test
// or a connection-per-request client then fails with EADDRNOTAVAIL.
import { FALLBACK_PROFILE, profileFor } from '../../platform/profiles';
import { rangeSize } from '../parse/port-range';
import { hostPort } from '../listeners';
import type { CheckResult, DestinationUse, DoctorCheck, PortRange } from '../types';
import { firstLines, messageOf, plural, resultOf } from '../util';
import { cliHint } from '../../cli/hint';

const self = { id: 'ephemeral-use', title: 'ephemeral ports in use' };

export const BUSY = 1000;
export const WARN_SHARE = 0.5;
export const FAIL_SHARE = 0.8;

export interface DestinationJudgement {
  destination: string;
  address: string;
  port: number;
  connections: number;
  established: number;
  timeWait: number;
  sourceAddresses: string[];
  capacity: number;
  /** connections / capacity, 0–1 (more when sockets bound outside the range). */
  share: number;
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}

export function judgeUse(
  table: { destinations: readonly DestinationUse[]; source: string; skipped: number },
  range: PortRange | { unknown: string },
  platform: NodeJS.Platform,
): CheckResult {
  const busy = table.destinations.filter((d) => d.established + d.timeWait >= BUSY);
  const busiest = table.destinations[0];
  const skipped = table.skipped > 0 ? ` (${plural(table.skipped, 'unreadable line')} skipped)` : '';
  if (busy.length === 0) {
    const top = busiest ? `; the busiest is ${hostPort(busiest.address, busiest.port)} with ${plural(busiest.established + busiest.timeWait, 'connection')}` : '';
    return resultOf(self, 'ok', `no destination has ${BUSY.toLocaleString('en-US')} or more connections now${top}${skipped}`, {
      data: { threshold: BUSY, source: table.source, destinations: [] },
    });
  }
  if ('unknown' in range) {
    const lines = busy.map((d) => `${hostPort(d.address, d.port)}: ${plural(d.established + d.timeWait, 'connection')}`);
    return resultOf(self, 'warn', `${plural(busy.length, 'busy destination')}, but the share of capacity is unknown (${range.unknown}):\n${firstLines(lines)}`, {
      data: { threshold: BUSY, source: table.source, destinations: busy },
    });
  }
  const size = rangeSize(range);
  const judged: DestinationJudgement[] = busy.map((d) => {
    const connections = d.established + d.timeWait;
    const capacity = size * Math.max(1, d.sources.length);
    return {
      destination: hostPort(d.address, d.port),
      address: d.address,
      port: d.port,
      connections,
      established: d.established,
      timeWait: d.timeWait,
      sourceAddresses: d.sources,
      capacity,
      share: connections / capacity,
    };
  });
  judged.sort((a, b) => b.share - a.share);
  const worst = judged[0]!.share;
  const status = worst > FAIL_SHARE ? 'fail' : worst > WARN_SHARE ? 'warn' : 'ok';
  const lines = judged.map(
    (j) =>
      `${j.destination}: ${plural(j.connections, 'connection')} (${j.established.toLocaleString('en-US')} established, ${j.timeWait.toLocaleString('en-US')} in TIME_WAIT) ` +
      `from ${plural(j.sourceAddresses.length, 'source address', 'source addresses')} = ${percent(j.share)} of ${j.capacity.toLocaleString('en-US')} ` +
      `(ports ${range.first}–${range.last} × ${j.sourceAddresses.length})`,
  );
  const widen = (profileFor(platform) ?? FALLBACK_PROFILE).doctor.widenPortRange;
  const hints =
    status === 'ok'
      ? []
      : [
          `more source addresses: add aliases (\`${cliHint('aliases add')}\`) and have the client bind one before it connects, with SO_REUSEADDR ` +
            `(Node: \`localAddress\`; Python: \`source_address\`); each source address adds ${size.toLocaleString('en-US')} ports`,
          widen,
          'fewer connections: reuse them (keep-alive, a pool); each closed one holds its port in TIME_WAIT for a minute',
        ];
  const head = status === 'ok' ? 'busy destinations, within capacity' : `ephemeral ports running out for ${plural(judged.filter((j) => j.share > WARN_SHARE).length, 'destination')}`;
  return resultOf(self, status, `${head}${skipped}:\n${firstLines(lines)}`, {
    hints,
    data: { threshold: BUSY, source: table.source, range: { ...range, size }, destinations: judged },
  });
}

export const check: DoctorCheck = {
  ...self,
  about: 'connections now (ESTABLISHED + TIME_WAIT) to every destination with 1,000 or more, as a share of its capacity (warn > 50 %, fail > 80 %)',
  async run(ctx) {
    const platform = ctx.input.platform;
    if (profileFor(platform) === null) return resultOf(self, 'skip', `not known how to read the socket table on ${platform}`);
    let table;
    try {
      table = await ctx.connections();
    } catch (e) {
      return resultOf(self, 'warn', `cannot read the socket table: ${messageOf(e)}`);
    }
    let range: PortRange | { unknown: string };
    try {
      range = (await ctx.portRange()).range;
    } catch (e) {
      range = { unknown: messageOf(e) };
    }
    return judgeUse(table, range, platform);
  },
};
