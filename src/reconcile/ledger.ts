// The ownership ledger: STATE_DIR/state.json records which aliases loopkeeper itself added, so it
// removes only those. Anything doubtful (corrupt file, unknown version) reads as "owns nothing":
// the worst case is an alias left in place, never someone else's alias removed.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isAlwaysPresent, parseIp } from '../net/ip';
import { canonicalAddress } from '../platform/common';

export interface Ledger {
  version: 1;
  interface?: string;
  /** Canonical addresses loopkeeper added (and has not removed since). */
  owned: string[];
  updatedAt?: string;
}

export interface LedgerRead {
  ledger: Ledger;
  /** Why the file could not be used as is, in words a user can act on; null when it is fine. */
  problem: string | null;
  /** A ledger file was there (even a broken one). */
  exists: boolean;
  /** The file was there but unusable as a whole (not JSON, wrong version, unreadable). */
  corrupt: boolean;
}

export const LEDGER_FILE = 'state.json';
/** Far above 65,536 aliases × ~45 bytes; anything bigger is not a file we wrote. */
const MAX_LEDGER_BYTES = 32 * 1024 * 1024;

export function ledgerPath(stateDir: string): string {
  return join(stateDir, LEDGER_FILE);
}

export function emptyLedger(): Ledger {
  return { version: 1, owned: [] };
}

export async function readLedger(stateDir: string): Promise<LedgerRead> {
  const file = ledgerPath(stateDir);
  let text: string;
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return broken(file, 'is not a regular file');
    if (st.size > MAX_LEDGER_BYTES) return broken(file, `is ${st.size} bytes, far larger than any ledger loopkeeper writes`);
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ledger: emptyLedger(), problem: null, exists: false, corrupt: false };
    return broken(file, `cannot be read (${(e as Error).message})`);
  }
  return parseLedger(text, file);
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
  const problem =
    bad.length > 0
      ? `ownership ledger ${file}: ignored ${bad.length} entr${bad.length === 1 ? 'y' : 'ies'} that ` +
        `loopkeeper never records (${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', …' : ''})`
      : null;
  return { ledger, problem, exists: true, corrupt: false };
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

/** Same owned set (order does not matter) and same interface. */
export function sameLedger(a: Ledger, b: Ledger): boolean {
  if ((a.interface ?? null) !== (b.interface ?? null)) return false;
  if (a.owned.length !== b.owned.length) return false;
  const set = new Set(a.owned);
  return b.owned.every((x) => set.has(x));
}

/** The bytes written: owned sorted (stable diffs, easy to read), one JSON document, final newline. */
export function renderLedger(ledger: Ledger): string {
  // Key order is fixed here so the file reads the same every time.
  const out: Record<string, unknown> = { version: 1 };
  if (ledger.interface !== undefined) out.interface = ledger.interface;
  out.owned = sortedAddresses(ledger.owned);
  if (ledger.updatedAt !== undefined) out.updatedAt = ledger.updatedAt;
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** IPv4 first, then numerically (like compareIps), parsing each address once rather than per comparison. */
function sortedAddresses(addresses: readonly string[]): string[] {
  const keyed = [...new Set(addresses)].map((a) => ({ a, ip: parseIp(a) }));
  keyed.sort((x, y) => {
    if (!x.ip || !y.ip) return x.ip ? -1 : y.ip ? 1 : x.a < y.a ? -1 : x.a > y.a ? 1 : 0;
    if (x.ip.family !== y.ip.family) return x.ip.family - y.ip.family;
    return x.ip.value < y.ip.value ? -1 : x.ip.value > y.ip.value ? 1 : 0;
  });
  return keyed.map((k) => k.a);
}

/**
 * Atomic write: a temp file in the same directory (O_EXCL, 0644), fsync, rename over state.json,
 * then fsync the directory so the rename itself survives a crash. A reader sees the old ledger or
 * the new one, never half of one.
 */
export async function writeLedger(stateDir: string, ledger: Ledger): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o755 });
  const target = ledgerPath(stateDir);
  const temp = join(stateDir, `.${LEDGER_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(renderLedger(ledger), 'utf8');
      await handle.chmod(0o644); // the umask may have narrowed the open mode
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
  await syncDir(stateDir);
}

async function syncDir(dir: string): Promise<void> {
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(dir, 'r');
    await h.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await h?.close();
  }
}
