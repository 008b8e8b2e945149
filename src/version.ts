import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Set by the bundler (scripts/build.js) in the built binaries; absent in tsc's modules and tests. */
declare const LOOPKEEPER_VERSION: string | undefined;

let cached: string | undefined;

/** The package version: built into the bundles, else read from package.json (two levels above src/x and dist/x). */
export function version(): string {
  if (cached === undefined) {
    if (typeof LOOPKEEPER_VERSION === 'string') cached = LOOPKEEPER_VERSION;
    else cached = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  }
  return cached;
}
