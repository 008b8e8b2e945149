// The real seams: the only doctor code that touches the machine. Each is small enough to be
// obviously right; the checks that judge their answers are tested on plain data.
import { promises as dns } from 'node:dns';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { endianness, networkInterfaces, uptime } from 'node:os';
import type { DesiredHost, DesiredState } from '../model';
import { canonicalIp } from '../net/ip';
import type { CommandRunner } from '../platform/types';
import type { Runtime } from '../runtime';
import type { DoctorSeams, HealthAnswer, HostsPlanView, LoadedConfigView, MachinePlanView, SocketOwner } from './types';
import { withTimeout } from './util';

const HEALTH_TIMEOUT_MS = 1000;
const LOOKUP_TIMEOUT_MS = 5000;
const MAX_BODY = 64 * 1024;

export function bindOnce(address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: address, port: 0, exclusive: true }, () => server.close(() => resolve()));
  });
}

export async function systemLookup(name: string): Promise<string[]> {
  const answers = await withTimeout(dns.lookup(name, { all: true, verbatim: true }), LOOKUP_TIMEOUT_MS, `looking up ${name}`);
  return answers.map((a) => a.address);
}

export function getHealth(socketPath: string, timeoutMs = HEALTH_TIMEOUT_MS): Promise<HealthAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/v1/health', method: 'GET', headers: { host: 'localhost' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: body.slice(0, MAX_BODY) });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    timer.unref();
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}

/** Addresses of `name` and of its labelled variants (`lo:1`), canonical; null when absent. */
export function interfaceAddresses(name: string): string[] | null {
  const all = networkInterfaces();
  const keys = Object.keys(all).filter((k) => k === name || k.startsWith(`${name}:`));
  if (keys.length === 0) return null;
  const out: string[] = [];
  for (const k of keys) {
    for (const info of all[k] ?? []) {
      const c = canonicalIp(info.address.split('%')[0]!);
      if (c !== null && !out.includes(c)) out.push(c);
    }
  }
  return out;
}

async function symlinkTarget(path: string): Promise<string | null> {
  const st = await lstat(path);
  return st.isSymbolicLink() ? await readlink(path) : null;
}

/**
 * Linux: which processes hold these socket inodes, from the `socket:[INODE]` links in
 * /proc/PID/fd (what ss -p reads). Another user's processes are not readable unless root: their
 * sockets stay without an owner. Synchronous calls: one readlink per open fd of every process is
 * cheaper without a trip through the thread pool each, and doctor is a one-shot command.
 */
export async function socketOwners(inodes: ReadonlySet<string>, proc = '/proc'): Promise<Map<string, SocketOwner[]>> {
  const out = new Map<string, SocketOwner[]>();
  if (inodes.size === 0) return out;
  let pids: string[];
  try {
    pids = readdirSync(proc).filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    let name: string | null = null;
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`${proc}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (!m || !inodes.has(m[1]!)) continue;
      if (name === null) {
        try {
          name = readFileSync(`${proc}/${pid}/comm`, 'utf8').trim();
        } catch {
          name = '';
        }
      }
      const list = out.get(m[1]!) ?? [];
      if (!list.some((o) => o.pid === Number(pid))) list.push({ pid: Number(pid), process: name });
      out.set(m[1]!, list);
    }
  }
  return out;
}

export function systemSeams(runtime: Runtime, runner: CommandRunner): DoctorSeams {
  return {
    async loadConfig(): Promise<LoadedConfigView> {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const config = require('../config') as {
        loadDesiredState(r: Runtime, o: { strictModes: boolean }): Promise<LoadedConfigView>;
      };
      // Strict modes whoever runs doctor: it reports what the daemon (root) would refuse.
      return config.loadDesiredState(runtime, { strictModes: true });
    },
    bind: bindOnce,
    lookup: systemLookup,
    socketOwners: (inodes) => socketOwners(inodes),
    endianness: endianness(),
    async planMachine(desired: DesiredState): Promise<MachinePlanView> {
      // The plan's own pipeline, stopped before effects (spawns nothing on Linux).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { createReconciler } = require('../reconcile/reconciler') as typeof import('../reconcile/reconciler');
      const r = await createReconciler(runtime, { runner }).reconcile(desired, { trigger: 'cli', dryRun: true });
      return { aliases: r.aliases, hosts: r.hosts, changes: r.changes, problems: r.problems };
    },
    readFile: (p) => readFile(p),
    symlinkTarget,
    health: (socket) => getHealth(socket),
    interfaceAddresses,
    planHosts(content: Buffer, desired: DesiredHost[]): HostsPlanView {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const hosts = require('../hosts') as { planHosts(c: Buffer, d: DesiredHost[] | null): HostsPlanView };
      return hosts.planHosts(content, desired);
    },
    runner,
    uptime,
  };
}
