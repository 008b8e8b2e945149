// Kubernetes-style conditions: the status of each part, with the time it last changed status.
// lastTransitionTime moves only when `status` changes, not when the message does.
import type { ConditionStatus } from '../reconcile/types';

export type ConditionType = 'Ready' | 'AliasesInSync' | 'HostsInSync';

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export class Conditions {
  private readonly byType = new Map<ConditionType, Condition>();

  constructor(now: Date, types: readonly ConditionType[] = ['Ready', 'AliasesInSync', 'HostsInSync']) {
    for (const type of types) {
      this.byType.set(type, {
        type,
        status: 'Unknown',
        reason: 'Starting',
        message: 'no reconcile has finished yet',
        lastTransitionTime: now.toISOString(),
      });
    }
  }

  set(type: ConditionType, status: ConditionStatus, reason: string, message: string, now: Date): void {
    const prev = this.byType.get(type);
    const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : now.toISOString();
    this.byType.set(type, { type, status, reason, message, lastTransitionTime });
  }

  get(type: ConditionType): Condition {
    return this.byType.get(type)!;
  }

  list(): Condition[] {
    return [...this.byType.values()].map((c) => ({ ...c }));
  }
}
