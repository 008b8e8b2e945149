// Entry of the child process that loads the config for the daemon (see config-process.ts):
// argv[2] is JSON {runtime, strictModes}; the LoadedConfig goes to stdout as one JSON document.
import type { Runtime } from '../runtime';
import { loadDesiredState } from '../config';
import { messageOf } from '../errors';

async function main(): Promise<void> {
  const { runtime, strictModes } = JSON.parse(process.argv[2] ?? '{}') as { runtime: Runtime; strictModes: boolean };
  const loaded = await loadDesiredState(runtime, { strictModes });
  process.stdout.write(JSON.stringify(loaded));
}

main().catch((e: unknown) => {
  process.stderr.write(messageOf(e));
  process.exitCode = 1;
});
