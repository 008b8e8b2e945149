// Reads one config file defensively: refuses what is not a regular file, what is bigger than the
// cap (before reading it), and bytes that are not UTF-8 text. Every refusal is one sentence that
// says what is wrong and, where there is one, the fix — never an exception or a stack trace.
import { constants, promises as fsp } from 'node:fs';
import { MAX_FILE_BYTES } from './limits';
import { messageOf } from '../errors';

export type ReadResult = { ok: true; text: string } | { ok: false; message: string };

/** Reads `file` as UTF-8 text, or explains why it cannot be used as a config file. */
export async function readConfigText(file: string): Promise<ReadResult> {
  let st;
  try {
    st = await fsp.stat(file);
  } catch (e) {
    return { ok: false, message: describeFsError(e, 'stat') };
  }
  if (st.isDirectory()) {
    return { ok: false, message: 'is a directory, not a config file (pass it with --config to read the *.yaml files in it)' };
  }
  // A FIFO or a device would block or never end; only regular files are config files.
  if (!st.isFile()) return { ok: false, message: 'is not a regular file' };
  if (st.size > MAX_FILE_BYTES) return { ok: false, message: tooBig(st.size) };

  let handle;
  try {
    // O_NONBLOCK: if the path was swapped for a FIFO since the stat, open must not hang.
    handle = await fsp.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { ok: false, message: describeFsError(e, 'open') };
  }
  let bytes: Buffer;
  try {
    const again = await handle.stat();
    if (!again.isFile()) return { ok: false, message: 'is not a regular file' };
    // Read at most one byte past the cap: a file that grew since the stat is still refused.
    const buf = Buffer.alloc(Math.min(again.size, MAX_FILE_BYTES) + 1);
    let length = 0;
    while (length < buf.length) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_FILE_BYTES) return { ok: false, message: tooBig(length) };
    bytes = buf.subarray(0, length);
  } catch (e) {
    return { ok: false, message: describeFsError(e, 'read') };
  } finally {
    await handle.close().catch(() => undefined);
  }
  return decodeConfigBytes(bytes);
}

/** Decodes file bytes as UTF-8 text, refusing NUL bytes, invalid UTF-8 and control characters. */
export function decodeConfigBytes(bytes: Uint8Array): ReadResult {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return { ok: false, message: `contains a NUL byte ${whereByte(bytes, nul)}: it is a binary file, not YAML text` };
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    return { ok: false, message: `is not valid UTF-8 (first bad byte ${whereByte(bytes, bad)}); save it as UTF-8 text` };
  }
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte order mark is harmless
  // YAML forbids these characters; refusing them here also keeps them out of names and messages.
  const control = /[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    const { line, col } = lineColOf(text, control.index);
    return { ok: false, message: `contains the control character U+${code} at line ${line}, column ${col}; a config file is plain text` };
  }
  return { ok: true, text };
}

function tooBig(size: number): string {
  return `is ${size.toLocaleString('en-US')} bytes; config files are limited to ${MAX_FILE_BYTES / 1024 / 1024} MiB (${MAX_FILE_BYTES.toLocaleString('en-US')} bytes)`;
}

function describeFsError(e: unknown, op: string): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'no such file (a part of the path is not a directory)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied: cannot read it (run as root, or make the file readable)';
    case 'EISDIR':
      return 'is a directory, not a config file';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EAGAIN':
      return 'is not a regular file';
    default:
      return `cannot ${op} it: ${code ?? (messageOf(e))}`;
  }
}

function whereByte(bytes: Uint8Array, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return `at line ${line}, byte ${offset - lineStart + 1} of the line`;
}

/** 1-based line and column (in UTF-16 code units) of a string offset. */
export function lineColOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

/** Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + need >= n) return i; // truncated sequence at the end
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}
