// Low-level text helpers for the hosts file. The file is handled as a latin1 string: one char per
// byte, so any byte sequence (invalid UTF-8, a BOM, NULs) survives decode → edit → encode
// unchanged, and offsets are byte offsets.

export type Eol = '\n' | '\r\n';

/** Decodes bytes one char per byte (lossless both ways). */
export function bytesToText(content: Buffer): string {
  return content.toString('latin1');
}

export function textToBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Counts LF- and CRLF-terminated lines in text[from, to). A lone CR is not a line end. */
export function countEols(text: string, from = 0, to = text.length): { lf: number; crlf: number } {
  let lf = 0;
  let crlf = 0;
  let i = text.indexOf('\n', from);
  while (i >= 0 && i < to) {
    if (i > from && text.charCodeAt(i - 1) === 0x0d) crlf++;
    else lf++;
    i = text.indexOf('\n', i + 1);
  }
  return { lf, crlf };
}

/** The line ending the text uses most; LF on a tie and for text without line ends (SPEC). */
export function majorityEol(text: string): Eol {
  // No CRLF at all (most files): LF, found by one native search instead of counting every line.
  if (!text.includes('\r\n')) return '\n';
  const { lf, crlf } = countEols(text);
  return crlf > lf ? '\r\n' : '\n';
}

/** 1-based line number of the line containing offset `at`. */
export function lineNumberAt(text: string, at: number): number {
  let n = 1;
  let i = text.indexOf('\n');
  while (i >= 0 && i < at) {
    n++;
    i = text.indexOf('\n', i + 1);
  }
  return n;
}

/** Whitespace as the C library's isspace() sees it inside a hosts line (CR included). */
export function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c;
}
