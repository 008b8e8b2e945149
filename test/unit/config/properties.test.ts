// Property tests: range expansion (count, order, edges, a-b against CIDR) and host name syntax.
import fc from 'fast-check';
import { checkRange, expandRange, rangeSize, type AddressRange } from '../../../src/config/addresses';
import { addressReading, hostNameProblem } from '../../../src/config/names';
import { formatIp, parseIp } from '../../../src/net/ip';

const v4 = (value: bigint): string => formatIp({ family: 4, value });
const v6 = (value: bigint): string => formatIp({ family: 6, value });
const MAX_V4 = (1n << 32n) - 1n;
const MAX_V6 = (1n << 128n) - 1n;

function range(text: string): AddressRange {
  const r = checkRange(text);
  if (!r.ok) throw new Error(r.message);
  return r.value.range;
}

/** Each address is the previous one plus one, starting at `first`. */
function assertConsecutive(list: string[], first: bigint): void {
  list.forEach((a, i) => {
    const ip = parseIp(a);
    expect(ip).not.toBeNull();
    expect(ip!.value).toBe(first + BigInt(i));
  });
}

const v4Value = fc.bigInt({ min: 0n, max: MAX_V4 });
const v6Value = fc.bigInt({ min: 0n, max: MAX_V6 });
// ::ffff:0:0/96 (IPv4-mapped) is refused by design; keep generated IPv6 ranges clear of it.
const notMapped = (v: bigint): boolean => v >> 32n !== 0xffffn;

describe('range expansion (properties)', () => {
  it('IPv4 a-b: b-a+1 addresses, in order, inclusive of both ends', () => {
    fc.assert(
      fc.property(v4Value, fc.integer({ min: 0, max: 200 }), (start, span) => {
        const first = start > MAX_V4 - BigInt(span) ? MAX_V4 - BigInt(span) : start;
        const last = first + BigInt(span);
        const r = range(`${v4(first)}-${v4(last)}`);
        const list = expandRange(r);
        expect(list).toHaveLength(span + 1);
        expect(rangeSize(r)).toBe(BigInt(span + 1));
        expect(list[0]).toBe(v4(first));
        expect(list[list.length - 1]).toBe(v4(last));
        assertConsecutive(list, first);
      }),
    );
  });

  it('IPv6 a-b: same, across group boundaries and up to ffff…ffff', () => {
    fc.assert(
      fc.property(v6Value, fc.integer({ min: 0, max: 200 }), (start, span) => {
        const first = start > MAX_V6 - BigInt(span) ? MAX_V6 - BigInt(span) : start;
        const last = first + BigInt(span);
        fc.pre(notMapped(first) && notMapped(last));
        const list = expandRange(range(`${v6(first)}-${v6(last)}`));
        expect(list).toHaveLength(span + 1);
        expect(list[list.length - 1]).toBe(v6(last));
        assertConsecutive(list, first);
      }),
    );
  });

  it('a CIDR expands to 2^(bits-prefix) addresses and equals the a-b range of its ends', () => {
    fc.assert(
      fc.property(fc.boolean(), v6Value, fc.integer({ min: 0, max: 10 }), (isV4, raw, hostBits) => {
        const bits = isV4 ? 32 : 128;
        const prefix = bits - hostBits;
        const value = isV4 ? raw & MAX_V4 : raw;
        const base = (value >> BigInt(hostBits)) << BigInt(hostBits);
        const end = base + (1n << BigInt(hostBits)) - 1n;
        const fmt = isV4 ? v4 : v6;
        fc.pre(isV4 || (notMapped(base) && notMapped(end)));
        const cidr = expandRange(range(`${fmt(base)}/${prefix}`));
        expect(cidr).toHaveLength(2 ** hostBits);
        expect(cidr).toEqual(expandRange(range(`${fmt(base)}-${fmt(end)}`)));
      }),
    );
  });

  it('/32 and /128 are exactly the one address', () => {
    fc.assert(
      fc.property(v4Value, v6Value, (a, b) => {
        fc.pre(notMapped(b));
        expect(expandRange(range(`${v4(a)}/32`))).toEqual([v4(a)]);
        expect(expandRange(range(`${v6(b)}/128`))).toEqual([v6(b)]);
      }),
    );
  });

  it('edges: the first and last addresses of each family, and the limit', () => {
    expect(expandRange(range('0.0.0.0-0.0.0.1'))).toEqual(['0.0.0.0', '0.0.0.1']);
    expect(expandRange(range('255.255.255.254/31'))).toEqual(['255.255.255.254', '255.255.255.255']);
    expect(expandRange(range('::/127'))).toEqual(['::', '::1']);
    expect(expandRange(range('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'))).toEqual([
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe',
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ]);
    expect(expandRange(range('fd00::ffff-fd00::1:1'))).toEqual(['fd00::ffff', 'fd00::1:0', 'fd00::1:1']);
    expect(rangeSize(range('0.0.0.0/0'))).toBe(1n << 32n);
    expect(rangeSize(range('::/0'))).toBe(1n << 128n);
    expect(expandRange(range('127.0.0.0/16'))).toHaveLength(65536);
  });
});

const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));
const inner = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'.split(''));
const label = fc
  .tuple(alnum, fc.array(inner, { maxLength: 61 }), alnum, fc.boolean())
  .map(([a, mid, z, single]) => (single ? a : a + mid.join('') + z));
const validName = fc.array(label, { minLength: 1, maxLength: 6 }).map((ls) => ls.join('.')).filter((n) => n.length <= 253);

describe('host name syntax (properties)', () => {
  it('every RFC 1123 name is accepted, in any case (except those the resolver reads as addresses)', () => {
    fc.assert(
      fc.property(validName, (name) => {
        // SPEC "The hosts file": a name that is itself an address (`1.2.3.4`, `127.1`, `0x7f`, or
        // only digits and dots) is refused; test/unit/config/names-address.test.ts covers those.
        fc.pre(addressReading(name) === null && !/^[0-9.]+$/.test(name));
        expect(hostNameProblem(name)).toBeNull();
        expect(hostNameProblem(name.toUpperCase())).toBeNull();
      }),
    );
  });

  it('one forbidden character anywhere makes it invalid', () => {
    const bad = fc.constantFrom(' ', '\t', '#', '_', '/', ':', '\u0000', '\u0001', '\u007f', 'é', 'ü', '\u200b', '😀', '*', '@');
    fc.assert(
      fc.property(validName, bad, fc.nat(), (name, c, at) => {
        const i = at % (name.length + 1);
        expect(hostNameProblem(name.slice(0, i) + c + name.slice(i))).not.toBeNull();
      }),
    );
  });

  it('labels over 63 characters, names over 253, empty labels and edge hyphens are invalid', () => {
    fc.assert(
      fc.property(validName, fc.integer({ min: 64, max: 300 }), (name, n) => {
        expect(hostNameProblem(`${'a'.repeat(n)}.${name}`)).not.toBeNull();
        expect(hostNameProblem(`${name}..x`)).not.toBeNull();
        expect(hostNameProblem(`-${name}`)).not.toBeNull();
        expect(hostNameProblem(`${name}-`)).not.toBeNull();
        expect(hostNameProblem(`${name}.${'a.'.repeat(127)}b`)).not.toBeNull();
      }),
    );
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const r = hostNameProblem(s);
        expect(r === null || typeof r === 'string').toBe(true);
      }),
    );
  });
});
