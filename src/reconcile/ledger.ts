// The ownership ledger: STATE_DIR/state.json records which aliases loopkeeper itself added, so it
// removes only those. Anything doubtful (corrupt file, unknown version) reads as "owns nothing":
// the worst case is an alias left in place, never someone else's alias removed.
//
// It is also an intent journal: before a batch runs, the ledger is rewritten with the batch as
// `pending` and its removals already taken out of `owned`; after the batch it is rewritten with
// the outcome. A crash in between leaves the intent, which the next reconcile settles against the
// interface (and the kernel's marks, src/platform/linux.ts) — so an address is never "owned" after
// loopkeeper may already have removed it, and an add that ran is never forgotten.
import { join } from 'node:path';
import { FileReadError, readRegularFile, syncDir as syncDirOf, writeFileAtomic } from '../fs/atomic';
import { realFs, type FileSystem } from '../fs/seam';
import { ensureStateDir, stateDirProblem } from '../fs/state-dir';
import { isAlwaysPresent, parseIp } from '../net/ip';
import { canonicalAddress } from '../platform/common';

export interface Ledger {
  version: 1;
  interface?: string;
  /** Canonical addresses loopkeeper added (and has not removed since). */
  owned: string[];
  /** A batch that was started and not (yet) settled: see the file comment. */
  pending?: LedgerPending;
  updatedAt?: string;
}

export interface LedgerPending {
  /** Addresses the batch adds (each was absent when it was planned). */
  add: string[];
  /** Addresses the batch removes (already taken out of `owned`). */
  remove: string[];
  /** The adds carry no kernel mark (macOS; iproute2 < 4.18): only this record says whose they are. */
  unmarked?: true;
  /** Who started it (for whoever reads the file). */
  pid?: number;
  at?: string;
}

export interface LedgerRead {
  ledger: Ledger;
  /** Why the file could not be used as is, in words a user can act on; null when it is fine. */
  problem: string | null;
  /** A ledger file was there (even a broken one). */
  exists: boolean;
  /** The file was there but unusable as a whole (not JSON, wrong version, unreadable). */
  corrupt: boolean;
  /**
   * Set (true) when the state dir itself cannot be trusted (owner, mode, a symlink): the file was
   * not read, must not be written, and `problem` says what to fix.
   */
  refused?: true;
}

export const LEDGER_FILE = 'state.json';
/** Far above 65,536 aliases × ~45 bytes; anything bigger is not a file we wrote. */
export const MAX_LEDGER_BYTES = 32 * 1024 * 1024;

export function ledgerPath(stateDir: string): string {
  return join(stateDir, LEDGER_FILE);
}

export function emptyLedger(): Ledger {
  return { version: 1, owned: [] };
}

/**
 * Reads STATE_DIR/state.json, never through a symlink and never blocking on a FIFO; only from a
 * state dir that passes the owner/mode rules (fs/state-dir.ts): a forged ledger would make root
 * remove aliases that are not its own.
 */
export async function readLedger(stateDir: string, fs: FileSystem = realFs): Promise<LedgerRead> {
  const file = ledgerPath(stateDir);
  const unsafe = stateDirProblem(stateDir, { fs });
  if (unsafe) {
    return {
      ledger: emptyLedger(),
      problem: `ownership ledger ${file} not read: ${unsafe}`,
      exists: false,
      corrupt: false,
      refused: true,
    };
  }
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, { maxBytes: MAX_LEDGER_BYTES, fs });
  } catch (e) {
    if (!(e instanceof FileReadError)) return broken(file, `cannot be read (${(e as Error).message})`);
    switch (e.kind) {
      case 'missing':
        return { ledger: emptyLedger(), problem: null, exists: false, corrupt: false };
      case 'symlink':
        return broken(file, 'is a symbolic link, which loopkeeper never follows there');
      case 'not-regular':
        return broken(file, 'is not a regular file');
      case 'too-big':
        return broken(file, `is more than ${MAX_LEDGER_BYTES} bytes, far larger than any ledger loopkeeper writes`);
      default:
        return broken(file, `cannot be read (${e.message})`);
    }
  }
  return parseLedger(bytes.toString('utf8'), file);
}

/** Pure: the text of a ledger file -> the ledger, or an empty one plus the reason. */
export function parseLedger(text: string, file = LEDGER_FILE): LedgerRead {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return broken(file, 'is not valid JSON');
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return broken(file, 'is not a JSON object');
  const o = data as Record<string, unknown>;
  if (o.version !== 1) return broken(file, `has version ${JSON.stringify(o.version) ?? 'undefined'}, expected 1`);
  if (!Array.isArray(o.owned)) return broken(file, 'has no "owned" list');
  const owned: string[] = [];
  const seen = new Set<string>();
  const bad: string[] = [];
  for (const item of o.owned) {
    const c = typeof item === 'string' ? canonicalAddress(item) : null;
    if (c === null || isAlwaysPresent(c)) {
      bad.push(JSON.stringify(item).slice(0, 60));
      continue;
    }
    if (!seen.has(c)) {
      seen.add(c);
      owned.push(c);
    }
  }
  const ledger: Ledger = { version: 1, owned };
  if (typeof o.interface === 'string' && o.interface !== '') ledger.interface = o.interface;
  if (typeof o.updatedAt === 'string') ledger.updatedAt = o.updatedAt;
  const problems: string[] = [];
  if (bad.length > 0) {
    problems.push(
      `ownership ledger ${file}: ignored ${bad.length} entr${bad.length === 1 ? 'y' : 'ies'} that ` +
        `loopkeeper never records (${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', …' : ''})`,
    );
  }
  if (o.pending !== undefined) {
    const pending = parsePending(o.pending);
    if (pending) ledger.pending = pending;
    else problems.push(`ownership ledger ${file}: ignored a "pending" batch record that is not one loopkeeper writes`);
  }
  return { ledger, problem: problems.length > 0 ? problems.join('; ') : null, exists: true, corrupt: false };
}

/** A pending batch as written by renderLedger, or null for anything else (then it is ignored). */
function parsePending(value: unknown): LedgerPending | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const p = value as Record<string, unknown>;
  const list = (v: unknown): string[] | null => {
    if (!Array.isArray(v)) return null;
    const out: string[] = [];
    const seen = new Set<string>();
    for (const item of v) {
      const c = typeof item === 'string' ? canonicalAddress(item) : null;
      if (c === null || isAlwaysPresent(c)) return null;
      if (!seen.has(c)) {
        seen.add(c);
        out.push(c);
      }
    }
    return out;
  };
  const add = list(p.add);
  const remove = list(p.remove);
  if (add === null || remove === null) return null;
  const pending: LedgerPending = { add, remove };
  if (p.unmarked === true) pending.unmarked = true;
  if (typeof p.pid === 'number' && Number.isInteger(p.pid) && p.pid > 0) pending.pid = p.pid;
  if (typeof p.at === 'string') pending.at = p.at;
  return pending;
}

function broken(file: string, why: string): LedgerRead {
  return {
    ledger: emptyLedger(),
    problem:
      `ownership ledger ${file} ${why}; loopkeeper treats itself as owning no aliases ` +
      '(none will be removed) until it records new ones',
    exists: true,
    corrupt: true,
  };
}

/** Same owned set (order does not matter), same interface, same pending batch (or none). */
export function sameLedger(a: Ledger, b: Ledger): boolean {
  if ((a.interface ?? null) !== (b.interface ?? null)) return false;
  if ((a.pending === undefined) !== (b.pending === undefined)) return false;
  if (a.pending && b.pending) {
    if ((a.pending.unmarked ?? false) !== (b.pending.unmarked ?? false)) return false;
    if (!sameSet(a.pending.add, b.pending.add) || !sameSet(a.pending.remove, b.pending.remove)) return false;
  }
  return sameSet(a.owned, b.owned);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

/** The bytes written: owned sorted (stable diffs, easy to read), one JSON document, final newline. */
export function renderLedger(ledger: Ledger): string {
  // Key order is fixed here so the file reads the same every time.
  const out: Record<string, unknown> = { version: 1 };
  if (ledger.interface !== undefined) out.interface = ledger.interface;
  out.owned = sortedAddresses(ledger.owned);
  if (ledger.pending !== undefined) {
    const p = ledger.pending;
    const pending: Record<string, unknown> = { add: sortedAddresses(p.add), remove: sortedAddresses(p.remove) };
    if (p.unmarked) pending.unmarked = true;
    if (p.pid !== undefined) pending.pid = p.pid;
    if (p.at !== undefined) pending.at = p.at;
    out.pending = pending;
  }
  if (ledger.updatedAt !== undefined) out.updatedAt = ledger.updatedAt;
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** IPv4 first, then numerically (like compareIps), parsing each address once rather than per comparison. */
export function sortedAddresses(addresses: readonly string[]): string[] {
  const keyed = [...new Set(addresses)].map((a) => ({ a, ip: parseIp(a) }));
  keyed.sort((x, y) => {
    if (!x.ip || !y.ip) return x.ip ? -1 : y.ip ? 1 : x.a < y.a ? -1 : x.a > y.a ? 1 : 0;
    if (x.ip.family !== y.ip.family) return x.ip.family - y.ip.family;
    return x.ip.value < y.ip.value ? -1 : x.ip.value > y.ip.value ? 1 : 0;
  });
  return keyed.map((k) => k.a);
}

/**
 * Atomic write (fs/atomic.ts): an exclusive, randomly named temp file in the state dir (0644),
 * fsync, rename over state.json (a symlink planted there is replaced, never written through),
 * then fsync the directory so the rename itself survives a crash. A reader sees the old ledger or
 * the new one, never half of one. Throws StateDirError for a state dir that cannot be trusted,
 * FileWriteError (ENOSPC, EROFS, …) when the file cannot be written; the old file then stays.
 */
export async function writeLedger(stateDir: string, ledger: Ledger, fs: FileSystem = realFs): Promise<void> {
  ensureStateDir(stateDir, { fs });
  writeFileAtomic(ledgerPath(stateDir), renderLedger(ledger), { mode: 0o644, keepOwner: false, fs });
}

/** Makes a rename in `dir` durable; false where the file system cannot sync a directory. */
export async function syncDir(dir: string, fs: FileSystem = realFs): Promise<boolean> {
  return syncDirOf(dir, fs);
}
