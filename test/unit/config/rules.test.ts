// Every config rule: a config that passes it, and one that breaks it, reported at the exact
// LINE:COL of the offending YAML node with a message that names the value and the way out.
import { DEFAULT_SETTINGS } from '../../../src/model';
import { brief, load, loadMany, problems } from './helpers';

const V = 'version: 1\n';

describe('a minimal valid config', () => {
  it('gives an empty desired state with the default settings', async () => {
    const r = await load(V);
    expect(r.diagnostics).toEqual([]);
    expect(r.desired).toEqual({ aliases: [], hosts: [], settings: DEFAULT_SETTINGS });
  });
  it('accepts JSON, which is YAML', async () => {
    const r = await load('{"version": 1, "aliases": ["127.0.0.2"], "hosts": {"a.test": "127.0.0.2"}}');
    expect(r.diagnostics).toEqual([]);
    expect(r.desired?.aliases).toEqual(['127.0.0.2']);
  });
});

describe('unknown keys', () => {
  it('at the top level: names the key and the allowed keys, at the key', async () => {
    expect(await problems(`${V}aliasses: []\n`)).toEqual([
      '2:1 error: unknown key `aliasses` (did you mean `aliases`?); allowed keys: version, aliases, hosts, settings',
    ]);
  });
  it('in settings', async () => {
    expect(await problems(`${V}settings:\n  prune: true\n  pruen: false\n`)).toEqual([
      '4:3 error: unknown key `pruen` in settings (did you mean `prune`?); allowed keys: schedule, prune, allowAliasRanges, aliasesFromHosts',
    ]);
  });
  it('in an alias range entry (and no extra "missing range" noise)', async () => {
    expect(await problems(`${V}aliases:\n  - rnage: 127.0.0.0/30\n`)).toEqual([
      '3:5 error: unknown key `rnage` in an alias range entry (did you mean `range`?); allowed keys: range',
    ]);
  });
  it('with no near match: no suggestion', async () => {
    expect(await problems(`${V}colour: blue\n`)).toEqual(['2:1 error: unknown key `colour`; allowed keys: version, aliases, hosts, settings']);
  });
  it('a duplicate key is refused with both positions', async () => {
    expect(await problems(`${V}settings:\n  prune: true\n  prune: false\n`)).toEqual([
      '4:3 error: duplicate key `prune` (first at line 3, column 3); keep one',
    ]);
  });
});

describe('version', () => {
  it('must be 1', async () => {
    expect(await problems('version: 2\n')).toEqual(['1:10 error: `version` must be 1 (the only file format version), not the number 2']);
    expect(await problems('version: "1"\n')).toEqual(['1:10 error: `version` must be 1 (the only file format version), not the string "1"']);
  });
  it('is required', async () => {
    expect(await problems('aliases: [127.0.0.2]\n')).toEqual(['1:1 error: missing `version: 1` (the file format version)']);
  });
});

describe('types', () => {
  it('a boolean setting written as yes says why', async () => {
    expect(await problems(`${V}settings:\n  prune: yes\n`)).toEqual([
      '3:10 error: `settings.prune` must be true or false, not the string "yes" (YAML 1.2 reads yes/no/on/off as strings; write true or false)',
    ]);
  });
  it('an alias that YAML reads as a number (127.1)', async () => {
    expect(await problems(`${V}aliases:\n  - 127.1\n`)).toEqual([
      '3:5 error: `aliases[0]` must be an address (e.g. 127.0.0.2) or `range: FIRST-LAST | CIDR`, not the number 127.1 (an IPv4 address has four parts, e.g. 127.0.0.2)',
    ]);
  });
  it('a host without addresses', async () => {
    expect(await problems(`${V}hosts:\n  a.test: []\n  b.test:\n`)).toEqual([
      '3:11 error: host `a.test` needs at least one address',
      '4:3 error: host `b.test` must map to an address or a list of addresses, not an empty value',
    ]);
  });
  it('aliases must be a list and hosts a mapping', async () => {
    expect(await problems(`${V}aliases: 127.0.0.2\nhosts: [a]\n`)).toEqual([
      '2:10 error: `aliases` must be a list of addresses, not the string "127.0.0.2"',
      '3:8 error: `hosts` must be a mapping of host name to address(es), not a list',
    ]);
  });
});

describe('aliases', () => {
  it('are canonical, de-duplicated, in declared order, without 127.0.0.1 and ::1', async () => {
    const r = await load(`${V}aliases:\n  - 127.0.0.3\n  - 127.0.0.1\n  - ::1\n  - FD00:0::0002\n  - 127.0.0.2\n  - 127.0.0.3\n  - fd00::2\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.aliases).toEqual(['127.0.0.3', 'fd00::2', '127.0.0.2']);
  });
  it('outside the loopback ranges: names the allowed ranges and settings.allowAliasRanges', async () => {
    expect(await problems(`${V}aliases:\n  - 10.0.0.2\n`)).toEqual([
      '3:5 error: alias 10.0.0.2 is outside the ranges aliases may use (allowed: 127.0.0.0/8, fc00::/7); to allow it, add a block that contains it (e.g. 10.0.0.2/32) to settings.allowAliasRanges',
    ]);
  });
  it('allowed by settings.allowAliasRanges (declared in any file)', async () => {
    const r = await loadMany({ 'a.yaml': `${V}aliases: [10.99.0.7]\n`, 'b.yaml': `${V}settings:\n  allowAliasRanges: [10.99.0.0/24]\n` });
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.aliases).toEqual(['10.99.0.7']);
    expect(r.desired!.settings.allowAliasRanges).toEqual(['10.99.0.0/24']);
  });
  it.each([
    ['127.1', '`aliases[0]` must be an address'],
    ['"127.1"', 'alias `127.1` is not a valid IPv4 address: write four decimal numbers 0-255 without leading zeros (e.g. 127.0.0.2)'],
    ['0127.0.0.2', 'alias `0127.0.0.2` is not a valid IPv4 address'],
    ['::ffff:10.0.0.1', 'alias `::ffff:10.0.0.1` is an IPv4-mapped IPv6 address; write the IPv4 address 10.0.0.1 instead'],
    ['::ffff:127.0.0.2', 'alias `::ffff:127.0.0.2` is an IPv4-mapped IPv6 address; write the IPv4 address 127.0.0.2 instead'],
    ['127.0.0.1/0', 'alias `127.0.0.1/0` is a CIDR block, not an address; write `range: 127.0.0.1/0`'],
    ['127.0.0.2-127.0.0.5', 'alias `127.0.0.2-127.0.0.5` is a range, not an address; write `range: 127.0.0.2-127.0.0.5`'],
    ['fe80::1%lo0', 'alias `fe80::1%lo0` has a zone id'],
    ['localhost', 'alias `localhost` is not a valid IP address (e.g. 127.0.0.2 or fd00::2)'],
  ])('refuses %s at its position', async (alias, message) => {
    const out = await problems(`${V}aliases:\n  - ${alias}\n`);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^3:5 error: /);
    expect(out[0]).toContain(message);
  });
});

describe('ranges', () => {
  it('a-b and CIDR expand inclusively, IPv4 and IPv6', async () => {
    const r = await load(`${V}aliases:\n  - range: 127.0.1.254-127.0.2.1\n  - range: fd00::fe/127\n  - range: 127.0.0.0/30\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.aliases).toEqual(['127.0.1.254', '127.0.1.255', '127.0.2.0', '127.0.2.1', 'fd00::fe', 'fd00::ff', '127.0.0.0', '127.0.0.2', '127.0.0.3']);
  });
  it('exactly 65,536 is allowed; one more is refused naming the limit and the count', async () => {
    const ok = await load(`${V}aliases:\n  - range: 127.1.0.0/16\n`);
    expect(ok.diagnostics).toEqual([]);
    expect(ok.desired!.aliases).toHaveLength(65536);
    expect(await problems(`${V}aliases:\n  - range: 127.1.0.0-127.2.0.0\n`)).toEqual([
      '3:12 error: range `127.1.0.0-127.2.0.0` expands to 65,537 addresses; the limit is 65,536 per range (use a smaller block or split it)',
    ]);
    expect(await problems(`${V}aliases:\n  - range: fd00::/64\n`)).toEqual([
      '3:12 error: range `fd00::/64` expands to 18,446,744,073,709,551,616 addresses; the limit is 65,536 per range (use a smaller block or split it)',
    ]);
  });
  it('a range partly outside the allowed ranges names the first address outside', async () => {
    expect(await problems(`${V}aliases:\n  - range: 127.255.255.254-128.0.0.1\n`)).toEqual([
      '3:12 error: range `127.255.255.254-128.0.0.1` includes 128.0.0.0, which is outside the ranges aliases may use (allowed: 127.0.0.0/8, fc00::/7); to allow it, add a block that contains it (e.g. 128.0.0.0/32) to settings.allowAliasRanges',
    ]);
  });
  it.each([
    ['127.0.0.5-127.0.0.2', 'range `127.0.0.5-127.0.0.2` ends before it starts; write the lower address first'],
    ['127.0.0.2-fd00::2', 'range `127.0.0.2-fd00::2` mixes IPv4 and IPv6; both ends must be of one family'],
    ['127.0.0.0/33', 'range `127.0.0.0/33` is not a valid CIDR block'],
    ['127.0.0.2', 'range `127.0.0.2` must be FIRST-LAST (e.g. 127.0.1.10-127.0.1.20) or a CIDR block (e.g. 127.0.2.0/28)'],
    ['127.1-127.0.0.3', 'range `127.1-127.0.0.3`: `127.1` is not a valid IPv4 address'],
    ['::ffff:127.0.0.0/120', 'range `::ffff:127.0.0.0/120`: `::ffff:127.0.0.0` is an IPv4-mapped IPv6 address'],
  ])('refuses range %s', async (range, message) => {
    const out = await problems(`${V}aliases:\n  - range: "${range}"\n`);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^3:12 error: /);
    expect(out[0]).toContain(message);
  });
  it('warns when a CIDR has host bits set, and uses the block', async () => {
    const r = await load(`${V}aliases:\n  - range: 127.0.2.9/30\n`);
    expect(r.diagnostics.map(brief)).toEqual(['3:12 warning: range `127.0.2.9/30` has host bits set; it means 127.0.2.8/30']);
    expect(r.desired!.aliases).toEqual(['127.0.2.8', '127.0.2.9', '127.0.2.10', '127.0.2.11']);
  });
  it('caps the total expansion of a whole config', async () => {
    const ranges = Array.from({ length: 5 }, (_, i) => `  - range: 127.${i + 1}.0.0/16\n`).join('');
    const out = await problems(`${V}aliases:\n${ranges}`);
    expect(out).toEqual([
      '7:12 error: aliases expand to more than 262,144 addresses in total with range `127.5.0.0/16`; that is the limit for one config',
    ]);
  });
});

describe('host names', () => {
  it('are lower-cased, addresses canonical in declared order', async () => {
    const r = await load(`${V}hosts:\n  API.MyTeam.test: 127.0.0.2\n  web.test: [FD00::2, 127.0.0.3]\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.hosts).toEqual([
      { name: 'api.myteam.test', addresses: ['127.0.0.2'] },
      { name: 'web.test', addresses: ['fd00::2', '127.0.0.3'] },
    ]);
  });
  it.each([
    ['"bad host"', 'host name "bad host" contains whitespace, which separates names in the hosts file'],
    ['"a#b.test"', 'host name "a#b.test" contains `#`, which starts a comment in the hosts file'],
    ['bücher.test', 'host name "bücher.test" contains non-ASCII characters; write an internationalised name in its xn-- (punycode) form (here: xn--bcher-kva.test)'],
    ['"a\\0b"', 'host name "a\\u0000b" contains the control character U+0000'],
    ['under_score.test', 'host name "under_score.test" contains `_`; a name may contain only letters, digits, hyphens and dots'],
    ['-lead.test', 'host name "-lead.test" has a label that starts or ends with a hyphen (`-lead`)'],
    ['trail-.test', 'host name "trail-.test" has a label that starts or ends with a hyphen (`trail-`)'],
    ['a..test', 'host name "a..test" has an empty label (a leading or doubled dot)'],
    ['api.test.', 'host name "api.test." ends with a dot; write it without the trailing dot'],
    [`${'a'.repeat(64)}.test`, `host name "${'a'.repeat(64)}.test" has a label of 64 characters (\`aaaaaaaaaaaa…\`); the limit per label is 63`],
    ['""', 'host name "" is empty'],
  ])('refuses %s at the name', async (name, message) => {
    expect(await problems(`${V}hosts:\n  ${name}: 127.0.0.2\n`)).toEqual([`3:3 error: ${message}`]);
  });
  it('accepts 63-character labels and 253-character names, refuses 254', async () => {
    const label = 'a'.repeat(63);
    const n253 = [label, label, label, 'a'.repeat(61)].join('.');
    expect(n253).toHaveLength(253);
    expect(await problems(`${V}hosts:\n  ${n253}: 127.0.0.2\n`)).toEqual([]);
    expect(await problems(`${V}hosts:\n  ${n253}b: 127.0.0.2\n`)).toEqual([`3:3 error: host name "${n253}b" is 254 characters long; the limit is 253`]);
  });
  it('host addresses are strict too, at the address', async () => {
    expect(await problems(`${V}hosts:\n  a.test: [127.0.0.2, "0127.0.0.3"]\n`)).toEqual([
      '3:23 error: host `a.test`: `0127.0.0.3` is not a valid IPv4 address: write four decimal numbers 0-255 without leading zeros (e.g. 127.0.0.2)',
    ]);
    expect(await problems(`${V}hosts:\n  a.test: ::ffff:10.0.0.1\n`)).toEqual([
      '3:11 error: host `a.test`: `::ffff:10.0.0.1` is an IPv4-mapped IPv6 address; write the IPv4 address 10.0.0.1 instead',
    ]);
  });
  it('an address listed twice for one host is a warning', async () => {
    const r = await load(`${V}hosts:\n  a.test: [127.0.0.2, 127.0.0.02]\n`);
    expect(r.diagnostics.map(brief)).toEqual([
      '3:23 error: host `a.test`: `127.0.0.02` is not a valid IPv4 address: write four decimal numbers 0-255 without leading zeros (e.g. 127.0.0.2)',
    ]);
    const w = await load(`${V}hosts:\n  a.test: [127.0.0.2, 127.0.0.2]\n`);
    expect(w.diagnostics.map(brief)).toEqual(['3:23 warning: host `a.test` lists 127.0.0.2 twice; the second is ignored']);
    expect(w.desired!.hosts).toEqual([{ name: 'a.test', addresses: ['127.0.0.2'] }]);
  });
});

describe('host names are unique, case-insensitively, across files', () => {
  it('twice in one file is an error, even with the same addresses', async () => {
    const r = await load(`${V}hosts:\n  api.test: 127.0.0.2\n  API.test: 127.0.0.2\n`);
    expect(r.diagnostics.map(brief)).toEqual([
      `4:3 error: host \`api.test\` is declared twice in this file (first at ${r.file}:3:3; names are case-insensitive); keep one`,
    ]);
  });
  it('the same mapping in two files is fine', async () => {
    const r = await loadMany({ 'a.yaml': `${V}hosts:\n  api.test: [127.0.0.2, fd00::2]\n`, 'b.yaml': `${V}hosts:\n  Api.Test: [127.0.0.2, FD00::2]\n` });
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.hosts).toEqual([{ name: 'api.test', addresses: ['127.0.0.2', 'fd00::2'] }]);
  });
  it('different addresses in two files is an error naming both FILE:LINE:COL places', async () => {
    const r = await loadMany({ 'a.yaml': `${V}hosts:\n  api.test: 127.0.0.2\n`, 'b.yaml': `${V}\nhosts:\n  x.test: 127.0.0.9\n  API.test: 127.0.0.3\n` });
    expect(r.desired).toBeNull();
    expect(r.diagnostics).toEqual([
      {
        file: r.paths[1],
        line: 5,
        col: 3,
        severity: 'error',
        message: `host \`api.test\` maps to 127.0.0.3 here but to 127.0.0.2 at ${r.paths[0]}:3:3; a name must map to the same addresses in every file`,
      },
    ]);
  });
  it('the same alias in two files is fine', async () => {
    const r = await loadMany({ 'a.yaml': `${V}aliases: [127.0.0.2]\n`, 'b.yaml': `${V}aliases: [127.0.0.2, 127.0.0.3]\n` });
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.aliases).toEqual(['127.0.0.2', '127.0.0.3']);
  });
});

describe('warnings', () => {
  it('.local without an IPv6 entry warns at the name; with one it does not', async () => {
    const r = await load(`${V}hosts:\n  printer.local: 127.0.0.2\n  nas.local: [127.0.0.3, fd00::3]\n`);
    expect(r.diagnostics.map(brief)).toEqual([
      '3:3 warning: host `printer.local` ends in .local: macOS asks mDNS (Bonjour) first, so lookups take 5 seconds unless the name also has an IPv6 entry; add one (e.g. fd00::2) or use another suffix such as .test',
    ]);
    expect(r.desired).not.toBeNull();
  });
  it('a loopback host address that is not an alias warns when aliasesFromHosts is false', async () => {
    const r = await load(`${V}aliases: [127.0.0.2]\nhosts:\n  a.test: [127.0.0.1, 127.0.0.2, 127.0.0.5, 10.1.2.3, ::1]\nsettings:\n  aliasesFromHosts: false\n`);
    expect(r.diagnostics.map(brief)).toEqual([
      '4:34 warning: host `a.test` maps to 127.0.0.5, which is not a desired alias while settings.aliasesFromHosts is false: nothing may answer there (on macOS only 127.0.0.1 exists on lo0); add it under aliases',
    ]);
    expect(r.desired!.aliases).toEqual(['127.0.0.2']);
  });
  it('with aliasesFromHosts (the default) those addresses become aliases, after the declared ones', async () => {
    const r = await load(`${V}aliases: [127.0.0.9]\nhosts:\n  a.test: [127.0.0.1, 127.0.0.5, 10.1.2.3, fd00::7, ::1]\n  b.test: 127.0.0.9\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.aliases).toEqual(['127.0.0.9', '127.0.0.5', 'fd00::7']);
  });
  it('warnings alone keep the config valid', async () => {
    const r = await load(`${V}hosts:\n  a.local: 127.0.0.2\n`);
    expect(r.diagnostics.every((d) => d.severity === 'warning')).toBe(true);
    expect(r.desired).not.toBeNull();
  });
});

describe('settings', () => {
  it('all keys, validated and applied', async () => {
    const r = await load(`${V}settings:\n  schedule: "*/5 * * * *"\n  prune: false\n  allowAliasRanges: [10.99.0.0/24, "FD12::/64"]\n  aliasesFromHosts: false\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.settings).toEqual({ schedule: '*/5 * * * *', prune: false, allowAliasRanges: ['10.99.0.0/24', 'fd12::/64'], aliasesFromHosts: false });
  });
  it('a later file overrides scalar settings; allowAliasRanges are combined', async () => {
    const r = await loadMany({
      'a.yaml': `${V}settings:\n  prune: false\n  allowAliasRanges: [10.1.0.0/16]\n`,
      'b.yaml': `${V}settings:\n  prune: true\n  allowAliasRanges: [10.2.0.0/16, 10.1.0.0/16]\n`,
    });
    expect(r.desired!.settings.prune).toBe(true);
    expect(r.desired!.settings.allowAliasRanges).toEqual(['10.1.0.0/16', '10.2.0.0/16']);
  });
  it('schedule is checked with node-cron', async () => {
    expect(await problems(`${V}settings:\n  schedule: "61 * * * *"\n`)).toEqual([
      '3:13 error: settings.schedule `61 * * * *` is not a valid cron expression (61 is a invalid expression for minute); write 5 fields "minute hour day-of-month month day-of-week", e.g. "*/5 * * * *"',
    ]);
    expect(await problems(`${V}settings:\n  schedule: "*/10 * * * * *"\n`)).toEqual([]);
  });
  it('allowAliasRanges entries must be CIDR blocks', async () => {
    expect(await problems(`${V}settings:\n  allowAliasRanges:\n    - 10.0.0.1\n    - 10.0.0.0/33\n`)).toEqual([
      '4:7 error: settings.allowAliasRanges: `10.0.0.1` is not a CIDR block (write ADDRESS/PREFIX, e.g. 10.99.0.0/24 or fd12:3456::/64)',
      '5:7 error: settings.allowAliasRanges: `10.0.0.0/33` is not a CIDR block (write ADDRESS/PREFIX, e.g. 10.99.0.0/24 or fd12:3456::/64)',
    ]);
    expect(await problems(`${V}settings:\n  allowAliasRanges: [10.0.0.9/24]\n`)).toEqual([
      '3:22 warning: settings.allowAliasRanges: `10.0.0.9/24` has host bits set; it means 10.0.0.0/24',
    ]);
  });
});

describe('YAML features', () => {
  it('anchors and aliases work within the limit, and positions point where *ref is written', async () => {
    const r = await load(`${V}hosts:\n  a.test: &pair [127.0.0.2, fd00::2]\n  b.test: *pair\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.hosts.map((h) => h.addresses)).toEqual([
      ['127.0.0.2', 'fd00::2'],
      ['127.0.0.2', 'fd00::2'],
    ]);
    expect(await problems(`${V}x: &n 5\nsettings:\n  prune: *n\n`)).toEqual([
      '2:1 error: unknown key `x`; allowed keys: version, aliases, hosts, settings',
      '4:10 error: `settings.prune` must be true or false, not the number 5',
    ]);
  });
  it('an unknown tag is a warning, then the value is checked as usual', async () => {
    expect(await problems(`${V}aliases: [!weird 127.0.0.2]\n`)).toEqual(['2:11 warning: YAML: Unresolved tag: !weird']);
  });
});
