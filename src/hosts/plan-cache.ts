// The daemon re-plans the same file for the same desired state every minute. Planning is pure,
// so the last result can be reused when the bytes are identical: comparing them (memcmp) costs
// far less than re-scanning a 120,000-line blocklist, and a no-op reconcile costs about a read.
import type { DesiredHost } from '../model';
import { planHosts, type HostsPlan } from './plan';

let last: { content: Buffer; key: string; plan: HostsPlan } | null = null;

export function planHostsCached(content: Buffer, desired: DesiredHost[] | null): HostsPlan {
  const key = JSON.stringify(desired);
  if (last !== null && last.key === key && last.content.equals(content)) return copyOf(last.plan);
  const plan = planHosts(content, desired);
  // Only a plan with nothing to write is worth keeping: after a write the file differs. (And
  // copying a multi-megabyte `next` for it would cost more than planning does.)
  if (plan.next !== null) return plan;
  // Own copy: the caller's buffer may be reused or changed after we return.
  last = { content: Buffer.from(content), key, plan };
  return copyOf(plan);
}

/** Callers get their own objects, so nothing they do can change what the next call returns. */
function copyOf(plan: HostsPlan): HostsPlan {
  return {
    next: plan.next === null ? null : Buffer.from(plan.next),
    entries: plan.entries.map((e) => ({ ...e, addresses: [...e.addresses] })),
    changes: plan.changes.map((c) =>
      c.kind === 'hosts'
        ? { ...c, addresses: [...c.addresses], ...(c.previous ? { previous: [...c.previous] } : {}) }
        : { ...c },
    ),
    damage: plan.damage === null ? null : { message: plan.damage.message, lines: [...plan.damage.lines] },
    blockDiff: [...plan.blockDiff],
  };
}
