// The managed block before and after, as a line diff for `loopkeeper plan` ("- " removed, "+ "
// added, "  " kept). Blocks are small; an LCS table is exact and simple. Past a size where the
// table would be costly (tens of thousands of changed lines), it falls back to "all old lines
// out, all new lines in" after trimming the common start and end — still correct, less minimal.
const MAX_TABLE_CELLS = 4_000_000;

export function diffLines(before: readonly string[], after: readonly string[]): string[] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before[endB - 1] === after[endA - 1]) {
    endB--;
    endA--;
  }
  const out: string[] = before.slice(0, start).map((l) => `  ${l}`);
  const b = before.slice(start, endB);
  const a = after.slice(start, endA);
  if (b.length * a.length > MAX_TABLE_CELLS) {
    out.push(...b.map((l) => `- ${l}`), ...a.map((l) => `+ ${l}`));
  } else {
    // lcs[i][j]: length of the longest common subsequence of b[i..] and a[j..]
    const w = a.length + 1;
    const lcs = new Uint32Array((b.length + 1) * w);
    for (let i = b.length - 1; i >= 0; i--) {
      for (let j = a.length - 1; j >= 0; j--) {
        lcs[i * w + j] = b[i] === a[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < b.length || j < a.length) {
      if (i < b.length && j < a.length && b[i] === a[j]) {
        out.push(`  ${b[i++]}`);
        j++;
      } else if (j < a.length && (i === b.length || lcs[i * w + j + 1]! >= lcs[(i + 1) * w + j]!)) {
        out.push(`+ ${a[j++]}`);
      } else {
        out.push(`- ${b[i++]}`);
      }
    }
  }
  out.push(...before.slice(endB).map((l) => `  ${l}`));
  return out;
}
