// A NUL byte ends a hosts line for glibc (it reads each line as a C string; measured with getent in
// a namespace: `10.0.0.1 other.test\0 api.test` maps other.test only). The shadow scan must stop
// there too, or a name after the NUL is reported `shadowed` although the resolver never sees it.
import { planHosts } from '../../../src/hosts';
import { findEarlier, parseEntries } from '../../../src/hosts/entries';

const B = (s: string) => Buffer.from(s, 'latin1');
const API = [{ name: 'api.myteam.test', addresses: ['127.0.0.2'] }];

describe('a NUL byte ends the line', () => {
  it('a name after a NUL on an earlier line is not shadowed by that line', () => {
    const p = planHosts(B('10.0.0.1 other.test\0 api.myteam.test\n'), API);
    expect(p.entries[0]).toMatchObject({ name: 'api.myteam.test', state: 'missing' });
    const after = planHosts(p.next!, API);
    expect(after.entries[0]).toMatchObject({ state: 'present' });
  });

  it('a NUL inside the address leaves no address: the line maps nothing', () => {
    expect(planHosts(B('10.0\0.0.1 api.myteam.test\n'), API).entries[0]!.state).toBe('missing');
    expect(planHosts(B('\0 10.0.0.1 api.myteam.test\n'), API).entries[0]!.state).toBe('missing');
  });

  it('what comes before the NUL still counts, and the next line is read again', () => {
    expect(planHosts(B('10.0.0.1 api.myteam.test\0 junk\n'), API).entries[0]).toMatchObject({
      state: 'shadowed',
      detail: expect.stringMatching(/^line 1 maps it to 10\.0\.0\.1/),
    });
    expect(planHosts(B('x\0y\n10.0.0.1 api.myteam.test\n'), API).entries[0]).toMatchObject({
      state: 'shadowed',
      detail: expect.stringMatching(/^line 2 /),
    });
  });

  it('many NULs and a long file stay one pass (every line is still read once)', () => {
    const lines = Array.from({ length: 20000 }, (_, i) => (i % 2 ? `10.0.${i >> 8}.${i & 255} n${i}.test\0 api.myteam.test` : `# ${i}`));
    const text = `${lines.join('\n')}\n10.9.9.9 api.myteam.test\n`;
    const found = findEarlier(text, text.length, ['api.myteam.test']);
    expect(found.get('api.myteam.test')).toEqual([{ line: 20001, address: '10.9.9.9', key: '10.9.9.9' }]);
  });

  it('the block body parser stops at a NUL too', () => {
    expect([...parseEntries('127.0.0.2 a.test\0 b.test\n127.0.0.3 c.test\n').keys()]).toEqual(['a.test', 'c.test']);
  });
});
