// The metrics textfile writer (on the shared atomic writer, src/fs/atomic.ts): replacement by
// rename, what a failure leaves (the old file, no temp file), the flag's checks, logging once per
// cause with advice, and the daemon's hook (once the socket listens, then after every reconcile).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedConfig } from '../../../src/config';
import { Daemon } from '../../../src/daemon/daemon';
import { adviceFor, checkTextfilePath, MetricsTextfile, NODE_EXPORTER_TEXTFILE_DIR } from '../../../src/daemon/metrics-textfile';
import { DEFAULT_SETTINGS } from '../../../src/model';
import type { Reconciler } from '../../../src/reconcile/reconciler';
import { resolveRuntime } from '../../../src/runtime';
import { faultyFs } from '../../helpers/faulty-fs';
import { convergedReport } from '../../helpers/reports';

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

/** A pid that is certainly not running now: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('MetricsTextfile writes', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'lk-textfile-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const quiet = recorder().log;

  it('replace the file by rename (a new inode), mode 0644 whatever the umask, and leave no temp file', () => {
    const target = join(dir, 'loopkeeper.prom');
    writeFileSync(target, 'old\n', { mode: 0o600 });
    const before = statSync(target).ino;
    const umask = process.umask(0o077);
    try {
      expect(new MetricsTextfile(target, () => 'loopkeeper_up 1\n', quiet).write('started')).toBe(true);
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(target, 'utf8')).toBe('loopkeeper_up 1\n');
    expect(statSync(target).ino).not.toBe(before);
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['loopkeeper.prom']);
  });

  it('replace a symlink at PATH instead of writing through it', () => {
    const elsewhere = join(dir, 'elsewhere');
    writeFileSync(elsewhere, 'not yours\n');
    fs.symlinkSync(elsewhere, join(dir, 'lk.prom'));
    expect(new MetricsTextfile(join(dir, 'lk.prom'), () => 'loopkeeper_up 1\n', quiet).write('started')).toBe(true);
    expect(readFileSync(elsewhere, 'utf8')).toBe('not yours\n');
    expect(fs.lstatSync(join(dir, 'lk.prom')).isSymbolicLink()).toBe(false);
  });

  it.each([
    ['write', 'ENOSPC'],
    ['fsync', 'EIO'],
    ['rename', 'EXDEV'],
  ] as const)('when %s fails (%s): the old file stays byte for byte, no temp file is left, the error is logged with advice', (op, code) => {
    const target = join(dir, 'loopkeeper.prom');
    writeFileSync(target, 'old\n');
    const { lines, log } = recorder();
    const t = new MetricsTextfile(target, () => 'new\n', log, faultyFs([{ op, code, path: (p) => p.includes('.loopkeeper-tmp-') || op === 'rename' }]));
    expect(t.write('reconciled')).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['loopkeeper.prom']);
    expect(lines).toEqual([
      {
        level: 'error',
        obj: expect.objectContaining({ code, path: target, advice: expect.any(String) }),
        msg: expect.stringMatching(new RegExp(`^metrics textfile: cannot write ${target}: .*\\b${code}\\b`)),
      },
    ]);
  });
});

describe('checkTextfilePath', () => {
  it('resolves a relative path against the working directory', () => {
    expect(checkTextfilePath('m/loopkeeper.prom', fs.statSync, '/var/lib')).toEqual({ ok: true, path: '/var/lib/m/loopkeeper.prom' });
  });

  it('refuses an empty value, control characters and a directory, saying what to give instead', () => {
    expect(checkTextfilePath('')).toEqual({ ok: false, error: expect.stringMatching(/needs a file path, e\.g\. \/var\/lib\/prometheus/) });
    expect(checkTextfilePath('/x/a\nb.prom')).toEqual({ ok: false, error: expect.stringMatching(/control character/) });
    const dir = mkdtempSync(join(tmpdir(), 'lk-textfile-'));
    try {
      expect(checkTextfilePath(dir)).toEqual({ ok: false, error: `--metrics-textfile ${dir} is a directory: give a file in it, e.g. ${dir}/loopkeeper.prom` });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('accepts a name node_exporter would not read, with a warning', () => {
    expect(checkTextfilePath('/srv/metrics.txt')).toEqual({ ok: true, path: '/srv/metrics.txt', warning: expect.stringMatching(/reads only \*\.prom files, and metrics\.txt is not one/) });
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
    expect(lines[0]!.msg).toBe(`metrics textfile: cannot write ${target}: cannot create a temp file in ${join(dir, 'missing')}: it does not exist (ENOENT); it was not written (its content is unchanged)`);
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
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'metrics textfile: render broke' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes temp files a dead loopkeeperd left beside the target, and only those', () => {
    const dead = `.loopkeeper-tmp-${deadPid()}-00aa`;
    const live = `.loopkeeper-tmp-${process.ppid}-00bb`;
    writeFileSync(join(dir, dead), 'debris');
    writeFileSync(join(dir, live), 'a live writer’s');
    writeFileSync(join(dir, 'other.prom'), 'someone else');
    const { lines, log } = recorder();
    const t = new MetricsTextfile(join(dir, 'lk.prom'), () => 'loopkeeper_up 1\n', log);
    expect(t.write('started')).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([live, 'lk.prom', 'other.prom']);
    expect(lines.map((l) => l.msg)).toEqual(['removed temp files an earlier loopkeeperd left', 'writing the metrics textfile after every reconcile']);
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
        return convergedReport(opts.trigger);
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
