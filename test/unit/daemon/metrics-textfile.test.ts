// The metrics textfile writer: atomic replacement, what a failure leaves (nothing), the flag's
// checks, logging once per cause with advice, and the daemon's hook (once the socket listens, then
// after every reconcile).
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedConfig } from '../../../src/config';
import { Daemon } from '../../../src/daemon/daemon';
import {
  adviceFor,
  checkTextfilePath,
  MetricsTextfile,
  NODE_EXPORTER_TEXTFILE_DIR,
  writeFileAtomicSync,
  type TextfileFs,
} from '../../../src/daemon/metrics-textfile';
import { DEFAULT_SETTINGS } from '../../../src/model';
import type { Reconciler } from '../../../src/reconcile/reconciler';
import { resolveRuntime } from '../../../src/runtime';

function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, ${syscall} '${path}'`), { code, syscall, path });
}

/** node:fs with one operation failing (once, or always). */
function faulty(op: keyof TextfileFs, code: string, times = Infinity): TextfileFs & { calls: string[] } {
  let left = times;
  const calls: string[] = [];
  const wrap = <K extends keyof TextfileFs>(name: K): TextfileFs[K] =>
    ((...args: unknown[]) => {
      calls.push(name);
      if (name === op && left > 0) {
        left -= 1;
        throw errno(code, name, String(args[0]));
      }
      return (fs[name] as (...a: unknown[]) => unknown)(...args);
    }) as TextfileFs[K];
  return {
    calls,
    openSync: wrap('openSync'),
    writeSync: wrap('writeSync'),
    fchmodSync: wrap('fchmodSync'),
    fsyncSync: wrap('fsyncSync'),
    closeSync: wrap('closeSync'),
    renameSync: wrap('renameSync'),
    unlinkSync: wrap('unlinkSync'),
    readdirSync: wrap('readdirSync'),
    statSync: wrap('statSync'),
  } as TextfileFs & { calls: string[] };
}

interface Line {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}
function recorder(): { lines: Line[]; log: { debug: (o: object, m: string) => void; info: (o: object, m: string) => void; warn: (o: object, m: string) => void; error: (o: object, m: string) => void } } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('writeFileAtomicSync', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'lk-textfile-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the file by rename (a new inode), mode 0644 whatever the umask, and leaves no temp file', () => {
    const target = join(dir, 'loopkeeper.prom');
    writeFileSync(target, 'old\n');
    const before = statSync(target).ino;
    const umask = process.umask(0o077);
    try {
      writeFileAtomicSync(target, 'loopkeeper_up 1\n');
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(target, 'utf8')).toBe('loopkeeper_up 1\n');
    expect(statSync(target).ino).not.toBe(before);
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['loopkeeper.prom']);
  });

  it('writes large text completely (a write may take only part of the buffer)', () => {
    const target = join(dir, 'big.prom');
    const text = 'x'.repeat(3 * 1024 * 1024) + '\n';
    let partial = 0;
    const shortWrites: TextfileFs = {
      ...fs,
      writeSync: ((fd: number, buf: Buffer, off: number, len: number) => {
        partial += 1;
        return fs.writeSync(fd, buf, off, Math.min(len, 65536));
      }) as TextfileFs['writeSync'],
    };
    writeFileAtomicSync(target, text, 0o644, shortWrites);
    expect(readFileSync(target, 'utf8')).toBe(text);
    expect(partial).toBeGreaterThan(1);
  });

  it.each([
    ['writeSync', 'ENOSPC'],
    ['fsyncSync', 'EIO'],
    ['renameSync', 'EXDEV'],
  ] as const)('when %s fails (%s): the old file stays byte for byte and the temp file is removed', (op, code) => {
    const target = join(dir, 'loopkeeper.prom');
    writeFileSync(target, 'old\n');
    const f = faulty(op, code);
    expect(() => writeFileAtomicSync(target, 'new\n', 0o644, f)).toThrow(new RegExp(code));
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['loopkeeper.prom']);
    expect(f.calls).toContain('unlinkSync');
  });

  it('never follows or reuses a file planted under the temp name (O_EXCL | O_NOFOLLOW)', () => {
    const target = join(dir, 'loopkeeper.prom');
    const planted: string[] = [];
    const planting: TextfileFs = {
      ...fs,
      openSync: ((p: string, flags: number, mode: number) => {
        fs.symlinkSync('/etc/passwd', p);
        planted.push(p);
        return fs.openSync(p, flags, mode);
      }) as TextfileFs['openSync'],
    };
    expect(() => writeFileAtomicSync(target, 'x\n', 0o644, planting)).toThrow(/EEXIST/);
    expect(planted[0]).toMatch(/\/\.loopkeeper-tmp-\d+-[0-9a-f]{16}$/);
    // The planted link is somebody else's: left alone, and nothing was written through it.
    expect(fs.readlinkSync(planted[0]!)).toBe('/etc/passwd');
    expect(fs.existsSync(target)).toBe(false);
  });
});

describe('checkTextfilePath', () => {
  it('resolves a relative path against the working directory', () => {
    expect(checkTextfilePath('m/loopkeeper.prom', fs, '/var/lib')).toEqual({ ok: true, path: '/var/lib/m/loopkeeper.prom' });
  });

  it('refuses an empty value, control characters and a directory, saying what to give instead', () => {
    expect(checkTextfilePath('', fs)).toEqual({ ok: false, error: expect.stringMatching(/needs a file path, e\.g\. \/var\/lib\/prometheus/) });
    expect(checkTextfilePath('/x/a\nb.prom', fs)).toEqual({ ok: false, error: expect.stringMatching(/control character/) });
    const dir = mkdtempSync(join(tmpdir(), 'lk-textfile-'));
    try {
      expect(checkTextfilePath(dir, fs)).toEqual({ ok: false, error: `--metrics-textfile ${dir} is a directory: give a file in it, e.g. ${dir}/loopkeeper.prom` });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('accepts a name node_exporter would not read, with a warning', () => {
    expect(checkTextfilePath('/srv/metrics.txt', fs)).toEqual({ ok: true, path: '/srv/metrics.txt', warning: expect.stringMatching(/reads only \*\.prom files, and metrics\.txt is not one/) });
  });
});

describe('adviceFor', () => {
  it('names the fix for the usual causes', () => {
    expect(adviceFor('ENOENT', '/var/lib/x/lk.prom')).toMatch(/^the directory \/var\/lib\/x does not exist: create it/);
    expect(adviceFor('EROFS', '/srv/m/lk.prom')).toMatch(/ProtectSystem=strict .*ReadWritePaths=\/srv\/m .*systemctl restart loopkeeper/);
    expect(adviceFor('EROFS', '/srv/m/lk.prom')).toContain(NODE_EXPORTER_TEXTFILE_DIR);
    expect(adviceFor('EACCES', '/srv/m/lk.prom')).toMatch(/may not create files in \/srv\/m/);
    expect(adviceFor('ENOSPC', '/srv/m/lk.prom')).toMatch(/full/);
  });
});

describe('MetricsTextfile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'lk-textfile-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('logs a failure once per cause (with advice), never throws, and says when writing works again', () => {
    const target = join(dir, 'missing', 'loopkeeper.prom');
    const { lines, log } = recorder();
    const t = new MetricsTextfile(target, () => 'loopkeeper_up 1\n', log);
    expect(t.write('started')).toBe(false);
    expect(t.write('reconciled')).toBe(false);
    expect(lines.map((l) => l.level)).toEqual(['error', 'debug']);
    expect(lines[0]).toMatchObject({ obj: { path: target, code: 'ENOENT', event: 'started', advice: expect.stringMatching(/does not exist: create it/) } });
    expect(lines[0]!.msg).toMatch(/^could not write the metrics textfile: ENOENT/);
    fs.mkdirSync(join(dir, 'missing'));
    expect(t.write('reconciled')).toBe(true);
    expect(lines[2]).toMatchObject({ level: 'info', msg: 'metrics textfile written again' });
    expect(readFileSync(target, 'utf8')).toBe('loopkeeper_up 1\n');
  });

  it('a render that throws is a logged failure too, not a crash', () => {
    const { lines, log } = recorder();
    const t = new MetricsTextfile(join(dir, 'lk.prom'), () => {
      throw new Error('render broke');
    }, log);
    expect(t.write('reconciled')).toBe(false);
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'could not write the metrics textfile: render broke' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes temp files a dead loopkeeperd left beside the target, and only those', () => {
    writeFileSync(join(dir, '.loopkeeper-tmp-4242-00aa'), 'debris');
    writeFileSync(join(dir, '.loopkeeper-tmp-77-00bb'), 'a live writer’s');
    writeFileSync(join(dir, 'other.prom'), 'someone else');
    const { lines, log } = recorder();
    const t = new MetricsTextfile(join(dir, 'lk.prom'), () => 'loopkeeper_up 1\n', log, fs, (pid) => pid === 77);
    expect(t.write('started')).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['.loopkeeper-tmp-77-00bb', 'lk.prom', 'other.prom']);
    expect(lines.map((l) => l.msg)).toEqual(['removed a temp file an earlier loopkeeperd left', 'writing the metrics textfile after every reconcile']);
  });
});

describe('Daemon metrics hook', () => {
  it('fires once the socket listens, then after every reconcile, with the metrics of that moment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-textfile-daemon-'));
    const config: LoadedConfig = {
      files: [join(dir, 'c.yaml')],
      desired: { aliases: [], hosts: [], settings: { ...DEFAULT_SETTINGS, schedule: '0 0 1 1 *' } },
      diagnostics: [],
    };
    const reconciler: Reconciler = {
      async reconcile(_d, opts) {
        return {
          at: new Date().toISOString(),
          durationMs: 1,
          trigger: opts.trigger,
          dryRun: false,
          result: 'ok',
          changes: [],
          aliases: [],
          hosts: [],
          aliasesInSync: { status: 'True', reason: 'InSync', message: '' },
          hostsInSync: { status: 'True', reason: 'InSync', message: '' },
          problems: [],
          spawned: 0,
          hostsWritten: false,
          hostsDiff: [],
        };
      },
      async down() {
        throw new Error('not used');
      },
    };
    const seen: Array<[string, string]> = [];
    const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const target = join(dir, 'lk.prom');
    let textfile: MetricsTextfile | null = null;
    const daemon: Daemon = new Daemon({
      runtime: resolveRuntime({ socket: join(dir, 'lk.sock'), stateDir: dir, hostsFile: join(dir, 'hosts'), config: [join(dir, 'c.yaml')] }, {}, 'linux'),
      logger: silent,
      loadConfig: async () => config,
      configWatchPaths: () => [],
      reconciler,
      watch: false,
      onMetrics: (event) => {
        textfile!.write(event);
        const text = readFileSync(target, 'utf8');
        seen.push([event, /^loopkeeper_reconciles_total\{trigger="(\w+)",result="ok"\} (\d+)$/m.exec(text)?.slice(1).join('=') ?? 'none']);
      },
    });
    textfile = new MetricsTextfile(target, () => daemon.renderMetrics(), silent);
    try {
      await daemon.start();
      await daemon.trigger('api');
      expect(seen).toEqual([
        ['started', 'none'],
        ['reconciled', 'startup=1'],
        ['reconciled', 'api=1'],
      ]);
      // The same text as GET /metrics (the memory gauges move between two renders: compare names).
      const names = (t: string) => t.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]);
      expect(names(readFileSync(target, 'utf8'))).toEqual(names(daemon.renderMetrics()));
    } finally {
      await daemon.stop('test');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
