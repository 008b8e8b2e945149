// findEarlier narrows a big file down to the lines that can matter with a native pre-filter
// (candidateLines); reading every line must give exactly the same answer, on every kind of text.
import * as fc from 'fast-check';
import { findEarlier } from '../../../src/hosts/entries';

const wantedPool = ['api.myteam.test', 'db.myteam.test', 'web.other.dev', 'localhost', 'x.test', 'mytest', 'fqdn.'];
const otherNames = ['ads.example.com', 'tracker.test.example', 'API.MYTEAM.TEST', 'Db.MyTeam.Test', 'api.myteam.testing', 'myapi.myteam.test', 'test', 'dev', 'a.test#b', 'x.TEST', 'FQDN.', 'fqdn'];
const addresses = ['127.0.0.1', '0.0.0.0', '::1', 'fd00::2', '127.0.0.02', 'not-an-ip', '10.0.0.1'];
const blank = fc.constantFrom(' ', '\t', '  ', '\v', '\f', '\r');

const line = fc.oneof(
  // address + names (+ comment)
  fc
    .tuple(
      fc.constantFrom('', ' ', '\t'),
      fc.constantFrom(...addresses),
      fc.array(fc.tuple(blank, fc.constantFrom(...wantedPool, ...otherNames)), { minLength: 1, maxLength: 4 }),
      fc.option(fc.constantFrom('# api.myteam.test', '#db.myteam.test', ' # x', '#')),
    )
    .map(([lead, a, ns, c]) => `${lead}${a}${ns.map(([b, n]) => b + n).join('')}${c ?? ''}`),
  fc.constantFrom('', '# comment api.myteam.test', '   ', 'api.myteam.test', '\0 127.0.0.1 api.myteam.test', '127.0.0.1 api\0.myteam.test', '127.0.0.1 x.test\0 db.myteam.test'),
);
const text = fc
  .tuple(fc.array(line, { maxLength: 40 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([ls, eol, final]) => ls.join(eol) + (final ? eol : ''));

describe('findEarlier: the pre-filtered reading equals reading every line', () => {
  it('on generated hosts texts, for any wanted names and any end', () => {
    fc.assert(
      fc.property(text, fc.subarray(wantedPool, { minLength: 1 }), fc.nat(), (t, names, cut) => {
        const end = t.length === 0 ? 0 : cut % (t.length + 1);
        expect(findEarlier(t, end, names)).toEqual(findEarlier(t, end, names, { everyLine: true }));
      }),
      { numRuns: 5000 },
    );
  });

  it('finds a name on line 100,001 of a big file, with its line number', () => {
    const big = '0.0.0.0 ads.example.com\n'.repeat(100000) + '127.0.0.9\tAPI.myteam.TEST # shadowing\n' + '0.0.0.0 x.example.com\n'.repeat(10);
    const found = findEarlier(big, big.length, ['api.myteam.test', 'db.myteam.test']);
    expect(found.get('api.myteam.test')).toEqual([{ line: 100001, address: '127.0.0.9', key: '127.0.0.9' }]);
    expect(found.has('db.myteam.test')).toBe(false);
    expect(found).toEqual(findEarlier(big, big.length, ['api.myteam.test', 'db.myteam.test'], { everyLine: true }));
  });

  it('falls back to every line when the label is everywhere (com in a blocklist) or names have many labels', () => {
    const big = Array.from({ length: 6000 }, (_, i) => `0.0.0.0 ads${i}.example.com`).join('\n') + '\n127.0.0.2 api.team.com\n';
    expect(findEarlier(big, big.length, ['api.team.com']).get('api.team.com')).toEqual([{ line: 6001, address: '127.0.0.2', key: '127.0.0.2' }]);
    const names = Array.from({ length: 20 }, (_, i) => `n.l${i}`);
    const t = '127.0.0.3 n.l7\n';
    expect(findEarlier(t, t.length, names).get('n.l7')).toEqual([{ line: 1, address: '127.0.0.3', key: '127.0.0.3' }]);
  });
});
