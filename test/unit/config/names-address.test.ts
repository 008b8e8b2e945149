// SPEC "The hosts file": a host name must not itself be an address. glibc's getaddrinfo() reads
// the name with inet_aton()/inet_pton() before any lookup, so such a name is never looked up in
// the file (measured with getent in a namespace: `127.1`, `0x7f.1`, `1234` resolve to the
// address they spell, not to the hosts line); gethostbyname() does the same for any name of only
// digits and dots (`1.2.3.4.5`, `08.1`).
import { addressReading, hostNameProblem } from '../../../src/config/names';
import { problems } from './helpers';

describe('a host name that is an address', () => {
  it.each([
    ['1.2.3.4', 'IPv4', '1.2.3.4'],
    ['127.1', 'IPv4', '127.0.0.1'],
    ['2130706433', 'IPv4', '127.0.0.1'],
    ['0x7f.1', 'IPv4', '127.0.0.1'],
    ['0X7F.0.0.1', 'IPv4', '127.0.0.1'],
    ['017.1.1', 'IPv4', '15.1.0.1'],
    ['1234', 'IPv4', '0.0.4.210'],
    ['::1', 'IPv6', '::1'],
    ['fd00::2', 'IPv6', 'fd00::2'],
    ['FD00::2', 'IPv6', 'FD00::2'],
    ['fe80::1%lo', 'IPv6', 'fe80::1%lo'],
  ])('%s is read as an %s address', (name, family, reads) => {
    expect(addressReading(name)).toEqual({ family, reads });
    expect(hostNameProblem(name)).toMatch(new RegExp(`^is itself an ${family} address`));
    expect(hostNameProblem(name)).toMatch(/never looks it up in the hosts file; use a name such as db\.myteam\.test/);
  });

  it.each(['1.2.3.4.5', '08.1', '256.1.1.1', '1.2.3.256', '4294967296'])('%s (digits and dots only) is refused too', (name) => {
    expect(addressReading(name)).toBeNull();
    expect(hostNameProblem(name)).toMatch(/has only digits and dots, so resolvers take it for an address/);
  });

  it.each(['0x7g', '0x', '1a.test', '123.test', 'a1.2', 'x1234', '0xab.test', 'db.myteam.test'])('%s is a name', (name) => {
    expect(addressReading(name)).toBeNull();
    expect(hostNameProblem(name)).toBeNull();
  });

  it('is refused by config validation at the key, with the message (IPv4, IPv6, an inet_aton form)', async () => {
    expect(await problems('version: 1\nhosts:\n  1.2.3.4: 127.0.0.2\n  "::1": 127.0.0.2\n  127.1: 127.0.0.3\n  ok.test: 127.0.0.2\n')).toEqual([
      '3:3 error: host name "1.2.3.4" is itself an IPv4 address, so the resolver never looks it up in the hosts file; use a name such as db.myteam.test and map it to the address',
      '4:3 error: host name "::1" is itself an IPv6 address, so the resolver never looks it up in the hosts file; use a name such as db.myteam.test and map it to the address',
      '5:3 error: host name "127.1" is itself an IPv4 address (the C library reads it as 127.0.0.1), so the resolver never looks it up in the hosts file; use a name such as db.myteam.test and map it to the address',
    ]);
  });
});
