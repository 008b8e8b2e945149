// The plain data that flows between modules: the desired state a config produces, diagnostics,
// and the entry shapes shared by `plan --json`, `apply --json` and `GET /v1/status`.

export interface Settings {
  /** node-cron expression for the drift check. */
  schedule: string;
  /** Remove owned aliases and hosts entries that are no longer desired. */
  prune: boolean;
  /** Extra CIDRs (canonical) allowed as aliases besides 127.0.0.0/8 and fc00::/7. */
  allowAliasRanges: string[];
  /** Every loopback address used under `hosts` is ensured as an alias too. */
  aliasesFromHosts: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  schedule: '* * * * *',
  prune: true,
  allowAliasRanges: [],
  aliasesFromHosts: true,
};

export interface DesiredHost {
  /** Lower-case RFC 1123 name. */
  name: string;
  /** Canonical addresses in declared order (the resolver returns them in this order). */
  addresses: string[];
}

/** What the merged, validated config asks for. Everything is canonical and de-duplicated. */
export interface DesiredState {
  /** Canonical alias addresses, declared order, without 127.0.0.1 and ::1 (always present). */
  aliases: string[];
  hosts: DesiredHost[];
  settings: Settings;
}

export type Severity = 'error' | 'warning';

/** One problem found in a config file, with a 1-based position. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  severity: Severity;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.col}`;
  return d.severity === 'warning' ? `${where}: warning: ${d.message}` : `${where}: ${d.message}`;
}

// ---- entries reported by plan/apply/status (SPEC: one shape for all three) ----

export type AliasState = 'present' | 'missing' | 'failed';

export interface AliasEntry {
  address: string;
  state: AliasState;
  /** loopkeeper added it (recorded in the ledger) and may remove it. */
  owned: boolean;
  /** Desired by the config (false for an owned alias pending removal). */
  desired: boolean;
  error?: string;
}

export type HostState = 'present' | 'missing' | 'shadowed';

export interface HostEntry {
  name: string;
  addresses: string[];
  state: HostState;
  detail: string;
}

export type Change =
  | { kind: 'alias'; action: 'add' | 'remove'; address: string }
  | { kind: 'hosts'; action: 'add' | 'remove' | 'update'; name: string; addresses: string[]; previous?: string[] };
