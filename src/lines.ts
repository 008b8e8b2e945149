// Line numbers as a person writes them, for messages that point into a file.

/** `line 5`, `lines 2 and 7`, `lines 2, 5 and 7` (`lines ?` when there are none). */
export function lineList(lines: readonly number[]): string {
  if (lines.length === 0) return 'lines ?';
  if (lines.length === 1) return `line ${lines[0]}`;
  return `lines ${lines.slice(0, -1).join(', ')} and ${lines[lines.length - 1]}`;
}
