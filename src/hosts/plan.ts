// The pure planner: from the file's bytes and the desired hosts, the file's next bytes, the
// state of every desired name and the changes. No I/O; the writer and `plan` both use it.
import type { Change, DesiredHost, HostEntry } from '../model';
import { normalizeDesired } from './desired';
import { findEarlier, parseEntries, type EarlierMapping, type HostMap } from './entries';
import { locateBlock, type HostsDamage, type Layout } from './layout';
import { diffLines } from './block-diff';
import { renderBlock } from './render';
import { bytesToText, majorityEol, textToBytes } from './text';
import { lineList } from '../lines';

export type { HostsDamage } from './layout';

export interface HostsPlan {
  /** The whole new file, or null when nothing changes (or the block is damaged). */
  next: Buffer | null;
  /** One per desired name. */
  entries: HostEntry[];
  changes: Change[];
  damage: HostsDamage | null;
  /** The managed block before → after as a line diff (empty when nothing changes). */
  blockDiff: string[];
}

/**
 * Plans the file for `desired`; `null` (or no hosts at all) means no block: remove it (`down`).
 * Every byte outside the block is kept; see layout.ts for where a block goes and how it leaves.
 */
export function planHosts(content: Buffer, desired: DesiredHost[] | null): HostsPlan {
  const text = bytesToText(content);
  const wanted = desired === null ? [] : normalizeDesired(desired);
  const layout = locateBlock(text);
  const earlier = findEarlier(text, layout.earlierEnd, wanted.map((h) => h.name));

  if (layout.kind === 'damaged') {
    const why = `${layout.damage.message} (${lineList(layout.damage.lines)}); nothing is changed until it is fixed`;
    return {
      next: null,
      entries: wanted.map((h) => entryFor(h, undefined, earlier.get(h.name), why)),
      changes: [],
      damage: layout.damage,
      blockDiff: [],
    };
  }

  const current: HostMap = layout.kind === 'block' ? parseEntries(layout.body) : new Map();
  const nextText = compose(text, layout, wanted);
  return {
    next: nextText === null ? null : textToBytes(nextText),
    entries: wanted.map((h) => entryFor(h, current.get(h.name), earlier.get(h.name), null)),
    changes: diff(current, wanted),
    damage: null,
    blockDiff: nextText === null ? [] : diffLines(blockLinesOf(layout), wanted.length === 0 ? [] : splitLines(renderBlock(wanted, '\n'))),
  };
}

/** The new file text, or null when it would be identical. */
function compose(text: string, layout: Exclude<Layout, { kind: 'damaged' }>, wanted: DesiredHost[]): string | null {
  if (wanted.length === 0) return layout.kind === 'none' ? null : layout.original;
  // Decided on the file without the block, so the block's own lines never vote.
  const eol = majorityEol(layout.original);
  const block = renderBlock(wanted, eol);
  if (layout.kind === 'none') {
    const o = layout.original;
    if (o === '') return block + eol;
    if (o.endsWith('\n')) return o + block + eol;
    return o + eol + block; // no final newline: see layout.ts
  }
  if (layout.endHasEol) {
    // Updated where it stands (someone may have added lines after it).
    const replacement = block + eol;
    return replacement === layout.block ? null : layout.before + replacement + layout.after;
  }
  const o = layout.original;
  // Only a hand-made block can end an otherwise empty file unterminated: give it its newline.
  if (o === '') return block + eol;
  // The separator before it was not ours (layout.ts): the file did end in a newline, so the
  // block is terminated from now on, like one loopkeeper adds to such a file.
  if (o === layout.before) return layout.before + block + eol;
  const head = o + eol;
  return head === layout.before && block === layout.block ? null : head + block;
}

function blockLinesOf(layout: Exclude<Layout, { kind: 'damaged' }>): string[] {
  return layout.kind === 'block' ? splitLines(layout.block) : [];
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function diff(current: HostMap, wanted: DesiredHost[]): Change[] {
  const changes: Change[] = [];
  const wantedNames = new Set<string>();
  for (const h of wanted) {
    wantedNames.add(h.name);
    const have = current.get(h.name);
    if (!have) changes.push({ kind: 'hosts', action: 'add', name: h.name, addresses: h.addresses });
    else if (!sameList(have, h.addresses)) {
      changes.push({ kind: 'hosts', action: 'update', name: h.name, addresses: h.addresses, previous: have });
    }
  }
  for (const [name, addresses] of current) {
    if (!wantedNames.has(name)) changes.push({ kind: 'hosts', action: 'remove', name, addresses });
  }
  return changes;
}

function entryFor(
  h: DesiredHost,
  inBlock: string[] | undefined,
  earlier: EarlierMapping[] | undefined,
  damaged: string | null,
): HostEntry {
  const base = { name: h.name, addresses: h.addresses };
  if (earlier && earlier.length > 0) {
    const earlierAddresses = [...new Set(earlier.map((m) => m.key))];
    if (!sameList(earlierAddresses, h.addresses)) {
      const first = earlier.find((m) => !h.addresses.includes(m.key)) ?? earlier[0]!;
      const more = earlier.length > 1 ? ` (and ${earlier.length - 1} more earlier line(s))` : '';
      return {
        ...base,
        state: 'shadowed',
        detail: `line ${first.line} maps it to ${first.address} before the managed block${more}; the resolver uses the first match`,
      };
    }
  }
  if (damaged !== null) return { ...base, state: 'missing', detail: damaged };
  if (inBlock && sameList(inBlock, h.addresses)) return { ...base, state: 'present', detail: 'in the managed block' };
  if (inBlock) return { ...base, state: 'missing', detail: `the managed block maps it to ${inBlock.join(', ')}` };
  return { ...base, state: 'missing', detail: 'not in the managed block' };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
