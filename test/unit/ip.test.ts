import { isIPv4, isIPv6 } from 'node:net';
import * as fc from 'fast-check';
import { canonicalIp, parseCidr, formatCidr, isAllowedAlias, cidrSize, compareIps, isIpv6Text, ipv4Value, parseIp, formatIp } from '../../src/net/ip';

describe('strict address parsing', () => {
  it.each([
    ['127.0.0.2', '127.0.0.2'],
    ['FD00::0002', 'fd00::2'],
    ['fd00:0:0:1:0:0:0:1', 'fd00:0:0:1::1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['::', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
  ])('%s is canonical %s', (input, out) => {
    expect(canonicalIp(input)).toBe(out);
  });
  it.each(['127.1', '0127.0.0.2', '127.0.0.02', '127.0.0.256', 'fe80::1%lo0', '', ' 127.0.0.2', '127.0.0.1/0', 'abcd'])(
    '%p is refused',
    (input) => {
      expect(canonicalIp(input)).toBeNull();
    },
  );
});

describe('CIDR', () => {
  it('clears host bits and measures size', () => {
    const c = parseCidr('127.0.2.9/28')!;
    expect(formatCidr(c)).toBe('127.0.2.0/28');
    expect(cidrSize(c)).toBe(16n);
    expect(parseCidr('fd00::/129')).toBeNull();
    expect(parseCidr('10.0.0.0/033')).toBeNull();
  });
  it('allows only loopback ranges unless extended', () => {
    expect(isAllowedAlias('127.9.9.9')).toBe(true);
    expect(isAllowedAlias('fd12::1')).toBe(true);
    expect(isAllowedAlias('10.0.0.2')).toBe(false);
    expect(isAllowedAlias('::ffff:127.0.0.2')).toBe(false);
    expect(isAllowedAlias('10.0.0.2', ['10.0.0.0/24'])).toBe(true);
  });
  it('orders IPv4 before IPv6, numerically', () => {
    expect(['fd00::1', '127.0.0.10', '127.0.0.9'].sort(compareIps)).toEqual(['127.0.0.9', '127.0.0.10', 'fd00::1']);
  });
});

describe('isIpv6Text answers as node:net isIPv6 does (without zones)', () => {
  // The oracle: node's own validator. isIpv6Text exists only because that one is slow to start.
  const oracle = (s: string): boolean => isIPv6(s) && !s.includes('%');
  const hex = fc.constantFrom(...'0123456789abcdefABCDEF'.split(''));
  const group = fc.array(hex, { minLength: 1, maxLength: 5 }).map((cs) => cs.join(''));
  const octet = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 255 }).map(String) }, fc.constantFrom('256', '01', '00', '1000', ''));
  const v4 = fc.oneof(fc.array(octet, { minLength: 4, maxLength: 4 }), fc.array(octet, { minLength: 3, maxLength: 5 })).map((os) => os.join('.'));
  /** 6-9 groups, optionally a dotted tail, optionally a run of them replaced by `::`. */
  const structured = fc
    .record({
      groups: fc.array(group, { minLength: 5, maxLength: 9 }),
      tail: fc.option(v4),
      compress: fc.option(fc.tuple(fc.nat(), fc.nat())),
    })
    .map(({ groups, tail, compress }) => {
      const parts = tail === null ? groups : [...groups.slice(0, -2), tail];
      if (compress === null) return parts.join(':');
      const from = compress[0] % (parts.length + 1);
      const to = from + (compress[1] % (parts.length - from + 1));
      return `${parts.slice(0, from).join(':')}::${parts.slice(to).join(':')}`;
    });
  /** A structured address with one character inserted, removed or replaced. */
  const mutated = fc
    .tuple(structured, fc.nat(), fc.constantFrom(':', '.', '0', 'f', 'g', ' ', '::', ''), fc.boolean())
    .map(([s, at, c, replace]) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + c + s.slice(replace ? i + 1 : i);
    });
  const noise = fc.array(fc.constantFrom(...'0123456789abcdefABCDEF:.:::'.split(''), 'x', '%'), { maxLength: 45 }).map((cs) => cs.join(''));

  it.each(['::', '::1', '1::', '::ffff:1.2.3.4', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5::1.2.3.4', 'FD00::0002'])('%s is IPv6', (s) => {
    expect(isIpv6Text(s)).toBe(true);
    expect(oracle(s)).toBe(true);
  });
  it.each([':', ':::', '1:::2', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:', '1:2:3:4:5:6:7:8:9', '1.2.3.4::', '1.2.3.4::1', '::1.2.3.4:1', '1:2:3:4:5:6::1.2.3.4', '::01.2.3.4', '12345::', 'fe80::1%lo0', '', ' ::1', '1::2::3'])(
    '%p is not',
    (s) => {
      expect(isIpv6Text(s)).toBe(false);
      expect(oracle(s)).toBe(false);
    },
  );
  it('agrees on generated addresses, near-addresses and noise', () => {
    fc.assert(
      fc.property(fc.oneof(structured, mutated, noise), (s) => {
        expect(isIpv6Text(s)).toBe(oracle(s));
      }),
      { numRuns: 20000 },
    );
  });
  it('reads the value the WHATWG URL parser reads (its canonical text is RFC 5952 too)', () => {
    fc.assert(
      fc.property(fc.oneof(structured, mutated), (s) => {
        const ip = parseIp(s);
        if (ip === null) return;
        expect(ip.family).toBe(6);
        expect(formatIp(ip)).toBe(new URL(`http://[${s}]/`).hostname.slice(1, -1));
      }),
      { numRuns: 20000 },
    );
  });
});

describe('ipv4Value answers as node:net isIPv4 does', () => {
  const octet = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 255 }).map(String) }, fc.constantFrom('256', '01', '00', '007', '1000', '', '-1', '1e2', ' 1', '+1'));
  const dotted = fc.oneof(fc.array(octet, { minLength: 4, maxLength: 4 }), fc.array(octet, { minLength: 2, maxLength: 6 })).map((os) => os.join('.'));
  const noise = fc.array(fc.constantFrom(...'0123456789..'.split(''), 'a', ':'), { maxLength: 18 }).map((cs) => cs.join(''));
  it('on generated quads, near-quads and noise, with the same value', () => {
    fc.assert(
      fc.property(fc.oneof(dotted, noise), (s) => {
        const v = ipv4Value(s);
        expect(v !== null).toBe(isIPv4(s));
        if (v !== null) {
          expect(v).toBe(s.split('.').reduce((acc, p) => acc * 256 + Number(p), 0));
          expect(formatIp({ family: 4, value: BigInt(v) })).toBe(s);
        }
      }),
      { numRuns: 20000 },
    );
  });
  it.each(['0.0.0.0', '255.255.255.255', '127.0.0.1'])('%s is IPv4', (s) => expect(ipv4Value(s)).not.toBeNull());
  it.each(['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..2.3', '1.2.3.4.', '.1.2.3.4', '1.2.3.-4', '１.2.3.4'])('%p is not', (s) =>
    expect(ipv4Value(s)).toBeNull(),
  );
});
