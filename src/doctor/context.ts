// The facts checks share, each gathered once on first use however many checks ask for it.
import { DARWIN_SYSCTL_ARGV, LINUX_PORT_RANGE_FILE, parsePortRange } from './parse/port-range';
import { readDestinations, readListeners } from './sockets';
import type { DaemonAnswer, DoctorContext, DoctorInput, DoctorSeams, PortRange } from './types';
import { errorCode, messageOf } from './util';

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

export function createContext(input: DoctorInput, seams: DoctorSeams): DoctorContext {
  const config = once(() => seams.loadConfig());
  const desired = once(async () => {
    try {
      const c = await config();
      return c.diagnostics.some((d) => d.severity === 'error') ? null : c.desired;
    } catch {
      return null; // the config check reports why
    }
  });
  const daemon = once(async (): Promise<DaemonAnswer> => {
    try {
      const answer = await seams.health(input.socket);
      return { reachable: true, status: answer.status };
    } catch (e) {
      return { reachable: false, code: errorCode(e), message: messageOf(e) };
    }
  });
  const machine = once(async () => {
    const d = await desired();
    return d === null ? null : seams.planMachine(d);
  });
  const portRange = once(async (): Promise<{ range: PortRange; source: string }> => {
    let source: string;
    let text: string;
    if (input.platform === 'darwin') {
      source = `\`${DARWIN_SYSCTL_ARGV.join(' ')}\``;
      const r = await seams.runner.run(DARWIN_SYSCTL_ARGV);
      if (r.code !== 0) throw new Error(`${source} exited with ${r.code}: ${r.stderr.trim()}`);
      text = r.stdout;
    } else if (input.platform === 'linux') {
      source = LINUX_PORT_RANGE_FILE;
      text = (await seams.readFile(LINUX_PORT_RANGE_FILE)).toString('latin1');
    } else {
      throw new Error(`not known how to read the ephemeral port range on ${input.platform}`);
    }
    const range = parsePortRange(text);
    if (range === null) throw new Error(`cannot parse the ephemeral port range from ${source}: ${JSON.stringify(text.slice(0, 80))}`);
    return { range, source };
  });
  return {
    input,
    seams,
    config,
    desired,
    daemon,
    machine,
    listeners: once(() => readListeners(input, seams)),
    connections: once(() => readDestinations(input, seams)),
    portRange,
  };
}
