import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchTargets, type Watcher } from '../../../src/daemon/watch';

async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('watchTargets', () => {
  let dir: string;
  let w: Watcher | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lk-watch-'));
  });
  afterEach(() => {
    w?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fires once, debounced, for an in-place write and for an editor-style rename', async () => {
    const file = join(dir, 'loopkeeper.yaml');
    writeFileSync(file, 'a');
    let n = 0;
    w = watchTargets([{ path: file, kind: 'file' }], () => n++, 50);
    writeFileSync(file, 'b');
    writeFileSync(file, 'c');
    await until(() => n === 1);
    writeFileSync(`${file}.swp`, 'd');
    renameSync(`${file}.swp`, file);
    await until(() => n === 2);
    writeFileSync(file, 'e'); // the new inode is watched too
    await until(() => n === 3);
    await new Promise((r) => setTimeout(r, 150));
    expect(n).toBe(3);
  });

  it('ignores other files in the directory and watches matching new files in a conf.d', async () => {
    const confd = join(dir, 'conf.d');
    mkdirSync(confd);
    const file = join(dir, 'loopkeeper.yaml');
    writeFileSync(file, 'a');
    let n = 0;
    w = watchTargets([{ path: file, kind: 'file' }, { path: confd, kind: 'dir', match: (x) => x.endsWith('.yaml') }], () => n++, 30);
    writeFileSync(join(dir, 'unrelated.txt'), 'x');
    writeFileSync(join(confd, 'notes.txt'), 'x');
    await new Promise((r) => setTimeout(r, 150));
    expect(n).toBe(0);
    writeFileSync(join(confd, '10-team.yaml'), 'x');
    await until(() => n === 1);
  });

  it('reports directories it cannot watch instead of throwing', () => {
    w = watchTargets([{ path: join(dir, 'missing', 'conf.d'), kind: 'dir' }], () => undefined);
    expect(w.unwatched).toEqual([join(dir, 'missing', 'conf.d')]);
  });
});
