// The hosts-file engine: a pure planner for the one managed block, and an atomic writer.
export type { HostsDamage, HostsPlan } from './plan';
export { planHosts } from './plan';
export type { HostsApplyOutcome } from './writer';
export { TrampleGuard } from './trample';

import type { DesiredHost } from '../model';
import { applyHosts as applyWith, type HostsApplyOutcome } from './writer';

/** Plans and (unless dryRun or nothing changes) writes `path`. Throws for an unusable file. */
export function applyHosts(
  path: string,
  desired: DesiredHost[] | null,
  opts: { stateDir: string; dryRun?: boolean },
): Promise<HostsApplyOutcome> {
  return applyWith(path, desired, opts);
}
