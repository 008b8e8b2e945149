// The daemon starts its config loader at the first event of a save (during the debounce): the
// pre-started child boots, then reads no file before load() says go, so what it loads is the
// file as it is at load time, as with a loader spawned then.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigLoaderProcess, WAIT_FOR_GO } from '../../../src/daemon/config-process';
import { resolveRuntime } from '../../../src/runtime';
import { REPO } from '../../helpers/cli';

/** A loader like config-child.js: logs `booted PID`, waits for the go line when asked to, then reads the file. */
function fakeChild(dir: string, file: string): string {
  const script = join(dir, 'child.js');
  const log = JSON.stringify(join(dir, 'log'));
  writeFileSync(
    script,
    `const fs = require('node:fs');
fs.appendFileSync(${log}, 'booted ' + process.pid + ' ' + (process.argv[3] || '') + '\\n');
const answer = () => { fs.appendFileSync(${log}, 'read\\n'); process.stdout.write(JSON.stringify({ files: [], desired: null, diagnostics: [], text: fs.readFileSync(${JSON.stringify(file)}, 'utf8') })); };
if (process.argv[3] === ${JSON.stringify(WAIT_FOR_GO)}) { let t = ''; process.stdin.on('data', (c) => { t += c; if (t.includes('\\n')) { fs.appendFileSync(${log}, 'go\\n'); answer(); process.exit(0); } }); process.stdin.on('end', () => process.exit(0)); }
else answer();
`,
  );
  return script;
}

async function booted(dir: string): Promise<number> {
  for (;;) {
    const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '';
    const m = /booted (\d+)/.exec(log);
    if (m) return Number(m[1]);
    await new Promise((r) => setImmediate(r));
  }
}

describe('ConfigLoaderProcess.prestart', () => {
  let dir: string;
  let file: string;
  const runtime = resolveRuntime({ config: ['/nonexistent.yaml'] }, {}, 'linux');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lk-loader-prestart-'));
    file = join(dir, 'c.yaml');
    writeFileSync(file, 'before\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the pre-started loader is the one load() uses, and it reads the file only after the go', async () => {
    const loader = new ConfigLoaderProcess({ childScript: fakeChild(dir, file) });
    loader.prestart(runtime, { strictModes: false });
    loader.prestart(runtime, { strictModes: false }); // at most one waits
    const pid = await booted(dir);
    expect(loader.pids).toEqual([pid]);
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe(`booted ${pid} ${WAIT_FOR_GO}\n`); // nothing read yet
    writeFileSync(file, 'after\n'); // the save lands after the child booted
    const loaded = (await loader.load(runtime, { strictModes: false })) as unknown as { text: string };
    expect(loaded.text).toBe('after\n');
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe(`booted ${pid} ${WAIT_FOR_GO}\ngo\nread\n`);
    // The next load without a prestart spawns as before.
    await loader.load(runtime, { strictModes: false });
    expect(readFileSync(join(dir, 'log'), 'utf8').match(/booted/g)).toHaveLength(2);
    await loader.stop();
  });

  it('a loader pre-started for other options is not used; stop() ends one that waits', async () => {
    const loader = new ConfigLoaderProcess({ childScript: fakeChild(dir, file) });
    loader.prestart(runtime, { strictModes: true });
    const first = await booted(dir);
    await loader.load(runtime, { strictModes: false });
    const log = readFileSync(join(dir, 'log'), 'utf8');
    expect(log.match(/booted/g)).toHaveLength(2);
    expect(log).not.toMatch(/^go$/m); // the other one never loaded
    loader.prestart(runtime, { strictModes: false });
    const lines = () => readFileSync(join(dir, 'log'), 'utf8').match(/booted (\d+)/g)!;
    while (lines().length < 3) await new Promise((r) => setImmediate(r));
    const waiting = Number(lines()[2]!.split(' ')[1]);
    expect(waiting).not.toBe(first);
    expect(await loader.stop()).toContain(waiting);
    expect(loader.pids).toEqual([]);
  });

  const built = join(REPO, 'dist', 'daemon', 'config-child.js');
  const maybe = existsSync(built) || process.env.CI === 'true' ? it : it.skip;
  if (!existsSync(built) && process.env.CI !== 'true') console.log(`skipped: ${built} not built (npm run build)`);
  maybe('the real config-child.js pre-started: an edit made after the prestart is what it loads', async () => {
    const config = join(dir, 'loopkeeper.yaml');
    writeFileSync(config, 'version: 1\naliases:\n  - 127.0.0.2\n');
    const rt = resolveRuntime({ config: [config] }, {}, 'linux');
    const loader = new ConfigLoaderProcess({ childScript: built });
    loader.prestart(rt, { strictModes: false });
    const [pid] = loader.pids;
    writeFileSync(config, 'version: 1\naliases:\n  - 127.0.0.3\n');
    const loading = loader.load(rt, { strictModes: false });
    expect(loader.pids).toEqual([pid]);
    const loaded = await loading;
    expect(loaded.desired?.aliases).toEqual(['127.0.0.3']);
    // Stdin closed without a go: the real child exits and loads nothing.
    loader.prestart(rt, { strictModes: false });
    const [waiting] = loader.pids;
    expect(await loader.stop()).toEqual([waiting]);
  });
});
