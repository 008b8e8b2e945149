// `loopkeeper doctor [--port N]… [--json]`: diagnostics; exit 0 healthy, 1 problems found.
import { formatJson, formatReport } from '../../doctor/format';
import { runDoctor } from '../../doctor/run';
import { systemSeams } from '../../doctor/system';
import { EXIT } from '../../exit-codes';
import { createRunner } from '../../platform/runner';
import type { CommandRun } from '../context';

export interface DoctorOptions {
  port?: string[] | string;
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

export const run: CommandRun<DoctorOptions> = async (ctx, opts) => {
  const parsed = parsePorts(opts.port);
  if ('bad' in parsed) {
    ctx.err(`loopkeeper: --port ${JSON.stringify(parsed.bad)} is not a port number (1-65535)\n`);
    return EXIT.USAGE;
  }
  const rt = ctx.runtime;
  const report = await runDoctor(
    { platform: rt.platform, hostsFile: rt.hostsFile, socket: rt.socket, interfaceName: rt.interfaceName, ports: parsed.ports },
    systemSeams(rt, createRunner()),
  );
  ctx.out(opts.json ? formatJson(report) : formatReport(report, ctx.color));
  return report.ok ? EXIT.OK : EXIT.FAILURE;
};
