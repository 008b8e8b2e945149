import { canonicalIp, parseCidr, formatCidr, isAllowedAlias, cidrSize, compareIps } from '../../src/net/ip';

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
