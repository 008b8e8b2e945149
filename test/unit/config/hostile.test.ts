// Broken, hostile and huge inputs: each gives one clear diagnostic (never an exception, a stack
// trace, a crash or a hang) and no desired state.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, ftruncateSync, openSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { asNobody } from '../../helpers/cli';
import { loadConfig } from '../../../src/config';
import { decodeConfigBytes, firstInvalidUtf8 } from '../../../src/config/read';
import { brief, tempDir, writeFiles } from './helpers';

async function only(path: string): Promise<string[]> {
  const r = await loadConfig([path], { strictModes: false, platform: 'linux' });
  expect(r.desired).toBeNull();
  for (const d of r.diagnostics) {
    expect(d.file).toBe(path);
    expect(d.message).not.toMatch(/\n|    at /); // one line, no stack trace
  }
  return r.diagnostics.map(brief);
}

async function ofText(text: string | Buffer): Promise<string[]> {
  const [path] = writeFiles({ 'c.yaml': text });
  return only(path!);
}

describe('file-level problems are one diagnostic at 1:1', () => {
  it('missing file', async () => {
    expect(await only(join(tempDir(), 'nope.yaml'))).toEqual(['1:1 error: no such file']);
  });
  it('a directory', async () => {
    expect(await only(tempDir())).toEqual([
      '1:1 error: is a directory, not a config file (pass it with --config to read the *.yaml files in it)',
    ]);
  });
  it('a FIFO does not hang', async () => {
    const fifo = join(tempDir(), 'fifo.yaml');
    mkfifoSyncSafe(fifo);
    expect(await only(fifo)).toEqual(['1:1 error: is not a regular file']);
  });
  it('unreadable (EACCES) as a non-root user', async () => {
    const [path] = writeFiles({ 'secret.yaml': 'version: 1\n' });
    chmodSync(path!, 0o000);
    if (process.getuid?.() === 0) {
      // root reads anything: check the message through a real non-root process instead.
      const r = asNobody([process.execPath, '-e', CHILD_LOAD, path!]);
      if (r.code !== 0) throw new Error(`child failed: ${r.stderr}`);
      expect(JSON.parse(r.stdout)).toEqual(['1:1 error: permission denied: cannot read it (run as root, or make the file readable)']);
    } else {
      expect(await only(path!)).toEqual(['1:1 error: permission denied: cannot read it (run as root, or make the file readable)']);
    }
  });
  it('empty, whitespace-only and comment-only files', async () => {
    for (const text of ['', '\n\n  \n', '# only a comment\n', '---\n', '~\n']) {
      expect(await ofText(text)).toEqual(['1:1 error: is empty; expected at least `version: 1`']);
    }
  });
  it('a YAML syntax error, with its position', async () => {
    expect(await ofText('version: 1\nhosts:\n  a.test: [127.0.0.2\n')).toEqual([
      expect.stringMatching(/^4:1 error: YAML syntax error: /),
    ]);
    expect(await ofText('version: 1\nhosts:\n\ta.test: 127.0.0.2\n')).toEqual([
      '3:1 error: YAML syntax error: Tabs are not allowed as indentation',
    ]);
  });
  it('not a mapping', async () => {
    expect(await ofText('- version: 1\n')).toEqual(['1:1 error: must be a mapping of keys such as `version: 1`, not a list']);
    expect(await ofText('just some text\n')).toEqual(['1:1 error: must be a mapping of keys such as `version: 1`, not the value "just some text"']);
  });
  it('several YAML documents', async () => {
    expect(await ofText('version: 1\n---\nversion: 1\n')).toEqual([
      '2:1 error: contains 2 YAML documents (separated by `---`); a config file holds one (put more in conf.d/ as separate files)',
    ]);
  });
  it('NUL bytes', async () => {
    expect(await ofText(Buffer.from('version: 1\nho\0sts: {}\n'))).toEqual([
      '1:1 error: contains a NUL byte at line 2, byte 3 of the line: it is a binary file, not YAML text',
    ]);
  });
  it('invalid UTF-8 (Latin-1 text)', async () => {
    expect(await ofText(Buffer.from('version: 1\nhosts:\n  b\xfccher.test: 127.0.0.2\n', 'latin1'))).toEqual([
      '1:1 error: is not valid UTF-8 (first bad byte at line 3, byte 4 of the line); save it as UTF-8 text',
    ]);
  });
  it('control characters', async () => {
    expect(await ofText('version: 1\nhosts:\n  a\u0001b.test: 127.0.0.2\n')).toEqual([
      '1:1 error: contains the control character U+0001 at line 3, column 4; a config file is plain text',
    ]);
  });
  it('a UTF-8 byte order mark is accepted', async () => {
    const [path] = writeFiles({ 'bom.yaml': '\ufeffversion: 1\naliases: [127.0.0.2]\n' });
    const r = await loadConfig([path!], { strictModes: false });
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.aliases).toEqual(['127.0.0.2']);
  });
  it('random binary junk', async () => {
    for (let i = 0; i < 20; i++) {
      const out = await ofText(randomBytes(4096));
      expect(out).toHaveLength(1);
      expect(out[0]).toMatch(/^1:1 error: (contains a NUL byte|is not valid UTF-8|contains the control character)/);
    }
  });
});

describe('size and resource limits', () => {
  it('a 50 MB junk file is refused by its size, before reading it', async () => {
    const path = join(tempDir(), 'huge.yaml');
    const fd = openSync(path, 'w');
    ftruncateSync(fd, 50 * 1024 * 1024);
    closeSync(fd);
    expect(await only(path)).toEqual([
      '1:1 error: is 52,428,800 bytes; config files are limited to 8 MiB (8,388,608 bytes)',
    ]);
  });
  it('a file just under the cap is read (and its junk reported, capped)', async () => {
    const line = 'x'.repeat(1023) + '\n';
    const out = await ofText(`version: 1\n${line.repeat(7 * 1024)}`);
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThanOrEqual(101);
  });
  it('billion laughs: refused without expanding', async () => {
    const lol = [
      'version: 1',
      'x: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      ...'bcdefghi'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
      '',
    ].join('\n');
    expect(await ofText(lol)).toEqual([
      '1:1 error: expands YAML aliases (*name) beyond the limit (100 alias expansions); a config never needs that many',
    ]);
  });
  it('a self-referencing anchor does not loop', async () => {
    const out = await ofText('version: 1\naliases: &a [*a]\n');
    expect(out).toEqual([expect.stringMatching(/^2:\d+ error: /)]);
  });
  it('absurd nesting is refused, not a stack overflow', async () => {
    expect(await ofText(`version: 1\nx: ${'['.repeat(100000)}${']'.repeat(100000)}\n`)).toEqual([
      expect.stringMatching(/^\d+:\d+ error: YAML nesting is too deep to be a config file$/),
    ]);
    const out = await ofText(`version: 1\nx: ${'- '.repeat(50000)}x\n`);
    expect(out[0]).toMatch(/error: YAML/);
  });
  it('a huge number of problems is capped per file', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `  - 10.0.${i >> 8}.${i & 255}`).join('\n');
    const out = await ofText(`version: 1\naliases:\n${lines}\n`);
    expect(out).toHaveLength(101);
    expect(out[100]).toMatch(/4900 more problem\(s\) in this file not shown \(4900 error\(s\)\)/);
  });
  it('__proto__ keys are plain unknown keys (no prototype pollution)', async () => {
    const out = await ofText('version: 1\n__proto__: {polluted: true}\nsettings:\n  __proto__: {x: 1}\n');
    expect(out).toEqual([
      '2:1 error: unknown key `__proto__`; allowed keys: version, aliases, hosts, settings',
      '4:3 error: unknown key `__proto__` in settings; allowed keys: schedule, prune, allowAliasRanges, aliasesFromHosts',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('a symlink loop is reported', async () => {
    const dir = tempDir();
    symlinkSync(join(dir, 'b.yaml'), join(dir, 'a.yaml'));
    symlinkSync(join(dir, 'a.yaml'), join(dir, 'b.yaml'));
    expect(await only(join(dir, 'a.yaml'))).toEqual(['1:1 error: too many levels of symbolic links']);
  });
});

describe('UTF-8 validation', () => {
  it('agrees with a fatal TextDecoder on random bytes', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(1 + (i % 16));
      let valid = true;
      try {
        decoder.decode(bytes);
      } catch {
        valid = false;
      }
      expect(firstInvalidUtf8(bytes) < 0).toBe(valid);
    }
    expect(firstInvalidUtf8(Buffer.from('ok ✓ 😀'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1); // a UTF-16 surrogate
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0xaf]))).toBe(0); // overlong "/"
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x9c]))).toBe(1); // truncated at the end
  });
  it('decodes clean text', () => {
    expect(decodeConfigBytes(Buffer.from('version: 1\r\n'))).toEqual({ ok: true, text: 'version: 1\r\n' });
  });
});

const CHILD_LOAD = `
const { loadConfig } = require(${JSON.stringify(join(__dirname, '..', '..', '..', 'dist', 'config'))});
loadConfig([process.argv[1]], { strictModes: false }).then((r) => {
  process.stdout.write(JSON.stringify(r.diagnostics.map((d) => d.line + ':' + d.col + ' ' + d.severity + ': ' + d.message)));
});
`;

function mkfifoSyncSafe(path: string): void {
  execFileSync('mkfifo', [path]);
}
