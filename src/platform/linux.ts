// Linux: observe through os.networkInterfaces() and /sys/class/net (no process), change through
// ONE `ip -force -batch -` per batch. `-force` keeps ip going past a failing line and names each
// failure (`Command failed -:N`), so one process applies everything it can and we learn exactly
// which lines failed and why; the interface is then looked at again and that is what we report.
//
// Ownership is kept by the kernel, with the address itself: every alias loopkeeper adds carries
// its mark — on IPv4 the label IFACE:lk (`lo:lk`), which os.networkInterfaces() lists under its
// own key, so it is read without spawning; on IPv6, which has no labels, `metric 27755` (the
// kernel keeps it as the address's route priority; only `ip -j addr` shows it, so that look is
// taken only when there is something to judge). A hand-added address carries neither and is never
// loopkeeper's. (iproute2 6.1 has no `proto` for addresses; the kernel silently drops IPv6 labels.)
import { access, readFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { networkInterfaces as osNetworkInterfaces } from 'node:os';
import { join } from 'node:path';
import { addressesFromOs, judge, labelledFromOs, type AliasChangeOutcome, type NetworkInterfacesFn } from './common';
import { createGuard } from './guard';
import { CommandError } from './runner';
import type { AliasChangeReport, AliasChangeRequest, AliasPort, CommandRunner, InterfaceState, RunResult } from './types';
import { messageOf } from '../errors';
import { canonicalIp } from '../net/ip';

/** Where iproute2's `ip` lives on the distributions we know; an absolute path, never $PATH. */
export const IP_CANDIDATES = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'] as const;

const IFF_UP = 0x1;

/** The IPv6 mark (and the IPv4 one when the label does not fit): the address's metric. "lk" in ASCII. */
export const MARK_METRIC = 27755;
/** Suffix of the IPv4 mark label: `lo` -> `lo:lk`. */
export const MARK_LABEL_SUFFIX = ':lk';

/** The IPv4 mark label for `dev`, or null when it would not fit in IFNAMSIZ (15 bytes). */
export function markLabel(dev: string): string | null {
  const label = `${dev}${MARK_LABEL_SUFFIX}`;
  return Buffer.byteLength(label) <= 15 ? label : null;
}

/**
 * How long one `ip -batch` of `lines` changes may take on an interface that holds `existing`
 * addresses. The kernel's cost per address grows with the list (measured in a namespace on this
 * 2-core machine under load: 4,096 adds took 0.4 s on an empty lo, 8 s at 16k, 60–140 s at
 * 45–60k; 65,536 adds 13.5 min in all), so the bound is 30 s plus, per line, 2 ms and 2 µs per
 * address already there (≈3.5× the measured worst). A hung ip is still killed; one that is merely
 * slow is not.
 */
export function batchTimeoutMs(lines: number, existing: number): number {
  const n = Math.max(0, lines);
  const average = Math.max(0, existing) + n / 2;
  return Math.ceil(30_000 + n * (2 + average * 0.002));
}

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

export interface LineMark {
  /** IPv4 label (`lo:lk`), or null when it does not fit. */
  label: string | null;
  /** Whether iproute2 takes `metric` on addresses (4.18+); IPv6 is marked with it. */
  metric: boolean;
}

/**
 * One `ip -batch` line per change; IPv4 aliases are /32, IPv6 /128. An add carries loopkeeper's
 * mark: `label lo:lk` on IPv4, `metric 27755` on IPv6 (and on IPv4 when no label fits).
 */
export function batchLine(action: 'add' | 'remove', address: string, dev: string, mark?: LineMark): string {
  // Callers pass canonical addresses: IPv6 is exactly the ones with a colon.
  const v6 = address.includes(':');
  const base = `addr ${action === 'add' ? 'add' : 'del'} ${address}/${v6 ? 128 : 32} dev ${dev}`;
  if (action !== 'add' || !mark) return base;
  if (!v6 && mark.label !== null) return `${base} label ${mark.label}`;
  return mark.metric ? `${base} metric ${MARK_METRIC}` : base;
}

/** iproute2 older than 4.18 does not know `metric` on addresses. */
export function metricRejected(error: string): boolean {
  return /"metric" is a garbage|unknown.*metric/i.test(error);
}

/**
 * Reads `ip -j addr show dev DEV`: the interface's state, its addresses and which of them carry
 * loopkeeper's mark (the label `label`, or metric MARK_METRIC). Throws on text that is not ip's
 * JSON. A down interface shows no addresses, as observe() does.
 */
export function parseMarkedAddresses(text: string, dev: string, label: string | null): InterfaceState {
  const data: unknown = JSON.parse(text);
  const list = Array.isArray(data) ? data : [];
  const entry = list.find((i): i is Record<string, unknown> => !!i && typeof i === 'object' && (i as Record<string, unknown>).ifname === dev);
  if (!entry) return { name: dev, exists: false, up: null, addresses: [], marked: [], markedFamilies: [4, 6] };
  const flags = Array.isArray(entry.flags) ? entry.flags : [];
  const up = flags.includes('UP');
  const addresses: string[] = [];
  const marked: string[] = [];
  const seen = new Set<string>();
  for (const a of Array.isArray(entry.addr_info) ? entry.addr_info : []) {
    if (!a || typeof a !== 'object') continue;
    const info = a as Record<string, unknown>;
    if (info.family !== 'inet' && info.family !== 'inet6') continue;
    const c = typeof info.local === 'string' ? canonicalIp(info.local) : null;
    if (c === null || seen.has(c)) continue;
    seen.add(c);
    addresses.push(c);
    const byLabel = info.family === 'inet' && label !== null && info.label === label;
    if (byLabel || info.metric === MARK_METRIC) marked.push(c);
  }
  if (!up) return { name: dev, exists: true, up: false, addresses: [], marked: [], markedFamilies: [4, 6] };
  return { name: dev, exists: true, up: true, addresses, marked, markedFamilies: [4, 6] };
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
  const label = safeIfName(name) ? markLabel(name) : null;
  let ipPath: string | null | undefined;
  // Learnt from the first batch iproute2 refuses it in (older than 4.18).
  let metricSupported = true;

  async function observe(): Promise<InterfaceState> {
    const all = listInterfaces();
    const listed = addressesFromOs(all, name);
    if (listed !== null) {
      const state: InterfaceState = { name, exists: true, up: true, addresses: listed };
      if (label !== null) {
        state.marked = labelledFromOs(all, label);
        state.markedFamilies = [4];
      }
      return state;
    }
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

  /** Every address with its mark: one `ip -j addr show dev NAME` (214 ms at 66k addresses). */
  async function inspect(): Promise<InterfaceState> {
    if (!metricSupported || !safeIfName(name)) return observe(); // nothing more to see
    if (ipPath === undefined) ipPath = await findExecutable(candidates);
    if (ipPath === null) return observe();
    const r = await opts.runner.run([ipPath, '-j', 'addr', 'show', 'dev', name]);
    if (r.code !== 0 || r.signal) {
      if (/does not exist|Cannot find device/i.test(r.stderr)) return { name, exists: false, up: null, addresses: [] };
      throw CommandError.fromResult(r);
    }
    try {
      return parseMarkedAddresses(r.stdout, name, label);
    } catch {
      throw new Error(`\`${ipPath} -j addr show dev ${name}\` printed something that is not JSON`);
    }
  }

  async function runBatch(
    ip: string,
    work: readonly { action: 'add' | 'remove'; address: string }[],
    existing: number,
  ): Promise<{ run: RunResult | null; startError: string | null }> {
    const mark: LineMark = { label, metric: metricSupported };
    const input = work.map((w) => batchLine(w.action, w.address, name, mark)).join('\n') + '\n';
    try {
      return { run: await opts.runner.run([ip, '-force', '-batch', '-'], { input, timeoutMs: batchTimeoutMs(work.length, existing) }), startError: null };
    } catch (e) {
      return { run: null, startError: messageOf(e) };
    }
  }

  async function change(request: AliasChangeRequest): Promise<AliasChangeReport> {
    const { work, refused } = guard.screenRequest(request);
    const results: AliasChangeOutcome[] = [...refused];
    if (work.length === 0) return { results, after: await observe() };

    if (ipPath === undefined) ipPath = await findExecutable(candidates);
    if (ipPath === null) {
      const error = `the \`ip\` command (iproute2) was not found in ${candidates.join(', ')}; install iproute2`;
      for (const w of work) results.push({ ...w, ok: false, error });
      return { results, after: await observe(), batchError: error };
    }

    const before = request.before ?? (await observe());
    const { run, startError } = await runBatch(ipPath, work, before.addresses.length);
    const failures = run ? parseBatchFailures(run.stderr) : new Map<number, string>();
    // ip named the lines that failed (else it died: see wholeBatchError below).
    const namedLines = failures.size > 0;
    if (metricSupported && run) {
      // iproute2 < 4.18: every marked add was refused for its `metric`. Learn it, and send those
      // lines again without it (IPv4 keeps its label; IPv6 is then recorded by the ledger alone).
      const refusedForMetric = [...failures].filter(([n, text]) => metricRejected(text) && work[n - 1]?.action === 'add');
      if (refusedForMetric.length > 0) {
        metricSupported = false;
        const again = refusedForMetric.map(([n]) => n);
        const second = await runBatch(ipPath, again.map((n) => work[n - 1]!), before.addresses.length);
        const secondFailures = second.run ? parseBatchFailures(second.run.stderr) : new Map<number, string>();
        again.forEach((n, i) => {
          failures.delete(n);
          const f = secondFailures.get(i + 1);
          if (f !== undefined) failures.set(n, f);
          else if (second.run === null || second.run.signal || (second.run.code !== 0 && secondFailures.size === 0)) {
            failures.set(n, second.startError ?? CommandError.fromResult(second.run!).message);
          }
        });
      }
    }

    // ip died without naming lines (killed, timed out, bad argument, ...): every line is in doubt.
    const wholeBatchError =
      startError ??
      (run && (run.code !== 0 || run.signal) && !namedLines ? CommandError.fromResult(run).message : null);

    const after = await observe();
    const present = new Set(after.addresses);
    const presentBefore = new Set(before.addresses);
    work.forEach((w, i) => {
      const lineError = failures.get(i + 1) ?? null;
      const error = lineError ?? wholeBatchError;
      const already = lineError !== null && alreadyDone(w.action, lineError);
      results.push(
        judge(w.address, w.action, after, present, error, already, {
          wholeBatch: lineError === null && wholeBatchError !== null,
          presentBefore: presentBefore.has(w.address),
          markedAdds: metricSupported || (w.address.includes(':') ? false : label !== null),
        }),
      );
    });
    const report: AliasChangeReport = { results, after };
    if (wholeBatchError !== null) report.batchError = wholeBatchError;
    return report;
  }

  return {
    interfaceName: name,
    observe,
    change,
    inspect,
    get marks() {
      // Every add carries a mark: IPv4 its label (or the metric), IPv6 the metric.
      return metricSupported;
    },
  };
}
