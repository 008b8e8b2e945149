// The two lines that delimit the one block loopkeeper owns (SPEC "The hosts file"). Everything
// between them is ours; every byte outside is someone else's.

export const BEGIN_MARKER = '# BEGIN loopkeeper (managed, edits here are overwritten)';
export const END_MARKER = '# END loopkeeper';

/** Windows' resolver ignores names beyond 9 on one line; short lines everywhere keep it simple. */
export const MAX_NAMES_PER_LINE = 9;

export type MarkerKind = 'begin' | 'end';

/**
 * Which marker a line is, if any. The line is its content without the terminator. Tolerant of a
 * stray CR and trailing blanks (editors add them), exact otherwise: a marker that someone
 * reworded is not ours any more, and guessing would risk eating their lines.
 */
export function markerOf(line: string): MarkerKind | null {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) break;
    end--;
  }
  const text = end === line.length ? line : line.slice(0, end);
  if (text === BEGIN_MARKER) return 'begin';
  if (text === END_MARKER) return 'end';
  return null;
}
