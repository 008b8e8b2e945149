// Where the managed block sits in the file, and what the file is without it.
//
// The missing-final-newline rule. A file that does not end in a newline ("…\nlast") cannot take a
// block after its last line without a separator, so loopkeeper inserts one (the block's own line
// ending) and leaves the END line without a terminator: "…\nlast\n# BEGIN …\n…\n# END loopkeeper".
// The file's missing final newline has moved to the end of the block, and that is the record:
// a block that ends the file without a terminator after END was preceded by a separator of its
// own making, which goes away with the block. Removing it gives the original back byte for byte,
// with no extra marker text. A file that did end in a newline gets a block whose END line is
// terminated, and nothing before the block is touched.
import { markerOf, type MarkerKind } from './markers';
import { lineNumberAt, majorityEol, type Eol } from './text';

export interface HostsDamage {
  message: string;
  /** 1-based line numbers of the offending markers. */
  lines: number[];
}

interface MarkerHit {
  kind: MarkerKind;
  /** Offset of the first char of the marker line. */
  start: number;
  /** Offset just past the line, terminator included. */
  end: number;
  /** The line's terminator ('' on a last line without one). */
  eol: string;
}

export type Layout =
  | {
      kind: 'none';
      /** The file as it is: there is no block to take out. */
      original: string;
      /** Lines before this offset come before where the block will be. */
      earlierEnd: number;
    }
  | {
      kind: 'block';
      /** Everything up to the BEGIN line, and everything after the END line. */
      before: string;
      after: string;
      /** The block's own bytes, both markers and the END line's terminator included. */
      block: string;
      /** The text between the markers (the entries). */
      body: string;
      /** The END line has a terminator (false: the block ends a file that had no final newline). */
      endHasEol: boolean;
      /** The file with the block taken out (and its separator, see the comment at the top). */
      original: string;
      earlierEnd: number;
    }
  | {
      kind: 'damaged';
      damage: HostsDamage;
      earlierEnd: number;
    };

const SEARCH: ReadonlyArray<[string, MarkerKind]> = [
  ['# BEGIN loopkeeper', 'begin'],
  ['# END loopkeeper', 'end'],
];

/** Every marker line, in file order. Cheap on huge files: two native substring scans. */
function findMarkers(text: string): MarkerHit[] {
  const hits: MarkerHit[] = [];
  for (const [needle, kind] of SEARCH) {
    let at = text.indexOf(needle);
    while (at >= 0) {
      if (at === 0 || text.charCodeAt(at - 1) === 0x0a) {
        const nl = text.indexOf('\n', at);
        const contentEnd = nl < 0 ? text.length : nl;
        if (markerOf(text.slice(at, contentEnd)) === kind) {
          const end = nl < 0 ? text.length : nl + 1;
          const eol = nl < 0 ? '' : nl > at && text.charCodeAt(nl - 1) === 0x0d ? '\r\n' : '\n';
          hits.push({ kind, start: at, end, eol });
        }
      }
      at = text.indexOf(needle, at + needle.length);
    }
  }
  return hits.sort((a, b) => a.start - b.start);
}

function describeDamage(text: string, hits: MarkerHit[]): HostsDamage {
  const lines = hits.map((h) => lineNumberAt(text, h.start));
  const begins = hits.filter((h) => h.kind === 'begin').length;
  const ends = hits.length - begins;
  let what: string;
  if (begins === 0) what = ends === 1 ? 'an END marker without a BEGIN marker' : `${ends} END markers and no BEGIN marker`;
  else if (ends === 0) what = begins === 1 ? 'a BEGIN marker without an END marker' : `${begins} BEGIN markers and no END marker`;
  else if (begins > 1) what = `${begins} BEGIN markers (nested or repeated blocks)`;
  else if (ends > 1) what = `${ends} END markers for one BEGIN marker`;
  else what = 'the END marker comes before the BEGIN marker';
  return { message: `the loopkeeper block is damaged: ${what}`, lines };
}

/**
 * The file before an unterminated block that ends it, without the separator loopkeeper put there
 * (see the comment at the top). loopkeeper writes the separator in the block's own line ending,
 * chosen as the majority of the file without the block; only a separator that fits that is
 * taken away. The case that needs the check: a block using LF after a line ending in CRLF. If
 * loopkeeper had written it, the file ended in a lone CR and was mostly LF: taking the LF leaves
 * that CR. Otherwise (a mostly-CRLF file: the block was made by hand or by another tool) the CRLF
 * terminates someone's line, and taking only its LF would leave a stray CR and lose a byte on
 * `down` (found by fuzzing): nothing is taken then, and the block gets a terminator when updated.
 */
function withoutOurSeparator(before: string, sep: Eol): string {
  if (!before.endsWith(sep)) return before;
  const rest = before.slice(0, before.length - sep.length);
  if (sep === '\n' && rest.endsWith('\r') && majorityEol(rest) !== '\n') return before;
  return rest;
}

export function locateBlock(text: string): Layout {
  const hits = findMarkers(text);
  if (hits.length === 0) return { kind: 'none', original: text, earlierEnd: text.length };
  const [begin, end] = hits;
  if (hits.length !== 2 || begin!.kind !== 'begin' || end!.kind !== 'end') {
    return { kind: 'damaged', damage: describeDamage(text, hits), earlierEnd: hits[0]!.start };
  }
  const before = text.slice(0, begin!.start);
  const after = text.slice(end!.end);
  const endHasEol = end!.eol !== '';
  const original = endHasEol ? before + after : withoutOurSeparator(before, begin!.eol as Eol);
  return {
    kind: 'block',
    before,
    after,
    block: text.slice(begin!.start, end!.end),
    body: text.slice(begin!.end, end!.start),
    endHasEol,
    original,
    earlierEnd: begin!.start,
  };
}
