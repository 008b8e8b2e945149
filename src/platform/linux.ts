// Linux: observe through os.networkInterfaces() and /sys/class/net (no process), change through
// ONE `ip -force -batch -` per reconcile. `-force` keeps ip going past a failing line and names each
// failure (`Command failed -:N`), so one process applies everything it can and we learn exactly
// which lines failed and why; the interface is then looked at again and that is what we report.
import { access, readFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { networkInterfaces as osNetworkInterfaces } from 'node:os';
import { join } from 'node:path';
import { addressesFromOs, judge, type AliasChangeOutcome, type NetworkInterfacesFn } from './common';
import { createGuard } from './guard';
import { CommandError } from './runner';
import type { AliasChangeReport, AliasChangeRequest, AliasPort, CommandRunner, InterfaceState, RunResult } from './types';
import { messageOf } from '../errors';

/** Where iproute2's `ip` lives on the distributions we know; an absolute path, never $PATH. */
export const IP_CANDIDATES = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'] as const;

const IFF_UP = 0x1;

export interface LinuxAliasOptions {
  interfaceName: string;
  runner: CommandRunner;
  allowAliasRanges: readonly string[];
  networkInterfaces?: NetworkInterfacesFn;
  /** Default /sys/class/net. It must belong to this process's network namespace (see README). */
  sysClassNet?: string;
  /** Absolute path of `ip`, or candidates to search (tests). */
  ipCandidates?: readonly string[];
}

export async function findExecutable(candidates: readonly string[]): Promise<string | null> {
  for (const c of candidates) {
    try {
      await access(c, fsConstants.X_OK);
      return c;
    } catch {
      // try the next place
    }
  }
  return null;
}

/** One `ip -batch` line per change; IPv4 aliases are /32, IPv6 /128. */
export function batchLine(action: 'add' | 'remove', address: string, dev: string): string {
  // Callers pass canonical addresses: IPv6 is exactly the ones with a colon.
  const prefix = address.includes(':') ? 128 : 32;
  return `addr ${action === 'add' ? 'add' : 'del'} ${address}/${prefix} dev ${dev}`;
}

/**
 * Reads `ip -force -batch` stderr: every failing line prints its error text, then
 * `Command failed -:N` (N is the 1-based input line). Returns N -> error text.
 */
export function parseBatchFailures(stderr: string): Map<number, string> {
  const failures = new Map<number, string>();
  let pending: string[] = [];
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^Command failed (?:-|\S*):(\d+)$/.exec(line);
    if (m) {
      const n = Number(m[1]);
      failures.set(n, pending.length > 0 ? pending.join('; ') : 'ip reported a failure without a message');
      pending = [];
    } else if (pending.length < 20) {
      pending.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    }
  }
  return failures;
}

/** "Already assigned" on add / "not found" on del: the interface is already as we want it. */
export function alreadyDone(action: 'add' | 'remove', error: string): boolean {
  return action === 'add'
    ? /already assigned|File exists/i.test(error)
    : /Address not found|Cannot assign requested address/i.test(error);
}

/** Interface names are at most 15 bytes and never contain '/' or whitespace (IFNAMSIZ). */
function safeIfName(name: string): boolean {
  return /^[^/\s\0]{1,15}$/.test(name) && name !== '.' && name !== '..';
}

export function createLinuxAliases(opts: LinuxAliasOptions): AliasPort {
  const name = opts.interfaceName;
  const listInterfaces = opts.networkInterfaces ?? osNetworkInterfaces;
  const guard = createGuard(opts.allowAliasRanges);
  const sysClassNet = opts.sysClassNet ?? '/sys/class/net';
  const candidates = opts.ipCandidates ?? IP_CANDIDATES;
  let ipPath: string | null | undefined;

  async function observe(): Promise<InterfaceState> {
    const listed = addressesFromOs(listInterfaces(), name);
    if (listed !== null) return { name, exists: true, up: true, addresses: listed };
    // Not listed: down, missing, or without any address. sysfs tells which without a process.
    if (!safeIfName(name)) return { name, exists: false, up: null, addresses: [] };
    let text: string;
    try {
      text = await readFile(join(sysClassNet, name, 'flags'), 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { name, exists: false, up: null, addresses: [] };
      return { name, exists: true, up: null, addresses: [] };
    }
    const flags = Number.parseInt(text.trim(), 16);
    if (!Number.isFinite(flags)) return { name, exists: true, up: null, addresses: [] };
    return { name, exists: true, up: (flags & IFF_UP) !== 0, addresses: [] };
  }

  async function change(request: AliasChangeRequest): Promise<AliasChangeReport> {
    const { work, refused } = guard.screenRequest(request);
    const results: AliasChangeOutcome[] = [...refused];
    if (work.length === 0) return { results, after: await observe() };

    if (ipPath === undefined) ipPath = await findExecutable(candidates);
    if (ipPath === null) {
      const error = `the \`ip\` command (iproute2) was not found in ${candidates.join(', ')}; install iproute2`;
      for (const w of work) results.push({ ...w, ok: false, error });
      return { results, after: await observe() };
    }

    const input = work.map((w) => batchLine(w.action, w.address, name)).join('\n') + '\n';
    let run: RunResult | null = null;
    let startError: string | null = null;
    try {
      run = await opts.runner.run([ipPath, '-force', '-batch', '-'], { input });
    } catch (e) {
      startError = messageOf(e);
    }

    const failures = run ? parseBatchFailures(run.stderr) : new Map<number, string>();
    // ip died without naming lines (killed, bad argument, ...): every line is in doubt.
    const wholeBatchError =
      startError ??
      (run && (run.code !== 0 || run.signal) && failures.size === 0 ? CommandError.fromResult(run).message : null);

    const after = await observe();
    const present = new Set(after.addresses);
    work.forEach((w, i) => {
      const lineError = failures.get(i + 1) ?? null;
      const error = lineError ?? wholeBatchError;
      const already = lineError !== null && alreadyDone(w.action, lineError);
      results.push(judge(w.address, w.action, after, present, error, already));
    });
    return { results, after };
  }

  return { interfaceName: name, observe, change };
}
