// macOS `ls -lO FILE`: mode, links, owner, group, flags, size, … . The flags column says whether
// the hosts file is immutable (uchg/schg).

/** The flags column of `ls -lO FILE`; null when the line does not look like that. */
export function parseLsFlags(output: string): string[] | null {
  const line = output.split('\n').find((l) => l.trim() !== '');
  if (line === undefined || line.length > 4096) return null;
  const fields = line.trim().split(/\s+/);
  if (fields.length < 6 || !/^[-dlbcps][-rwxsStT]{9}[@+.]?$/.test(fields[0]!) || !/^\d+$/.test(fields[1]!)) return null;
  const flags = fields[4]!;
  if (flags === '-') return [];
  if (!/^[a-z_,-]+$/.test(flags)) return null;
  return flags.split(',').filter((f) => f !== '');
}
