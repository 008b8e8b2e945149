// The facts checks share, each gathered once on first use however many checks ask for it.
import { profileFor } from '../platform/profiles';
import { parsePortRange } from './parse/port-range';
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
    // Where the range is read is the platform profile's (src/platform/profiles).
    const from = profileFor(input.platform)?.doctor.portRange;
    if (from === undefined) throw new Error(`not known how to read the ephemeral port range on ${input.platform}`);
    if ('argv' in from) {
      source = `\`${from.argv.join(' ')}\``;
      const r = await seams.runner.run(from.argv);
      if (r.code !== 0) throw new Error(`${source} exited with ${r.code}: ${r.stderr.trim()}`);
      text = r.stdout;
    } else {
      source = from.file;
      text = (await seams.readFile(from.file)).toString('latin1');
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
