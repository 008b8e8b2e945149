import { mkdirSync, mkdtempSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchTargets, type Watcher } from '../../../src/daemon/watch';

// No sleeps: the debounce timer is a fake timer (it fires only when the test advances it), and
// "every event of what I just did has been delivered" is an event too. Node reads all file
// watches of a process from one inotify queue, in order; so after touching a sentinel file
// that has its own watch, the sentinel's event arrives only after every earlier event.
describe('watchTargets', () => {
  let dir: string;
  let side: string;
  let sentinel: string;
  let touches = 0;
  let w: Watcher | undefined;
  let n: number;

  /** Resolves once the events of every file operation made before the call have been delivered. */
  function delivered(): Promise<void> {
    return new Promise((res) => {
      const s = watch(sentinel, () => {
        s.close();
        res();
      });
      writeFileSync(sentinel, String(++touches));
    });
  }

  /** Events delivered, then the debounce window passed: how many triggers fired. */
  async function settle(debounceMs: number): Promise<number> {
    await delivered();
    jest.advanceTimersByTime(debounceMs);
    return n;
  }

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    dir = mkdtempSync(join(tmpdir(), 'lk-watch-'));
    side = mkdtempSync(join(tmpdir(), 'lk-watch-sentinel-'));
    sentinel = join(side, 'sentinel');
    writeFileSync(sentinel, '');
    n = 0;
  });
  afterEach(() => {
    w?.close();
    jest.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
    rmSync(side, { recursive: true, force: true });
  });

  it('fires once, debounced, for an in-place write and for an editor-style rename', async () => {
    const file = join(dir, 'loopkeeper.yaml');
    writeFileSync(file, 'a');
    w = watchTargets([{ path: file, kind: 'file' }], () => n++, 50);
    writeFileSync(file, 'b');
    writeFileSync(file, 'c');
    await delivered();
    expect(n).toBe(0); // debounced: nothing before the window passes
    jest.advanceTimersByTime(49);
    expect(n).toBe(0);
    jest.advanceTimersByTime(1);
    expect(n).toBe(1); // two writes (file + directory events each), one trigger
    writeFileSync(`${file}.swp`, 'd');
    renameSync(`${file}.swp`, file);
    expect(await settle(50)).toBe(2);
    // The file watch re-attaches to the new inode on the next turn of the event loop.
    await new Promise((r) => setImmediate(r));
    writeFileSync(file, 'e');
    expect(await settle(50)).toBe(3);
    expect(jest.getTimerCount()).toBe(0); // nothing else pending: no late trigger
    expect(await settle(1000)).toBe(3);
  });

  it('onFirstEvent runs at the first event of a debounce window, before the wait, once per window', async () => {
    const file = join(dir, 'loopkeeper.yaml');
    writeFileSync(file, 'a');
    const order: string[] = [];
    w = watchTargets([{ path: file, kind: 'file' }], () => order.push('change'), 50, () => order.push('first'));
    writeFileSync(file, 'b');
    writeFileSync(file, 'c');
    await delivered();
    expect(order).toEqual(['first']); // at once, while the debounce waits
    jest.advanceTimersByTime(50);
    expect(order).toEqual(['first', 'change']);
    writeFileSync(file, 'd');
    await delivered();
    jest.advanceTimersByTime(50);
    expect(order).toEqual(['first', 'change', 'first', 'change']);
  });

  it('ignores other files in the directory and watches matching new files in a conf.d', async () => {
    const confd = join(dir, 'conf.d');
    mkdirSync(confd);
    const file = join(dir, 'loopkeeper.yaml');
    writeFileSync(file, 'a');
    w = watchTargets([{ path: file, kind: 'file' }, { path: confd, kind: 'dir', match: (x) => x.endsWith('.yaml') }], () => n++, 30);
    writeFileSync(join(dir, 'unrelated.txt'), 'x');
    writeFileSync(join(confd, 'notes.txt'), 'x');
    await delivered();
    expect(jest.getTimerCount()).toBe(0); // not even a debounce started
    expect(await settle(30)).toBe(0);
    writeFileSync(join(confd, '10-team.yaml'), 'x');
    expect(await settle(30)).toBe(1);
  });

  it('watches a directory that does not exist yet from its nearest existing parent, level by level', async () => {
    const confd = join(dir, 'etc', 'loopkeeper', 'conf.d');
    const file = join(dir, 'etc', 'loopkeeper', 'loopkeeper.yaml');
    w = watchTargets([{ path: file, kind: 'file' }, { path: confd, kind: 'dir', match: (x) => x.endsWith('.yaml') }], () => n++, 30);
    expect(w.unwatched).toEqual([]);
    writeFileSync(join(dir, 'unrelated'), 'x'); // not on the way: nothing
    expect(await settle(30)).toBe(0);
    mkdirSync(join(dir, 'etc', 'loopkeeper'), { recursive: true });
    writeFileSync(file, 'version: 1\n');
    const afterFile = await settle(30);
    expect(afterFile).toBeGreaterThanOrEqual(1);
    // The file's own directory is watched now: an in-place write and an editor's rename count.
    writeFileSync(file, 'version: 1 # edited\n');
    expect(await settle(30)).toBe(afterFile + 1);
    mkdirSync(confd);
    const afterDir = await settle(30);
    expect(afterDir).toBe(afterFile + 2);
    writeFileSync(join(confd, 'team.yaml'), 'x');
    expect(await settle(30)).toBe(afterDir + 1);
  });

  it('waits again from above for a watched directory that is removed, and sees it come back', async () => {
    const confd = join(dir, 'conf.d');
    mkdirSync(confd);
    w = watchTargets([{ path: confd, kind: 'dir', match: (x) => x.endsWith('.yaml') }], () => n++, 30);
    rmSync(confd, { recursive: true });
    const gone = await settle(30);
    expect(gone).toBeGreaterThanOrEqual(1);
    mkdirSync(confd);
    const back = await settle(30);
    expect(back).toBeGreaterThan(gone);
    writeFileSync(join(confd, 'a.yaml'), 'x');
    expect(await settle(30)).toBe(back + 1);
  });
});
