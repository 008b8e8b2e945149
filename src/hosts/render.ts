// Rendering the managed block from the desired hosts.
import type { DesiredHost } from '../model';
import { BEGIN_MARKER, END_MARKER, MAX_NAMES_PER_LINE } from './markers';
import type { Eol } from './text';

/**
 * The block's lines, markers included. Names sharing an address share a line (at most
 * MAX_NAMES_PER_LINE; a full line continues on the next one), addresses in order of first
 * appearance. One rule overrides the grouping: the resolver returns a name's addresses in file
 * order, so each name's addresses must appear in the order it declared them. When two names
 * declare the same addresses in different orders, the later one gets a line of its own further
 * down (e.g. a: [X, Y] and b: [Y, X] give "X a", "Y a b", "X b").
 */
export function blockLines(hosts: readonly DesiredHost[]): string[] {
  // The rules above, without scanning every row for every address (that was O(rows × addresses):
  // 40,000 names took 21 s, and a config within the limits never finished). Each row knows its
  // position; each address keeps its rows in order (a new row of an address always comes after
  // all its others, so that list is append-only) and a skip pointer to its first row with room.
  interface Row { address: string; names: string[]; pos: number }
  interface Rows { list: Row[]; nextFree: number[] }
  const rows: Row[] = [];
  const byAddress = new Map<string, Rows>();
  const firstFreeFrom = (r: Rows, i: number): number => {
    // Union-find with path halving over the address's rows: a full row points past itself.
    while (i < r.list.length && r.nextFree[i] !== i) {
      const next = r.nextFree[i]!;
      r.nextFree[i] = next < r.list.length ? r.nextFree[next]! : next;
      i = next;
    }
    return i;
  };
  const markFull = (r: Rows, i: number): void => void (r.nextFree[i] = i + 1);
  const insertRow = (at: number, address: string, name: string): Row => {
    const row: Row = { address, names: [name], pos: at };
    if (at === rows.length) rows.push(row);
    else {
      rows.splice(at, 0, row);
      for (let k = at + 1; k < rows.length; k++) rows[k]!.pos = k;
    }
    let r = byAddress.get(address);
    if (!r) byAddress.set(address, (r = { list: [], nextFree: [] }));
    r.list.push(row);
    r.nextFree.push(r.list.length - 1);
    if (row.names.length >= MAX_NAMES_PER_LINE) markFull(r, r.list.length - 1);
    return row;
  };

  for (const h of hosts) {
    let prev = -1; // the position of the row that holds this name's previous address
    for (const address of h.addresses) {
      const r = byAddress.get(address);
      // This address's rows after `prev`: a binary search over their (ordered) positions.
      let first = r ? r.list.length : 0;
      if (r) {
        let lo = 0;
        let hi = r.list.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (r.list[mid]!.pos > prev) hi = mid;
          else lo = mid + 1;
        }
        first = lo;
      }
      let target: Row;
      if (r && first < r.list.length) {
        const free = firstFreeFrom(r, first);
        if (free < r.list.length) {
          target = r.list[free]!;
          if (!target.names.includes(h.name)) {
            target.names.push(h.name);
            if (target.names.length >= MAX_NAMES_PER_LINE) markFull(r, free);
          }
        } else {
          // Continuation line, right after the last (full) row of this address.
          target = insertRow(r.list[r.list.length - 1]!.pos + 1, address, h.name);
        }
      } else {
        target = insertRow(rows.length, address, h.name);
      }
      prev = target.pos;
    }
  }
  return [BEGIN_MARKER, ...rows.map((r) => `${r.address}\t${r.names.join(' ')}`), END_MARKER];
}

/** The block as text, every line terminated by `eol` except the END line (the caller decides). */
export function renderBlock(hosts: readonly DesiredHost[], eol: Eol): string {
  return blockLines(hosts).join(eol);
}
