// Entry of the child process that loads the config for the daemon (see config-process.ts):
// argv[2] is JSON {runtime, strictModes}; the LoadedConfig goes to stdout as one JSON document.
import type { Runtime } from '../runtime';
import { loadDesiredState } from '../config';
import { messageOf } from '../errors';

/** A pre-started loader (argv[3] `--wait-for-go`) reads no file before a line on stdin; EOF first: exit, nothing loaded. */
function goSignal(): Promise<boolean> {
  return new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c: string) => {
      text += c;
      if (text.includes('\n')) resolve(true);
    });
    process.stdin.on('end', () => resolve(text.includes('\n')));
    process.stdin.on('error', () => resolve(false));
  });
}

async function main(): Promise<void> {
  const { runtime, strictModes } = JSON.parse(process.argv[2] ?? '{}') as { runtime: Runtime; strictModes: boolean };
  if (process.argv[3] === '--wait-for-go') {
    if (!(await goSignal())) return;
    process.stdin.destroy();
  }
  const loaded = await loadDesiredState(runtime, { strictModes });
  process.stdout.write(JSON.stringify(loaded));
}

main().catch((e: unknown) => {
  process.stderr.write(messageOf(e));
  process.exitCode = 1;
});
