// A CommandRunner that starts nothing: it records every argv and stdin, and answers from a script.
// Tests assert on the exact argv/input a change produced and feed back real tools' stderr.
import type { CommandRunner, RunOptions, RunResult } from '../../src/platform/types';

export interface RecordedCall {
  argv: string[];
  input?: string;
}

export type Answer = Partial<Omit<RunResult, 'argv'>> | Error;
export type Script = (argv: readonly string[], input: string | undefined) => Answer | undefined;

export interface FakeRunner extends CommandRunner {
  calls: RecordedCall[];
  readonly spawned: number;
  /** Answers the next calls in order (before `script`); an Error rejects like a missing program. */
  queue: Answer[];
  script: Script;
}

export function fakeRunner(script: Script = () => undefined): FakeRunner {
  const r: FakeRunner = {
    calls: [],
    queue: [],
    script,
    get spawned() {
      return r.calls.length;
    },
    async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
      r.calls.push(options.input === undefined ? { argv: [...argv] } : { argv: [...argv], input: options.input });
      const answer = r.queue.length > 0 ? r.queue.shift() : r.script(argv, options.input);
      if (answer instanceof Error) throw answer;
      return { argv: [...argv], code: 0, signal: null, stdout: '', stderr: '', ...(answer ?? {}) };
    },
  };
  return r;
}
