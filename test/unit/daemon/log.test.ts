import { createLogger, isLevel } from '../../../src/daemon/log';

describe('daemon logger', () => {
  it('writes one pino-format JSON line per event at or above the level', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    log.debug({ a: 1 }, 'hidden');
    log.info({ trigger: 'config', change: { kind: 'alias', action: 'add', address: '127.0.0.2' } }, 'changed');
    log.error({ err: Object.assign(new Error('boom'), { code: 'EBUSY' }) }, 'failed');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ level: 30, pid: process.pid, trigger: 'config', msg: 'changed' });
    expect(Date.parse(first.time)).not.toBeNaN();
    const second = JSON.parse(lines[1]!);
    expect(second.err).toMatchObject({ type: 'Error', message: 'boom', code: 'EBUSY' });
    expect(second.level).toBe(50);
  });

  it('survives cycles, bigints and a broken stdout', () => {
    const lines: string[] = [];
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const log = createLogger('trace', (l) => lines.push(l));
    log.info({ cyclic }, 'cycle');
    log.info({ n: 10n }, 'big');
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'cycle', logError: expect.stringMatching(/circular/i) });
    expect(JSON.parse(lines[1]!)).toMatchObject({ n: '10' });
    const broken = createLogger('info', () => {
      throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
    });
    expect(() => broken.fatal({}, 'still fine')).not.toThrow();
  });

  it('silent logs nothing; level names are checked', () => {
    const lines: string[] = [];
    createLogger('silent', (l) => lines.push(l)).fatal({}, 'x');
    expect(lines).toEqual([]);
    expect(isLevel('debug')).toBe(true);
    expect(isLevel('verbose')).toBe(false);
    expect(isLevel('constructor')).toBe(false);
  });
});
