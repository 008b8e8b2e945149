import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { netmaskPrefix, parseIfconfig, type IfconfigInterface } from '../../../src/platform/ifconfig';
import { parseIpJson } from '../../../src/platform/ipjson';
import { corpusPath, describeCorpus } from '../../helpers/corpus';

const FIXTURES = resolve(__dirname, '..', '..', 'fixtures');
const fixture = (dir: string, f: string) => readFileSync(resolve(FIXTURES, dir, f), 'utf8');
const read = (dir: string, f: string) => readFileSync(corpusPath(dir, f), 'utf8');
const byName = (list: IfconfigInterface[], name: string) => list.find((i) => i.name === name)!;
const addrs = (i: IfconfigInterface) => i.addresses.map((a) => `${a.address}/${a.prefixLength}`);

const LO0_DEFAULT = ['127.0.0.1/8', '::1/128', 'fe80::1/64'];

describe('parseIfconfig on the project\'s fixtures (test/fixtures/ifconfig)', () => {
  const cases: [string, string[], Record<string, string[]>][] = [
    ['freebsd-lo0-aliases-8space', ['em0', 'lo0', 'tun0', 'vlan0'], {
      em0: ['198.51.100.7/24', '198.51.100.8/32'],
      lo0: ['::1/128', 'fe80::1/64', '127.0.0.1/8', '127.0.0.2/32', '127.0.0.3/32'],
      tun0: ['203.0.113.9/32'], // "A --> B netmask": the local end
      vlan0: ['fe80::211:aff:fe59:6790/64', '192.168.192.2/24'],
    }],
    ['freebsd12-cidr-5space', ['ix0', 'lo0'], {
      ix0: ['10.10.2.101/24', 'fe80::225:90ff:feaa:bbcc/64', '2001:db8:1026::130/64'],
      lo0: ['127.0.0.1/8', '127.0.0.5/32', '::1/128'],
    }],
    ['linux-net-tools-2', ['ens33', 'lo'], {
      ens33: ['192.168.71.131/24', 'fe80::20c:29ff:fe99:4517/64'],
      lo: ['127.0.0.1/8', '::1/128'],
    }],
    ['macos-2space-indent-crlf', ['lo0', 'en0'], { lo0: ['::1/128', 'fe80::1/64', '127.0.0.1/8', '127.0.0.4/32'], en0: [] }],
    ['macos-legacy-trailing-spaces', ['lo0', 'en1', 'p2p0'], {
      lo0: ['::1/128', '127.0.0.1/8', 'fe80::1/64'],
      en1: ['fe80::62c5:47ff:fe00:1122/64', '10.20.30.40/22'],
      p2p0: [],
    }],
    // A non-127 alias added without a netmask shows the classful /8.
    ['macos-lo0-alias-classful', ['lo0'], { lo0: [...LO0_DEFAULT, '10.254.254.254/8'] }],
    ['macos-lo0-aliases', ['lo0', 'gif0', 'stf0', 'en0', 'utun0', 'bridge0'], {
      lo0: [...LO0_DEFAULT, '127.0.0.2/8', '127.0.0.3/32', '10.254.254.254/8', 'fd00::2/128'],
      gif0: [],
      stf0: [],
      en0: ['fe80::10c3:a1ff:fe00:1/64', '192.168.1.23/24', '2001:db8:40::1c/64', '2001:db8:40::9f3e/64'],
      utun0: ['fe80::a4c3:1b2d:9e8f:7a6b/64'],
      bridge0: [],
    }],
    ['macos-lo0-down', ['lo0'], { lo0: ['127.0.0.1/8', '127.0.0.2/32'] }],
    ['macos-mixed-ptp-ctrl-byte', ['lo0', 'en0.1', 'utun2', 'utun3', 'llw0', 'ib0'], {
      lo0: LO0_DEFAULT,
      'en0.1': ['0.0.0.0/8'],
      utun2: ['10.16.132.213/23'],
      utun3: ['2001:db8:cafe::132:213/128'],
      llw0: ['fe80::2cba:e4ff:fe83:4bb7/64'],
      ib0: [],
    }],
    // Redacted, out-of-range, wrong-family and /33 addresses are dropped; a mask with holes
    // keeps the address with an unknown prefix.
    ['redacted-and-invalid', ['fxp0', 'lo0'], { fxp0: ['10.0.0.1/null'], lo0: ['127.0.0.1/8'] }],
  ];

  it.each(cases)('%s', (file, names, expected) => {
    const parsed = parseIfconfig(fixture('ifconfig', file));
    expect(parsed.map((i) => i.name)).toEqual(names);
    for (const [name, list] of Object.entries(expected)) expect(addrs(byName(parsed, name))).toEqual(list);
  });

  it('covers every ifconfig fixture', () => {
    const tested = new Set([...cases.map((c) => c[0]), 'linux-old-net-tools']);
    expect(readdirSync(resolve(FIXTURES, 'ifconfig')).filter((f) => !tested.has(f))).toEqual([]);
  });

  it('reads UP and the flags from the header (none for "flags=0<>")', () => {
    const parsed = parseIfconfig(fixture('ifconfig', 'macos-lo0-aliases'));
    expect(byName(parsed, 'lo0')).toMatchObject({ up: true, flags: ['UP', 'LOOPBACK', 'RUNNING', 'MULTICAST'] });
    expect(byName(parsed, 'gif0')).toMatchObject({ up: false, flags: ['POINTOPOINT', 'MULTICAST'] });
    expect(byName(parsed, 'stf0')).toMatchObject({ up: false, flags: [] });
    expect(parseIfconfig(fixture('ifconfig', 'macos-lo0-down'))[0]).toMatchObject({ name: 'lo0', up: false, flags: ['LOOPBACK', 'RUNNING', 'MULTICAST'] });
  });

  it('keeps the zone of a link-local address apart from the address', () => {
    const parsed = parseIfconfig(fixture('ifconfig', 'macos-lo0-aliases'));
    expect(byName(parsed, 'lo0').addresses.find((a) => a.address === 'fe80::1')).toEqual({ family: 6, address: 'fe80::1', prefixLength: 64, zone: 'lo0' });
    expect(byName(parsed, 'utun0').addresses[0]!.zone).toBe('utun0');
    expect(byName(parseIfconfig(fixture('ifconfig', 'freebsd12-cidr-5space')), 'ix0').addresses[1]).toEqual({ family: 6, address: 'fe80::225:90ff:feaa:bbcc', prefixLength: 64, zone: 'ix0' });
  });

  it('finds nothing in the old net-tools shape it does not claim to read (no crash, no invented addresses)', () => {
    expect(parseIfconfig(fixture('ifconfig', 'linux-old-net-tools'))).toEqual([]);
  });
});

describeCorpus('parseIfconfig on every BSD/macOS capture', () => {
  const cases: [string, string[], Record<string, string[]>][] = [
    ['debian-kfreebsd.facter', ['em0', 'em1', 'bge0', 'bge1', 'lo0', 'vlan0'], {
      lo0: ['::1/128', 'fe80::1/64', '127.0.0.1/8'],
      em1: ['fe80::211:aff:fe59:6791/64', '192.168.10.10/24'],
      bge0: [],
      vlan0: ['fe80::211:aff:fe59:6790/64', '192.168.192.2/24'],
    }],
    // Redacted "x.x.58.26" addresses are not addresses: dropped, never guessed at.
    ['freebsd-6.0-aliases-redacted.facter', ['fxp0', 'lo0'], { fxp0: [], lo0: ['127.0.0.1/8'] }],
    ['freebsd-amd64-lo0-aliases-0xffffffff.pod', ['fwe0', 'vr0', 'nfe0', 'plip0', 'lo0', 'tun0'], {
      lo0: ['::1/128', 'fe80::1/64', '127.0.0.1/8', '127.0.0.2/32', '127.0.0.3/32'],
      vr0: ['fe8d::2500:bafd:fecd:cdcd/64', '19.16.12.52/24'],
      tun0: ['83.173.73.3/32'],
    }],
    ['freebsd12-cidr-inet.jc', ['ix0'], { ix0: ['10.10.2.101/24'] }],
    ['freebsd12-extra-fields-5space.jc', ['cxl3'], { cxl3: [] }],
    ['freebsd12-options-no-hex.jc', ['mce0'], {
      mce0: ['23.246.26.130/25', 'fe80::e42:a1ff:fe2b:374/64', '2a00:86c0:1026:1026::130/64'],
    }],
    ['linux-ubuntu-18.04-net-tools.jc', ['ens33', 'lo'], {
      ens33: ['192.168.71.131/24', 'fe80::20c:29ff:fe99:4517/64'],
      lo: ['127.0.0.1/8', '::1/128'],
    }],
    ['macos-10.11.6-ifconfig-a-2.jc', ['lo0', 'gif0', 'stf0', 'en0', 'en1', 'p2p0', 'bridge0'], {
      lo0: ['::1/128', '127.0.0.1/8', 'fe80::1/64'],
      en0: ['fe80::62c5:47ff:fe0a:ce0b/64', '192.168.1.65/24', '2600:1700:bab0:d40:62c5:47ff:fe0a:ce0b/64',
        '2600:1700:bab0:d40:ad4b:19b2:2ce5:9a1b/64', '2600:1700:bab0:d40::2b/64'],
      bridge0: [],
    }],
    ['macos-10.11.6-ifconfig-a.jc', ['lo0', 'gif0', 'stf0', 'en0', 'en1', 'p2p0', 'bridge0'], {
      lo0: ['::1/128', '127.0.0.1/8', 'fe80::1/64'],
      en0: ['fe80::6aa8:6dff:fe12:f575/64', '2600:1700:bab0:d40:6aa8:6dff:fe12:f575/64',
        '2600:1700:bab0:d40:c0d1:97f7:a613:3ed3/64', '192.168.1.81/24', '2600:1700:bab0:d40::26/64'],
    }],
    ['macos-10.14.6-ifconfig-a-bridge.jc', [], { lo0: LO0_DEFAULT, en0: [
      'fe80::4dd:cbd7:2743:da63/64', '192.168.1.221/24', '2600:1700:bab0:d40:1874:4566:6499:f3d1/64',
      '2600:1700:bab0:d40:30d4:c067:a56d:5888/64', '2600:1700:bab0:d40:342e:1ac7:8bdb:6c3d/64',
      '2600:1700:bab0:d40:fdd1:e943:edd4:5187/64', '2600:1700:bab0:d40::39/64'] }],
    ['macos-10.14.6-ifconfig-a.jc', [], { lo0: LO0_DEFAULT, utun0: ['fe80::cec:23d0:8cf7:c88e/64'], utun1: ['fe80::cf42:647e:9077:7bcb/64'], gif0: [] }],
    ['macos-10.5.5-leopard.facter', ['lo0', 'gif0', 'stf0', 'en0', 'fw0', 'en1', 'vmnet8', 'vmnet1'], {
      lo0: ['fe80::1/64', '127.0.0.1/8', '::1/128'],
      vmnet1: ['192.168.89.1/24'],
    }],
    ['macos-10.6.6-dualstack.facter', ['lo0', 'en0'], { lo0: LO0_DEFAULT, en0: [] }],
    ['macos-10.8.5-no-trailing-space.facter', [], { lo0: ['fe80::1/64', '127.0.0.1/8', '::1/128'], en0: ['fe80::2acf:e9ff:fe1a:8a2d/64', '10.16.141.17/22'] }],
    ['macos-2space-indent.facter', ['lo0', 'gif0', 'stf0', 'en0', 'en1', 'fw0'], {
      lo0: ['::1/128', 'fe80::1/64', '127.0.0.1/8'],
      en1: ['fe80::211:33ff:fe22:5544/64', '131.252.246.129/23'],
    }],
    // A non-127 alias on lo0 with the "wrong" netmask a user gave it.
    ['macos-catalina-lo0-alias-10.254.254.254.readme', ['lo0'], { lo0: [...LO0_DEFAULT, '10.254.254.254/8'] }],
    ['macos-facter4-ifconfig-mixed', [], {
      lo0: LO0_DEFAULT,
      'en0.1': ['0.0.0.0/8'],
      utun2: ['10.16.132.213/23'],
      utun3: ['2001:db8:cafe::132:213/128'],
      llw0: ['fe80::2cba:e4ff:fe83:4bb7/64'],
      ib0: [],
    }],
  ];

  it.each(cases)('%s', (file, names, expected) => {
    const parsed = parseIfconfig(read('ifconfig', file));
    if (names.length > 0) expect(parsed.map((i) => i.name)).toEqual(names);
    for (const [name, list] of Object.entries(expected)) expect(addrs(byName(parsed, name))).toEqual(list);
  });

  it('covers every ifconfig capture in the corpus', () => {
    const tested = new Set(cases.map((c) => c[0]));
    const files = readdirSync(corpusPath('ifconfig')).filter((f) => !f.startsWith('linux-old'));
    expect(files.filter((f) => !tested.has(f))).toEqual([]);
  });

  it('reads UP and the flags from the header', () => {
    const parsed = parseIfconfig(read('ifconfig', 'macos-10.11.6-ifconfig-a.jc'));
    expect(byName(parsed, 'lo0')).toMatchObject({ up: true, flags: ['UP', 'LOOPBACK', 'RUNNING', 'MULTICAST'] });
    expect(byName(parsed, 'gif0')).toMatchObject({ up: false, flags: ['POINTOPOINT', 'MULTICAST'] });
    expect(byName(parsed, 'stf0')).toMatchObject({ up: false, flags: [] });
  });

  it('keeps the zone of a link-local address apart from the address', () => {
    const lo0 = byName(parseIfconfig(read('ifconfig', 'macos-10.6.6-dualstack.facter')), 'lo0');
    expect(lo0.addresses.find((a) => a.address === 'fe80::1')).toEqual({ family: 6, address: 'fe80::1', prefixLength: 64, zone: 'lo0' });
  });

  it('finds nothing in the old net-tools shape it does not claim to read (no crash, no invented addresses)', () => {
    expect(parseIfconfig(read('ifconfig', 'linux-old-net-tools-venet-multiple-127.facter'))).toEqual([]);
  });
});

describe('parseIfconfig on lo0 with loopkeeper aliases', () => {
  const LO0 = [
    'lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384',
    '\toptions=1203<RXCSUM,TXCSUM,TXSTATUS,SW_TIMESTAMP>',
    '\tinet 127.0.0.1 netmask 0xff000000 ',
    '\tinet6 ::1 prefixlen 128 ',
    '\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x1 ',
    '\tinet 127.0.0.2 netmask 0xff000000 ',
    '\tinet 127.0.0.3 netmask 0xffffffff',
    '\tinet6 fd00::2 prefixlen 128 ',
    '\tinet6 FD00:0:0::0003 prefixlen 128',
    '\tnd6 options=201<PERFORMNUD,DAD>',
  ].join('\n');

  it('lists every alias, canonical, with its prefix length', () => {
    const [lo0] = parseIfconfig(LO0);
    expect(addrs(lo0!)).toEqual(['127.0.0.1/8', '::1/128', 'fe80::1/64', '127.0.0.2/8', '127.0.0.3/32', 'fd00::2/128', 'fd00::3/128']);
  });

  it('reads a down lo0 as not up', () => {
    const [lo0] = parseIfconfig('lo0: flags=8048<LOOPBACK,RUNNING,MULTICAST> mtu 16384\n\tinet 127.0.0.1 netmask 0xff000000\n');
    expect(lo0).toMatchObject({ name: 'lo0', up: false, addresses: [{ family: 4, address: '127.0.0.1', prefixLength: 8 }] });
  });

  it('accepts CRLF, 2-space and tab indents, and trailing "alias" words', () => {
    const text = 'lo0: flags=8049<UP,LOOPBACK> mtu 16384\r\n  inet 127.0.0.4 netmask 0xffffffff alias\r\n\tinet 127.0.0.5/32\r\n';
    expect(addrs(parseIfconfig(text)[0]!)).toEqual(['127.0.0.4/32', '127.0.0.5/32']);
  });
});

describe('parseIfconfig on broken, hostile and huge input', () => {
  it('drops addresses that are not strict IPs, masks that make no sense and lines out of place', () => {
    const text = [
      '\tinet 127.0.0.9 netmask 0xffffffff', // before any interface
      'lo0: flags=8049<UP,LOOPBACK> mtu 16384',
      '\tinet 0127.0.0.2 netmask 0xffffffff',
      '\tinet 127.1 netmask 0xffffffff',
      '\tinet 127.0.0.2 netmask 0xff00ff00',
      '\tinet 127.0.0.3/33',
      '\tinet6 fd00::2%',
      '\tinet6 127.0.0.4 prefixlen 128',
      '\tinet fd00::5 netmask 0xffffffff',
      '\tinet6 fd00::6 prefixlen 999',
      '\tinet',
      '\tinet6',
      'garbage without a colon',
      '\tinet 127.0.0.7 netmask 0xffffffff',
    ].join('\n');
    const [lo0] = parseIfconfig(text);
    expect(lo0!.addresses).toEqual([
      { family: 4, address: '127.0.0.2', prefixLength: null },
      { family: 6, address: 'fd00::2', prefixLength: null },
      { family: 6, address: 'fd00::6', prefixLength: null },
    ]);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const out = parseIfconfig(s);
        expect(Array.isArray(out)).toBe(true);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom('lo0: flags=8049<UP> mtu 1', '\tinet ', '127.0.0.2', ' netmask ', '0xffffffff', '\n', '%', '/', 'inet6 ', '::1', ' prefixlen ', '128', '\t'), { maxLength: 60 }), (parts) => {
        for (const i of parseIfconfig(parts.join(''))) for (const a of i.addresses) expect(typeof a.address).toBe('string');
      }),
      { numRuns: 500 },
    );
  });

  it('parses 65,536 aliases in one pass', () => {
    const lines = ['lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384'];
    for (let i = 0; i < 65536; i++) lines.push(`\tinet 127.1.${i >> 8}.${i & 255} netmask 0xffffffff `);
    const [lo0] = parseIfconfig(lines.join('\n'));
    expect(lo0!.addresses.length).toBe(65536);
    expect(lo0!.addresses[65535]).toEqual({ family: 4, address: '127.1.255.255', prefixLength: 32 });
  });

  it('netmaskPrefix reads hex and dotted masks and rejects holes', () => {
    expect(netmaskPrefix('0xffffffff')).toBe(32);
    expect(netmaskPrefix('0xff000000')).toBe(8);
    expect(netmaskPrefix('0x0')).toBe(0);
    expect(netmaskPrefix('255.255.254.0')).toBe(23);
    expect(netmaskPrefix('255.0.255.0')).toBeNull();
    expect(netmaskPrefix('0xfffffffff')).toBeNull();
    expect(netmaskPrefix('nope')).toBeNull();
  });
});

describe('parseIpJson (ip -j addr) on the project\'s captures (test/fixtures/ip)', () => {
  const ALIASES = ['127.0.0.1/8', '127.0.0.2/32', '10.254.254.254/32', '127.0.0.53/8', 'fd00:0:0:1::a/128', 'fd00::2/128', '::1/128'];

  it('reads a fresh lo, compact and pretty-printed', () => {
    for (const f of ['lo-default.json', 'lo-default-pretty.json']) {
      expect(parseIpJson(fixture('ip', f))).toEqual([
        { name: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], up: true, label: { '127.0.0.1': 'lo' }, addresses: [
          { family: 4, address: '127.0.0.1', prefixLength: 8 },
          { family: 6, address: '::1', prefixLength: 128 },
        ] },
      ]);
    }
  });

  it('reads lo with aliases, a label and IPv6 (canonical), compact and pretty-printed alike', () => {
    for (const f of ['lo-aliases.json', 'lo-aliases-pretty.json']) {
      const [lo] = parseIpJson(fixture('ip', f));
      expect(lo).toMatchObject({ name: 'lo', up: true });
      expect(addrs(lo!)).toEqual(ALIASES);
      expect(lo!.label['127.0.0.53']).toBe('lo:dns');
      expect(lo!.label['fd00::2']).toBeUndefined(); // iproute2 gives IPv6 addresses no label
    }
    // The text form of the same capture lists the same addresses (what `ip addr` users see).
    const text = fixture('ip', 'lo-aliases.txt');
    expect([...text.matchAll(/^ {4}inet6? (\S+)/gm)].map((m) => m[1])).toEqual(ALIASES);
  });

  it('reads a down lo (its IPv6 addresses are gone, IPv4 aliases stay)', () => {
    const [lo] = parseIpJson(fixture('ip', 'lo-down-aliases.json'));
    expect(lo).toMatchObject({ name: 'lo', up: false, flags: ['LOOPBACK'] });
    expect(addrs(lo!)).toEqual(['127.0.0.1/8', '127.0.0.2/32', '10.254.254.254/32', '127.0.0.53/8']);
  });

  it('reads every interface of `ip -j addr show`, each with its own addresses', () => {
    const all = parseIpJson(fixture('ip', 'lo-veth-all.json'));
    expect(all.map((i) => i.name)).toEqual(['lo', 'veth1', 'veth0']);
    expect(addrs(byName(all, 'lo'))).toEqual(['127.0.0.1/8', '127.0.0.2/32', '::1/128']);
    expect(addrs(byName(all, 'veth0'))).toEqual(['192.0.2.10/24', '2001:db8::10/64', 'fe80::ac1c:b3ff:fe11:8f48/64']);
    expect(byName(all, 'veth1')).toMatchObject({ up: true, label: {} });
  });

  it('shows what the captured batches applied, and what a stopped batch did not', () => {
    const [lo] = parseIpJson(fixture('ip', 'lo-after-batches.json'));
    const have = new Set(lo!.addresses.map((a) => a.address));
    const { batches } = JSON.parse(fixture('ip', 'batches.json')) as { batches: { applied?: string[]; notApplied?: string[] }[] };
    for (const b of batches) {
      for (const a of b.applied ?? []) expect(have.has(a)).toBe(true);
      for (const a of b.notApplied ?? []) expect(have.has(a)).toBe(false);
    }
  });

  it('skips what is not an interface or an address, and throws on text that is not JSON', () => {
    expect(parseIpJson('{}')).toEqual([]);
    expect(parseIpJson('[1, null, {"ifname": 3}, {"ifname": "lo", "addr_info": [{"family": "inet", "local": "x"}, {"family": "packet", "local": "127.0.0.2"}, 7]}]')).toEqual([
      { name: 'lo', flags: [], up: false, addresses: [], label: {} },
    ]);
    expect(() => parseIpJson(fixture('ip', 'lo-aliases.txt'))).toThrow(SyntaxError);
  });
});

describeCorpus('parseIpJson (ip -j addr) on the corpus captures', () => {
  it('reads lo with aliases, labels and IPv6', () => {
    for (const f of ['lo-aliases.json', 'lo-aliases-pretty.json']) {
      const [lo] = parseIpJson(read('ip', f));
      expect(lo).toMatchObject({ name: 'lo', up: true });
      expect(addrs(lo!)).toEqual(['127.0.0.1/8', '127.0.0.2/32', '10.254.254.254/32', '127.0.0.3/8', 'fd00::2/128', '::1/128']);
      expect(lo!.label['127.0.0.3']).toBe('lo:app');
    }
  });

  it('reads a down lo (its IPv6 addresses are gone, IPv4 aliases stay)', () => {
    const [lo] = parseIpJson(read('ip', 'lo-down-aliases.json'));
    expect(lo).toMatchObject({ name: 'lo', up: false, flags: ['LOOPBACK'] });
    expect(addrs(lo!)).toEqual(['127.0.0.1/8', '127.0.0.2/32', '10.254.254.254/32', '127.0.0.3/8']);
  });
});
