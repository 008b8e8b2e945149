// The machine's TCP sockets as the port checks need them: listeners on the `--port` ports with
// the processes holding them, and connections per destination. Linux reads the kernel's table in
// /proc (spawn-free); macOS asks lsof (listeners) and netstat (connections), argv only. Which
// source a platform has, and its argv, is the platform profile's (src/platform/profiles).
import { profileFor } from '../platform/profiles';
import { parseLsof } from './parse/lsof';
import { parseNetstat } from './parse/netstat';
import { parseProcNetTcp, PROC_NET_TCP, type SocketRow } from './parse/proc-net-tcp';
import type { DestinationUse, DoctorInput, DoctorSeams, Listener } from './types';
import { errorCode } from './util';

/** Calls `each` for every row of the machine's TCP table; returns where it was read and what was skipped. */
async function eachSocket(
  platform: NodeJS.Platform,
  seams: Pick<DoctorSeams, 'readFile' | 'runner' | 'endianness'>,
  each: (row: SocketRow) => void,
): Promise<{ source: string; skipped: number }> {
  const table = profileFor(platform)?.doctor.socketTable;
  if (table?.kind === 'proc') {
    let skipped = 0;
    for (const family of [4, 6] as const) {
      let text: string;
      try {
        text = (await seams.readFile(PROC_NET_TCP[family])).toString('latin1');
      } catch (e) {
        // No tcp6 where IPv6 is disabled; tcp itself is always there on Linux.
        if (family === 6 && errorCode(e) === 'ENOENT') continue;
        throw e;
      }
      skipped += parseProcNetTcp(text, family, seams.endianness, each).skipped;
    }
    return { source: `${PROC_NET_TCP[4]}, ${PROC_NET_TCP[6]}`, skipped };
  }
  if (table?.kind === 'netstat') {
    const r = await seams.runner.run(table.argv);
    if (r.code !== 0) throw new Error(`\`${table.argv.join(' ')}\` exited with ${r.code}: ${r.stderr.trim()}`);
    return { source: `\`${table.argv.join(' ')}\``, skipped: parseNetstat(r.stdout, each).skipped };
  }
  throw new Error(`reading the TCP socket table is not supported on ${platform}`);
}

/** TCP listeners on `ports`, one row per process holding each (null pid: not visible to this user). */
export async function readListeners(
  input: Pick<DoctorInput, 'platform' | 'ports'>,
  seams: Pick<DoctorSeams, 'readFile' | 'runner' | 'endianness' | 'socketOwners'>,
): Promise<Listener[]> {
  const ports = new Set(input.ports);
  const source = profileFor(input.platform)?.doctor.listeners;
  if (source?.kind === 'lsof') {
    const argv = source.argv([...ports]);
    const r = await seams.runner.run(argv);
    // lsof exits 1 when it finds nothing.
    if (r.code !== 0 && !(r.code === 1 && r.stdout.trim() === '')) {
      throw new Error(`\`${argv.join(' ')}\` exited with ${r.code}: ${r.stderr.trim()}`);
    }
    return parseLsof(r.stdout).filter((l) => ports.has(l.port));
  }
  const rows: SocketRow[] = [];
  await eachSocket(input.platform, seams, (row) => {
    if (row.state === 'LISTEN' && ports.has(row.localPort)) rows.push(row);
  });
  const owners = await seams.socketOwners(new Set(rows.map((r) => r.inode).filter((i) => i !== '0')));
  const out: Listener[] = [];
  for (const r of rows) {
    const holders = owners.get(r.inode) ?? [];
    const base = { address: r.local, port: r.localPort, socket: r.inode };
    if (holders.length === 0) out.push({ ...base, pid: null, process: '' });
    for (const h of holders) out.push({ ...base, pid: h.pid, process: h.process });
  }
  return out;
}

/**
 * ESTABLISHED and TIME_WAIT connections per destination (remote address:port), busiest first.
 * Both ends of a connection on this machine are rows; the server's end has the client's ephemeral
 * port as its "destination", so it never adds up to a busy destination.
 */
export async function readDestinations(
  input: Pick<DoctorInput, 'platform'>,
  seams: Pick<DoctorSeams, 'readFile' | 'runner' | 'endianness'>,
): Promise<{ destinations: DestinationUse[]; source: string; skipped: number }> {
  const byKey = new Map<string, { address: string; port: number; established: number; timeWait: number; sources: Set<string> }>();
  const read = await eachSocket(input.platform, seams, (row) => {
    if ((row.state !== 'ESTABLISHED' && row.state !== 'TIME_WAIT') || row.remotePort === 0) return;
    const key = `${row.remote}|${row.remotePort}`;
    let d = byKey.get(key);
    if (!d) byKey.set(key, (d = { address: row.remote, port: row.remotePort, established: 0, timeWait: 0, sources: new Set() }));
    if (row.state === 'ESTABLISHED') d.established++;
    else d.timeWait++;
    d.sources.add(row.local);
  });
  const destinations = [...byKey.values()]
    .map((d) => ({ address: d.address, port: d.port, established: d.established, timeWait: d.timeWait, sources: [...d.sources] }))
    .sort((a, b) => b.established + b.timeWait - (a.established + a.timeWait));
  return { destinations, source: read.source, skipped: read.skipped };
}
