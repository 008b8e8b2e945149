// Runs the registered checks (all, or the ones `--check` names), concurrently, and reports them
// in registry order. A check that throws is reported, never allowed to hide the others.
import { createContext } from './context';
import { CHECKS } from './registry';
import type { CheckResult, DoctorCheck, DoctorInput, DoctorReport, DoctorSeams } from './types';
import { messageOf, resultOf } from './util';

export interface RunOptions {
  /** Only these check ids (validated by selectChecks). */
  only?: readonly string[];
  checks?: readonly DoctorCheck[];
}

/** The checks to run, or the ids that are unknown (a usage error). */
export function selectChecks(
  only: readonly string[] | undefined,
  input: Pick<DoctorInput, 'platform' | 'ports'>,
  checks: readonly DoctorCheck[] = CHECKS,
): { checks: DoctorCheck[] } | { unknown: string[] } | { needPorts: string[] } {
  if (only === undefined || only.length === 0) {
    // Everything that applies here; the port checks only when there is a port to look at.
    return { checks: checks.filter((c) => (!c.platforms || c.platforms.includes(input.platform)) && (!c.needsPorts || input.ports.length > 0)) };
  }
  const ids = new Set(checks.map((c) => c.id));
  const unknown = only.filter((id) => !ids.has(id));
  if (unknown.length > 0) return { unknown };
  const picked = checks.filter((c) => only.includes(c.id));
  const needPorts = picked.filter((c) => c.needsPorts && input.ports.length === 0).map((c) => c.id);
  if (needPorts.length > 0) return { needPorts };
  return { checks: picked };
}

async function guarded(check: DoctorCheck, run: () => Promise<CheckResult | CheckResult[]>): Promise<CheckResult[]> {
  try {
    const r = await run();
    return Array.isArray(r) ? r : [r];
  } catch (e) {
    return [resultOf(check, 'warn', `could not run this check: ${messageOf(e)}`)];
  }
}

export async function runDoctor(input: DoctorInput, seams: DoctorSeams, opts: RunOptions = {}): Promise<DoctorReport> {
  const selected = selectChecks(opts.only, input, opts.checks);
  if (!('checks' in selected)) throw new Error(`bad check selection: ${JSON.stringify(selected)}`);
  const ctx = createContext(input, seams);
  const results = await Promise.all(
    selected.checks.map((c) =>
      c.platforms && !c.platforms.includes(input.platform)
        ? Promise.resolve([resultOf(c, 'skip', `only on ${c.platforms.join(', ')}`)])
        : guarded(c, () => c.run(ctx)),
    ),
  );
  const checks = results.flat();
  return { checks, ok: checks.every((c) => c.status !== 'fail') };
}
