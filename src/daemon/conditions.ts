// Kubernetes-style conditions: the status of each part, with the time it last changed status.
// lastTransitionTime moves only when `status` changes, not when the message does. Each type's
// reason is typed (src/reconcile/reasons.ts): a condition cannot carry a reason its part never gives.
import type { ConditionStatus } from '../reconcile/types';
import type { ConditionType, ReasonOf } from '../reconcile/reasons';
import type { Condition, ConditionOf } from '../api/types';

export type { ConditionType } from '../reconcile/reasons';
export { conditionOf, type Condition, type ConditionOf } from '../api/types';

const ALL: readonly ConditionType[] = ['Ready', 'AliasesInSync', 'HostsInSync'];

export class Conditions {
  private readonly byType = new Map<ConditionType, Condition>();

  constructor(now: Date, types: readonly ConditionType[] = ALL) {
    for (const type of types) {
      this.byType.set(type, {
        type,
        status: 'Unknown',
        reason: 'Starting',
        message: 'no reconcile has finished yet',
        lastTransitionTime: now.toISOString(),
      } as Condition);
    }
  }

  set<T extends ConditionType>(type: T, status: ConditionStatus, reason: ReasonOf[T], message: string, now: Date): void {
    const prev = this.byType.get(type);
    const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : now.toISOString();
    this.byType.set(type, { type, status, reason, message, lastTransitionTime } as ConditionOf<T> as Condition);
  }

  get<T extends ConditionType>(type: T): ConditionOf<T> {
    return this.byType.get(type)! as ConditionOf<T>;
  }

  list(): Condition[] {
    return [...this.byType.values()].map((c) => ({ ...c }));
  }
}
