// The hosts-file lines that are not loopkeeper's, for `loopkeeper hosts list --all`: every entry
// line outside the managed block, with the line number and, when it sits in another tool's
// marked section, that section's name (Docker Desktop, hostctl profiles, SwitchHosts, Local by
// Flywheel, `# BEGIN x` … `# END x`, `x_begin` … `x_end`). Read-only and pure.
import { locateBlock } from './layout';
import { bytesToText } from './text';

export interface UnmanagedEntry {
  /** 1-based line number in the file. */
  line: number;
  /** The first field as written (an address, or what the resolver would skip). */
  address: string;
  names: string[];
  /** The other tool's section the line is in, or null for a line outside any marked section. */
  section: string | null;
}

interface Opening {
  name: string;
  closes: (comment: string) => boolean;
}

const lower = (s: string): string => s.toLowerCase();

/** Which section a comment line opens, if any. */
function opening(comment: string): Opening | null {
  if (/^added by docker desktop$/i.test(comment)) return { name: 'Docker Desktop', closes: (c) => /^end of section$/i.test(c) };
  let m = /^profile\.(?:on|off)\s+(\S+)$/i.exec(comment);
  if (m) return { name: `hostctl profile ${m[1]}`, closes: (c) => /^end$/i.test(c) };
  if (/^-*\s*switchhosts_content_start\s*-*$/i.test(comment)) return { name: 'SwitchHosts', closes: () => false };
  m = /^(?:begin|start)\s+(.+)$/i.exec(comment);
  if (m) {
    const name = m[1]!.trim();
    return { name, closes: (c) => lower(c) === `end ${lower(name)}` };
  }
  m = /^(.+?)(?:\s*-\s*|_|\s+)(?:begin|start)$/i.exec(comment);
  if (m) {
    const name = m[1]!.trim();
    return { name, closes: (c) => new RegExp(`^${escapeRe(name)}(?:\\s*-\\s*|_|\\s+)end$`, 'i').test(c) };
  }
  return null;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The text of a comment line without its `#` marks and surrounding blanks. */
function commentText(line: string): string | null {
  const t = line.trim();
  if (!t.startsWith('#')) return null;
  return t.replace(/^#+/, '').replace(/#+$/, '').trim();
}

export function unmanagedEntries(content: Buffer): UnmanagedEntry[] {
  const text = bytesToText(content);
  const layout = locateBlock(text);
  // Offsets of the managed block, whose lines are loopkeeper's.
  const blockStart = layout.kind === 'block' ? layout.before.length : -1;
  const blockEnd = layout.kind === 'block' ? layout.before.length + layout.block.length : -1;
  const out: UnmanagedEntry[] = [];
  let section: Opening | null = null;
  let offset = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const start = offset;
    offset += raw.length + 1;
    if (start >= blockStart && start < blockEnd) continue;
    const comment = commentText(raw);
    if (comment !== null) {
      if (section?.closes(comment)) section = null;
      else section ??= opening(comment);
      continue;
    }
    const hash = raw.indexOf('#');
    const fields = (hash < 0 ? raw : raw.slice(0, hash)).split(/[ \t\r\v\f]+/).filter((f) => f !== '');
    if (fields.length < 2) continue;
    out.push({ line: i + 1, address: fields[0]!, names: fields.slice(1), section: section?.name ?? null });
  }
  return out;
}
