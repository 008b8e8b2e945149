// The property every hosts file must keep, shared by the fixture and the corpus suites: the block
// goes in after the last byte of the file (plus a separator only when the file lacks a final
// newline), a second plan is a no-op, and removing the block gives the original back byte for byte.
import { planHosts } from '../../../src/hosts';
import { BEGIN_MARKER, END_MARKER } from '../../../src/hosts/markers';
import type { DesiredHost } from '../../../src/model';

export const TEAM: DesiredHost[] = [
  { name: 'api.myteam.test', addresses: ['127.0.0.2'] },
  { name: 'db.myteam.test', addresses: ['127.0.0.2'] },
  { name: 'web.myteam.test', addresses: ['127.0.0.3', 'fd00::2'] },
  { name: 'localhost', addresses: ['127.0.0.1'] },
];

/** The block TEAM renders to, without a terminator after END. */
export function teamBlock(eol: '\n' | '\r\n'): string {
  return [BEGIN_MARKER, '127.0.0.2\tapi.myteam.test db.myteam.test', '127.0.0.3\tweb.myteam.test', 'fd00::2\tweb.myteam.test', '127.0.0.1\tlocalhost', END_MARKER].join(eol);
}

/** Asserts the round trip on a file without a loopkeeper block; returns the planned file. */
export function expectRoundTrip(orig: Buffer, desired: DesiredHost[] = TEAM): { next: Buffer; sep: string; tail: string } {
  const p = planHosts(orig, desired);
  expect(p.damage).toBeNull();
  const next = p.next!;
  // Everything before the block is the original; only a separator may sit between.
  expect(next.subarray(0, orig.length).equals(orig)).toBe(true);
  const tail = next.subarray(orig.length).toString('latin1');
  const endsWithNewline = orig.length === 0 || orig[orig.length - 1] === 0x0a;
  const sep = tail.startsWith('\r\n') ? '\r\n' : tail.startsWith('\n') ? '\n' : '';
  expect(sep === '').toBe(endsWithNewline);
  expect(tail.slice(sep.length).startsWith(BEGIN_MARKER)).toBe(true);

  const again = planHosts(next, desired);
  expect(again.next).toBeNull();
  expect(again.changes).toEqual([]);
  expect(again.damage).toBeNull();

  const removed = planHosts(next, null).next!;
  expect(removed.equals(orig)).toBe(true);
  return { next, sep, tail: tail.slice(sep.length) };
}
