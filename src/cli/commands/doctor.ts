// `loopkeeper doctor [--port N]… [--check ID]… [--json]`: diagnostics; exit 0 healthy, 1 problems
// found, 2 for a bad --port or an unknown --check (the message lists the ids).
import { formatCheck, formatJson, formatReport } from '../../doctor/format';
import { CHECKS } from '../../doctor/registry';
import { runDoctor, selectChecks } from '../../doctor/run';
import { systemSeams } from '../../doctor/system';
import { EXIT } from '../../exit-codes';
import { createRunner } from '../../platform/runner';
import type { CommandRun } from '../context';

export interface DoctorOptions {
  port?: string[] | string;
  check?: string[] | string;
  json?: boolean;
}

/** Port numbers from repeated `--port N`; null (with the offending text) when one is not 1–65535. */
export function parsePorts(raw: DoctorOptions['port']): { ports: number[] } | { bad: string } {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const ports: number[] = [];
  for (const text of list) {
    const t = String(text).trim();
    const n = /^\d{1,5}$/.test(t) ? Number(t) : NaN;
    if (!(n >= 1 && n <= 65535)) return { bad: String(text) };
    if (!ports.includes(n)) ports.push(n);
  }
  return { ports };
}

/** `--check a,b --check c` → [a, b, c]. */
export function parseChecks(raw: DoctorOptions['check']): string[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return [...new Set(list.flatMap((t) => String(t).split(',')).map((t) => t.trim()).filter((t) => t !== ''))];
}

function idList(): string {
  return CHECKS.map((c) => `  ${c.id.padEnd(18)} ${c.about}${c.platforms ? ` (${c.platforms.join(', ')} only)` : ''}`).join('\n');
}

export const run: CommandRun<DoctorOptions> = async (ctx, opts) => {
  const parsed = parsePorts(opts.port);
  if ('bad' in parsed) {
    ctx.err(`loopkeeper: --port ${JSON.stringify(parsed.bad)} is not a port number (1-65535)\n`);
    return EXIT.USAGE;
  }
  const rt = ctx.runtime;
  const input = { platform: rt.platform, hostsFile: rt.hostsFile, socket: rt.socket, interfaceName: rt.interfaceName, ports: parsed.ports };
  const only = parseChecks(opts.check);
  const selection = selectChecks(only, input);
  if ('unknown' in selection) {
    const names = selection.unknown.map((u) => JSON.stringify(u)).join(', ');
    ctx.err(`loopkeeper: no doctor check ${names}; the checks are:\n${idList()}\n`);
    return EXIT.USAGE;
  }
  if ('needPorts' in selection) {
    ctx.err(`loopkeeper: --check ${selection.needPorts.join(', ')} looks at the ports given with --port N; give at least one\n`);
    return EXIT.USAGE;
  }
  const report = await runDoctor(input, systemSeams(rt, createRunner()), { only });
  if (opts.json) ctx.out(formatJson(report));
  else if (ctx.quiet) {
    // Errors only: the failed checks, on stderr.
    const failed = report.checks.filter((c) => c.status === 'fail');
    const width = Math.max(0, ...failed.map((c) => c.title.length));
    for (const c of failed) ctx.err(formatCheck(c, width, false));
  } else ctx.out(formatReport(report, ctx.color));
  return report.ok ? EXIT.OK : EXIT.FAILURE;
};
