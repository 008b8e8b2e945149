// The hosts-file engine: a pure planner for the one managed block, and an atomic writer.
export type { HostsDamage, HostsPlan } from './plan';
export { planHosts } from './plan';
export type { HostsApplyOptions, HostsApplyOutcome, HostsFailure } from './writer';
export { HostsWriteError } from './writer';
export { TrampleGuard } from './trample';

import type { DesiredHost } from '../model';
import { applyHosts as applyWith, type HostsApplyOptions, type HostsApplyOutcome } from './writer';

/** Plans and (unless dryRun or nothing changes) writes `path`. Throws for an unusable file. */
export function applyHosts(
  path: string,
  desired: DesiredHost[] | null,
  opts: HostsApplyOptions,
): Promise<HostsApplyOutcome> {
  return applyWith(path, desired, opts);
}
