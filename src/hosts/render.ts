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
  const rows: { address: string; names: string[] }[] = [];
  for (const h of hosts) {
    let prev = -1; // the row that holds this name's previous address
    for (const address of h.addresses) {
      let target = -1;
      let lastSame = -1;
      for (let i = prev + 1; i < rows.length; i++) {
        if (rows[i]!.address !== address) continue;
        lastSame = i;
        if (target < 0 && rows[i]!.names.length < MAX_NAMES_PER_LINE) target = i;
      }
      if (target >= 0) {
        if (!rows[target]!.names.includes(h.name)) rows[target]!.names.push(h.name);
      } else if (lastSame >= 0) {
        target = lastSame + 1; // continuation line, right after the full ones
        rows.splice(target, 0, { address, names: [h.name] });
      } else {
        target = rows.length;
        rows.push({ address, names: [h.name] });
      }
      prev = target;
    }
  }
  return [BEGIN_MARKER, ...rows.map((r) => `${r.address}\t${r.names.join(' ')}`), END_MARKER];
}

/** The block as text, every line terminated by `eol` except the END line (the caller decides). */
export function renderBlock(hosts: readonly DesiredHost[], eol: Eol): string {
  return blockLines(hosts).join(eol);
}
