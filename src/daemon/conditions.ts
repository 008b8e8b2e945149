// Kubernetes-style conditions: the status of each part, with the time it last changed status.
// lastTransitionTime moves only when `status` changes, not when the message does. Each type's
// reason is typed (src/reconcile/reasons.ts): a condition cannot carry a reason its part never gives.
import type { ConditionStatus } from '../reconcile/types';
import type { ConditionType, ReasonOf } from '../reconcile/reasons';

export type { ConditionType } from '../reconcile/reasons';

export interface ConditionOf<T extends ConditionType> {
  type: T;
  status: ConditionStatus;
  reason: ReasonOf[T];
  message: string;
  lastTransitionTime: string;
}

/** One condition, discriminated by `type`. */
export type Condition = { [T in ConditionType]: ConditionOf<T> }[ConditionType];

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

/** The condition of one type in a list (a status document's), typed by it. */
export function conditionOf<T extends ConditionType>(list: readonly Condition[], type: T): ConditionOf<T> | undefined {
  return list.find((c): c is ConditionOf<T> & Condition => c.type === type);
}
