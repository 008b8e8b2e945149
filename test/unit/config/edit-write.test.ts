// Writing and renaming config files for the CLI's edits: modes the daemon's StrictModes accepts,
// no half-written file when a step fails (faults injected through the file-system seam), and a
// profile rename that never replaces a file.
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realFs, type FileSystem } from '../../../src/fs/seam';
import { renameConfigFile, writeConfigFile } from '../../../src/config/edit-write';
import { tempDir } from './helpers';

function failing(op: keyof FileSystem, code: string): FileSystem {
  return {
    ...realFs,
    [op]: () => {
      throw Object.assign(new Error(`${code}: injected`), { code });
    },
  } as FileSystem;
}

describe('writeConfigFile', () => {
  it('a new file is 0644, its missing conf.d/ is created 0755, and no temp file is left', () => {
    const dir = tempDir();
    const file = join(dir, 'conf.d', 'local.yaml');
    writeConfigFile(file, 'version: 1\n');
    expect(readFileSync(file, 'utf8')).toBe('version: 1\n');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(statSync(join(dir, 'conf.d')).mode & 0o777).toBe(0o755);
    expect(readdirSync(join(dir, 'conf.d'))).toEqual(['local.yaml']);
  });
  it('an existing file keeps its mode minus any group/other write bit, and its owner', () => {
    const dir = tempDir();
    const file = join(dir, 'a.yaml');
    writeFileSync(file, 'old');
    chmodSync(file, 0o664);
    const before = statSync(file);
    writeConfigFile(file, 'new');
    const after = statSync(file);
    expect(after.mode & 0o777).toBe(0o644);
    expect([after.uid, after.gid]).toEqual([before.uid, before.gid]);
    chmodSync(file, 0o600);
    writeConfigFile(file, 'newer');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
  it('a symlinked file is written at its target; the link stays', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real.yaml'), 'old');
    symlinkSync(join(dir, 'real.yaml'), join(dir, 'link.yaml'));
    writeConfigFile(join(dir, 'link.yaml'), 'new');
    expect(lstatSync(join(dir, 'link.yaml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real.yaml'), 'utf8')).toBe('new');
  });
  it.each([
    ['rename', 'EACCES'],
    ['write', 'ENOSPC'],
    ['fsync', 'EIO'],
  ] as const)('when %s fails (%s) the file is unchanged and no temp file is left', (op, code) => {
    const dir = tempDir();
    const file = join(dir, 'a.yaml');
    writeFileSync(file, 'version: 1\n');
    expect(() => writeConfigFile(file, 'version: 1\nhosts: {}\n', failing(op, code))).toThrow(/unchanged|not written/);
    expect(readFileSync(file, 'utf8')).toBe('version: 1\n');
    expect(readdirSync(dir)).toEqual(['a.yaml']);
  });
  it('refuses to write over something that is not a regular file', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'd.yaml'));
    expect(() => writeConfigFile(join(dir, 'd.yaml'), 'x')).toThrow(/not a regular file/);
  });
});

describe('renameConfigFile', () => {
  it('moves the same inode and bytes, and never replaces an existing file', () => {
    const dir = tempDir();
    const from = join(dir, 'vpn.yaml');
    writeFileSync(from, 'version: 1\n# keep\n');
    const ino = statSync(from).ino;
    renameConfigFile(from, `${from}.disabled`);
    expect(statSync(`${from}.disabled`).ino).toBe(ino);
    expect(readFileSync(`${from}.disabled`, 'utf8')).toBe('version: 1\n# keep\n');
    writeFileSync(from, 'other');
    expect(() => renameConfigFile(`${from}.disabled`, from)).toThrow(/exists; nothing was changed/);
    expect(readFileSync(from, 'utf8')).toBe('other');
    expect(readFileSync(`${from}.disabled`, 'utf8')).toBe('version: 1\n# keep\n');
  });
  it('where hard links are impossible, a checked rename', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), 'x');
    renameConfigFile(join(dir, 'a.yaml'), join(dir, 'a.yaml.disabled'), failing('link', 'EPERM'));
    expect(readdirSync(dir)).toEqual(['a.yaml.disabled']);
  });
});
