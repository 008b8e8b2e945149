// The daemon answers on its socket. Without it nothing repairs drift (and on macOS the aliases are
// gone after the next reboot), but that alone does not make the machine wrong: SPEC "Doctor" —
// "daemon not running" is a warning while the machine matches the config, and a problem only
// when something the config asks for is missing.
import { profileFor } from '../../platform/profiles';
import type { CheckResult, DaemonAnswer, DoctorCheck, MachinePlanView } from '../types';
import { messageOf, plural, resultOf } from '../util';
import { cliHint } from '../../cli/hint';

const self = { id: 'daemon', title: 'daemon' };
const INSTALL = (): string =>
  `\`${cliHint('install', { sudo: true })}\` runs it as a service (\`${cliHint('apply', { sudo: true })}\` applies the config once without it)`;

/** What the config asks for that the machine lacks: desired aliases not present, names not in the block. */
export function missingParts(machine: MachinePlanView): { aliases: number; hosts: number } {
  return {
    aliases: machine.aliases.filter((a) => a.desired && a.state !== 'present').length,
    hosts: machine.hosts.filter((h) => h.state === 'missing').length,
  };
}

/** `machine`: the plan of the desired state, or why there is none (no valid config, the plan failed). */
export function judgeDaemon(answer: DaemonAnswer, socket: string, machine: MachinePlanView | { unknown: string }, platform: NodeJS.Platform): CheckResult {
  if (answer.reachable) {
    if (answer.status === 200) return resultOf(self, 'ok', `answers on ${socket}; the last reconcile converged`, { data: { socket, status: 200 } });
    const why = answer.status === 503 ? 'the last reconcile did not converge' : `GET /v1/health answered HTTP ${answer.status}`;
    return resultOf(self, 'warn', `answers on ${socket}, but ${why}`, {
      hints: [`\`${cliHint('status')}\` shows what is out of sync and why`],
      data: { socket, status: answer.status },
    });
  }
  const data = { socket, error: answer.code, running: false as boolean | null };
  if (answer.code !== 'ENOENT' && answer.code !== 'ECONNREFUSED') {
    // Something is there but does not answer as it should: that is wrong whatever the machine looks like.
    data.running = null;
    const detail =
      answer.code === 'EACCES'
        ? `cannot connect to ${socket}: permission denied`
        : answer.code === 'ETIMEDOUT'
          ? `${socket} did not answer within 1 s`
          : `cannot reach ${socket}: ${answer.message}`;
    return resultOf(self, 'fail', detail, { hints: [`\`${cliHint('status')}\` says more; the service log has the daemon's side`], data });
  }
  const notRunning = `not running: nothing listens on ${socket}`;
  if ('unknown' in machine) {
    return resultOf(self, 'warn', `${notRunning}; whether the machine matches the config cannot be judged: ${machine.unknown}`, { hints: [INSTALL()], data });
  }
  const missing = missingParts(machine);
  if (missing.aliases + missing.hosts > 0) {
    const what = [
      missing.aliases > 0 ? `${plural(missing.aliases, 'desired alias', 'desired aliases')} missing` : '',
      missing.hosts > 0 ? `${plural(missing.hosts, 'host name')} not in the managed block` : '',
    ].filter(Boolean);
    return resultOf(self, 'fail', `${notRunning}, and the machine does not match the config: ${what.join(', ')}`, {
      hints: [INSTALL(), `\`${cliHint('plan')}\` shows every difference`],
      data: { ...data, missing },
    });
  }
  const after = profileFor(platform)?.doctor.aliasesLostAtReboot ? `, and ${profileFor(platform)!.defaults.interfaceName} loses its aliases at the next reboot` : '';
  const removals = machine.changes.filter((c) => c.action === 'remove').length;
  const extra = removals > 0 ? `; ${plural(removals, 'entry', 'entries')} no longer desired would be removed` : '';
  return resultOf(self, 'warn', `${notRunning}; the machine matches the config now, but nothing repairs drift${after}${extra}`, { hints: [INSTALL()], data });
}

export const check: DoctorCheck = {
  ...self,
  about: "GET /v1/health on the daemon's socket; without a daemon, whether the machine still matches the config",
  async run(ctx) {
    const answer = await ctx.daemon();
    if (answer.reachable) return judgeDaemon(answer, ctx.input.socket, { unknown: 'not asked' }, ctx.input.platform);
    let machine: MachinePlanView | { unknown: string };
    try {
      machine = (await ctx.machine()) ?? { unknown: 'there is no valid config' };
    } catch (e) {
      machine = { unknown: `planning failed (${messageOf(e)})` };
    }
    return judgeDaemon(answer, ctx.input.socket, machine, ctx.input.platform);
  },
};
