// The real-world corpus (../shared/corpus beside the checkout) is an ADDITIONAL suite: the unit
// tests run on the project's own fixtures (test/fixtures) always. One rule for every corpus suite:
// it runs whenever the corpus is there; under CI=true a missing corpus FAILS (CI always has it
// beside the clone, so its absence is a broken setup, never a reason to skip); elsewhere (a
// user's fresh clone) the suite skips with a message saying why.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** `<repo>/../shared/corpus`, resolved from this file, not from the working directory. */
export const CORPUS = resolve(__dirname, '..', '..', '..', 'shared', 'corpus');

export function corpusPresent(): boolean {
  return existsSync(join(CORPUS, 'hosts'));
}

/** A path inside the corpus (only meaningful inside a describeCorpus body). */
export function corpusPath(...parts: string[]): string {
  return join(CORPUS, ...parts);
}

/**
 * `describe` for a corpus suite. When the corpus is absent `body` is never evaluated (it may read
 * the corpus while collecting tests): the suite shows as one skipped test (or, in CI, one failure).
 */
export function describeCorpus(name: string, body: () => void): void {
  if (corpusPresent()) {
    describe(`${name} (corpus)`, body);
  } else if (process.env.CI === 'true') {
    describe(`${name} (corpus)`, () => {
      it('has the real-world corpus beside the checkout (required in CI)', () => {
        throw new Error(`the corpus suite must run in CI but ${CORPUS} does not exist: put ../shared/corpus beside the clone`);
      });
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`skipping "${name}": the real-world corpus is not at ${CORPUS} (the fixture-based tests still run)`);
    describe(`${name} (corpus)`, () => {
      it.skip(`needs the real-world corpus at ${CORPUS}`, () => undefined);
    });
  }
}
