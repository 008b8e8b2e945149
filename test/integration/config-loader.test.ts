// The daemon reads its config in a child process (dist/daemon/config-child.js): same answer as in
// process, and clear errors when the child cannot answer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, REPO } from '../helpers/cli';
import { loadDesiredState } from '../../src/config';
import { resolveRuntime } from '../../src/runtime';

// The built module, so that the compiled child script exists beside it.
const { loadDesiredStateOutOfProcess } = require(join(REPO, 'dist', 'daemon', 'config-process.js')) as typeof import('../../src/daemon/config-process');

describe('config loader child process', () => {
  let dir: string;
  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lk-loader-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers exactly what an in-process load answers, valid or not', async () => {
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(good, 'version: 1\naliases:\n  - range: 127.0.1.1-127.0.1.40\nhosts:\n  API.MyTeam.test: [127.0.0.2, fd00::2]\n  x.local: 127.0.0.3\n');
    writeFileSync(bad, 'version: 1\naliases:\n  - 10.0.0.1\n');
    for (const file of [good, bad, join(dir, 'missing.yaml')]) {
      const runtime = resolveRuntime({ config: [file] }, {}, 'linux');
      expect(await loadDesiredStateOutOfProcess(runtime, { strictModes: false })).toEqual(
        await loadDesiredState(runtime, { strictModes: false }),
      );
    }
  });

  it('reports a child that runs too long instead of waiting for ever', async () => {
    const fifo = join(dir, 'fifo.yaml');
    require('node:child_process').execFileSync('mkfifo', [fifo]);
    // A FIFO is refused by the loader without blocking; use a tiny timeout to exercise the kill path.
    const runtime = resolveRuntime({ config: [fifo] }, {}, 'linux');
    await expect(loadDesiredStateOutOfProcess(runtime, { strictModes: false, timeoutMs: 1 })).rejects.toThrow(/config loader failed \(SIGKILL\)/);
  });
});
