// Every reason a condition (and a part's verdict) can give, as one typed union per part. A reason
// is decided where the fact is known — the interface look (aliases.ts interfaceProblem), the
// ledger, the hosts writer (HostsFailure), the daemon's pause and privilege checks, the live
// observation between reconciles — and carried as a value; nothing matches it out of message text.
// Clients (scripts, `loopkeeper status`) may branch on these strings: they are part of the socket
// API (src/api/types.ts) and only grow.
import type { HostsFailure } from '../hosts/writer';

/** Reasons every part can give. */
export type CommonReason =
  /** No reconcile has finished yet (just after start-up). */
  | 'Starting'
  /** No valid config has been loaded, so nothing is enforced. */
  | 'ConfigInvalid'
  /** `loopkeeper down` paused enforcement: nothing is added or repaired until `loopkeeper up`. */
  | 'Paused';

export type AliasReason =
  | CommonReason
  | 'InSync'
  /** A plan (`plan`, `apply --dry-run`): changes are pending, nothing was changed. */
  | 'ChangesPending'
  /** The interface does not exist (loopkeeper never creates one). */
  | 'InterfaceMissing'
  /** The interface is down (loopkeeper never changes its state). */
  | 'InterfaceDown'
  /** The plan set a desired alias aside (not a plain IP address). */
  | 'AliasesProblem'
  /** Some changes failed (the tool's words are in the message). */
  | 'AliasesFailed'
  /** The alias part failed as a whole (an unexpected error). */
  | 'AliasesError'
  /** The state dir fails the trust rules: nothing was changed. */
  | 'StateDirRefused'
  /** The ownership ledger could not be written. */
  | 'LedgerNotWritten'
  /** loopkeeperd runs without root and aliases are desired: it changes none. */
  | 'NotRoot'
  /** Seen by the live status between reconciles: a desired alias is gone (a repair is due). */
  | 'AliasesMissing';

export type HostsReason =
  | CommonReason
  | 'InSync'
  | 'ChangesPending'
  /** Names in the block are shadowed by earlier lines (still True: the block is in place). */
  | 'Shadowed'
  /** BEGIN without END, two BEGINs: nothing is written, the lines are named. */
  | 'BlockDamaged'
  /** Another program keeps rewriting the block; loopkeeper stopped repairing it. */
  | 'Trampled'
  /** The system resolver does not read this hosts file (macOS: a symlinked /etc/hosts). */
  | 'HostsFileIgnored'
  /** The writer's typed failures (src/hosts/writer.ts): permission, read-only, contention, damage… */
  | HostsFailure
  /** The hosts part failed with an error the writer did not classify. */
  | 'HostsError'
  /** Seen by the live status between reconciles: a desired name is no longer in the file. */
  | 'NamesMissing';

export type ReadyReason = CommonReason | 'Converged' | 'AliasesNotInSync' | 'HostsNotInSync';

export type ConditionType = 'Ready' | 'AliasesInSync' | 'HostsInSync';

export interface ReasonOf {
  Ready: ReadyReason;
  AliasesInSync: AliasReason;
  HostsInSync: HostsReason;
}

export type ConditionReason = ReasonOf[ConditionType];

/** Why the interface cannot be changed or seen reliably (see aliases.ts interfaceProblem). */
export interface InterfaceProblem {
  reason: Extract<AliasReason, 'InterfaceMissing' | 'InterfaceDown'>;
  message: string;
}
