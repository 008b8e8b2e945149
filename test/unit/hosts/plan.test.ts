import { planHosts } from '../../../src/hosts';
import { BEGIN_MARKER, END_MARKER } from '../../../src/hosts/markers';
import type { DesiredHost } from '../../../src/model';

const B = Buffer.from;
const latin1 = (b: Buffer | null) => (b === null ? null : b.toString('latin1'));

const SPEC_HOSTS: DesiredHost[] = [
  { name: 'api.myteam.test', addresses: ['127.0.0.2'] },
  { name: 'db.myteam.test', addresses: ['127.0.0.2'] },
  { name: 'web.myteam.test', addresses: ['127.0.0.3', 'fd00::2'] },
];
const SPEC_BLOCK = [
  BEGIN_MARKER,
  '127.0.0.2\tapi.myteam.test db.myteam.test',
  '127.0.0.3\tweb.myteam.test',
  'fd00::2\tweb.myteam.test',
  END_MARKER,
];

function block(lines: string[], eol = '\n'): string {
  return lines.join(eol) + eol;
}

describe('rendering the managed block', () => {
  it('renders the SPEC example exactly, appended to the file', () => {
    const p = planHosts(B('127.0.0.1\tlocalhost\n'), SPEC_HOSTS);
    expect(latin1(p.next)).toBe('127.0.0.1\tlocalhost\n' + block(SPEC_BLOCK));
    expect(p.damage).toBeNull();
  });

  it('puts at most 9 names on a line and continues on another line for the same address', () => {
    const hosts = Array.from({ length: 20 }, (_, i) => ({ name: `n${i}.test`, addresses: ['127.0.0.2'] }));
    const text = latin1(planHosts(B(''), hosts).next)!;
    const lines = text.split('\n');
    expect(lines[1]).toBe(`127.0.0.2\t${hosts.slice(0, 9).map((h) => h.name).join(' ')}`);
    expect(lines[2]).toBe(`127.0.0.2\t${hosts.slice(9, 18).map((h) => h.name).join(' ')}`);
    expect(lines[3]).toBe('127.0.0.2\tn18.test n19.test');
    expect(lines[4]).toBe(END_MARKER);
  });

  it('orders addresses by first appearance in the desired list', () => {
    const text = latin1(
      planHosts(B(''), [
        { name: 'b.test', addresses: ['127.0.0.9', '127.0.0.2'] },
        { name: 'a.test', addresses: ['127.0.0.2'] },
      ]).next,
    )!;
    expect(text).toBe(block([BEGIN_MARKER, '127.0.0.9\tb.test', '127.0.0.2\tb.test a.test', END_MARKER]));
  });

  it('keeps each name\'s addresses in its declared order when two names disagree', () => {
    const hosts = [
      { name: 'a.test', addresses: ['127.0.0.2', '127.0.0.3'] },
      { name: 'b.test', addresses: ['127.0.0.3', '127.0.0.2'] },
    ];
    const next = planHosts(B(''), hosts).next!;
    expect(latin1(next)).toBe(
      block([BEGIN_MARKER, '127.0.0.2\ta.test', '127.0.0.3\ta.test b.test', '127.0.0.2\tb.test', END_MARKER]),
    );
    const again = planHosts(next, hosts);
    expect(again.next).toBeNull();
    expect(again.entries.map((e) => e.state)).toEqual(['present', 'present']);
  });

  it('writes canonical addresses and lower-case names', () => {
    const text = latin1(planHosts(B(''), [{ name: 'API.Test', addresses: ['FD00:0:0::2'] }]).next)!;
    expect(text).toContain('fd00::2\tapi.test\n');
  });

  it.each([
    ['a space', 'bad name'],
    ['a hash', 'x#y'],
    ['a newline', 'x\ny'],
    ['empty', ''],
  ])('refuses a name with %s instead of corrupting the file', (_what, name) => {
    expect(() => planHosts(B(''), [{ name, addresses: ['127.0.0.2'] }])).toThrow(/refusing to write host name/);
  });

  it('refuses an address that is not an IP', () => {
    expect(() => planHosts(B(''), [{ name: 'a.test', addresses: ['127.0.0.2\n1.1.1.1'] }])).toThrow(/not an IP/);
  });
});

describe('line endings and bytes outside the block', () => {
  it('uses CRLF in the block when the file mostly uses CRLF', () => {
    const orig = 'a 1\r\nb 2\r\nc 3\n';
    const text = latin1(planHosts(B(orig), SPEC_HOSTS).next)!;
    expect(text).toBe(orig + block(SPEC_BLOCK, '\r\n'));
  });

  it('uses LF on a tie and for an empty file', () => {
    expect(latin1(planHosts(B('a\r\nb\n'), SPEC_HOSTS).next)).toBe('a\r\nb\n' + block(SPEC_BLOCK));
    expect(latin1(planHosts(B(''), SPEC_HOSTS).next)).toBe(block(SPEC_BLOCK));
  });

  it('does not let the block\'s own lines vote on the line ending', () => {
    // 2 CRLF lines outside, 5 LF lines inside: still CRLF.
    const orig = `x\r\ny\r\n${block(SPEC_BLOCK)}`;
    expect(latin1(planHosts(B(orig), SPEC_HOSTS).next)).toBe(`x\r\ny\r\n${block(SPEC_BLOCK, '\r\n')}`);
  });

  it('keeps a UTF-8 BOM, invalid UTF-8, NULs and trailing blanks byte for byte', () => {
    const orig = Buffer.concat([B([0xef, 0xbb, 0xbf]), B('127.0.0.1 localhost  \t\n'), B([0xff, 0xfe, 0x00, 0x80, 0x0a])]);
    const p = planHosts(orig, SPEC_HOSTS);
    expect(p.next!.subarray(0, orig.length)).toEqual(orig);
    const back = planHosts(p.next!, null).next!;
    expect(back).toEqual(orig);
  });

  it('adds a separator before the block when the file lacks a final newline, and removes it again', () => {
    const orig = '127.0.0.1 localhost\r\n# last';
    const added = latin1(planHosts(B(orig), SPEC_HOSTS).next)!;
    expect(added).toBe(orig + '\r\n' + SPEC_BLOCK.join('\r\n')); // the missing final newline moved to END
    expect(planHosts(B(added, 'latin1'), SPEC_HOSTS).next).toBeNull();
    expect(latin1(planHosts(B(added, 'latin1'), null).next)).toBe(orig);
  });

  it('keeps a lone CR at the end of a file without a final newline', () => {
    const orig = 'x\r\ny\nlast\r';
    const added = planHosts(B(orig), SPEC_HOSTS).next!;
    expect(planHosts(added, SPEC_HOSTS).next).toBeNull();
    expect(latin1(planHosts(added, null).next)).toBe(orig);
  });

  it('updates a block without a final newline in place and can still remove it cleanly', () => {
    const orig = 'a 1\nb 2';
    const v1 = planHosts(B(orig), SPEC_HOSTS).next!;
    const v2 = planHosts(v1, [{ name: 'other.test', addresses: ['127.0.0.5'] }]).next!;
    expect(latin1(v2)).toBe(`${orig}\n${BEGIN_MARKER}\n127.0.0.5\tother.test\n${END_MARKER}`);
    expect(latin1(planHosts(v2, null).next)).toBe(orig);
  });

  it('updates a block in the middle of the file where it stands', () => {
    const orig = `head\n${block(SPEC_BLOCK)}# added later by someone\n10.0.0.1 later.test\n`;
    const p = planHosts(B(orig), [{ name: 'api.myteam.test', addresses: ['127.0.0.4'] }]);
    expect(latin1(p.next)).toBe(
      `head\n${block([BEGIN_MARKER, '127.0.0.4\tapi.myteam.test', END_MARKER])}# added later by someone\n10.0.0.1 later.test\n`,
    );
    expect(latin1(planHosts(B(orig), null).next)).toBe('head\n# added later by someone\n10.0.0.1 later.test\n');
  });

  it('recognises markers with CRLF and trailing blanks, and rewrites them cleanly', () => {
    const orig = `h\n${BEGIN_MARKER} \t\r\n127.0.0.2\tapi.myteam.test\r\n${END_MARKER}  \n`;
    const p = planHosts(B(orig), [{ name: 'api.myteam.test', addresses: ['127.0.0.2'] }]);
    expect(p.damage).toBeNull();
    expect(p.entries[0]!.state).toBe('present');
    expect(p.changes).toEqual([]);
    expect(latin1(p.next)).toBe(`h\n${BEGIN_MARKER}\n127.0.0.2\tapi.myteam.test\n${END_MARKER}\n`);
  });

  it('does not take a reworded or indented marker for its own', () => {
    const orig = `  ${BEGIN_MARKER}\n# BEGIN loopkeeper\n# END loopkeeper!\n`;
    const p = planHosts(B(orig), SPEC_HOSTS);
    expect(p.damage).toBeNull();
    expect(latin1(p.next)).toBe(orig + block(SPEC_BLOCK));
  });
});

describe('no change, removal and changes', () => {
  it('plans nothing when the block already holds the desired hosts', () => {
    const once = planHosts(B('x\n'), SPEC_HOSTS).next!;
    const again = planHosts(once, SPEC_HOSTS);
    expect(again.next).toBeNull();
    expect(again.changes).toEqual([]);
    expect(again.entries.map((e) => e.state)).toEqual(['present', 'present', 'present']);
  });

  it('plans nothing for `down` when there is no block, or for no hosts at all', () => {
    expect(planHosts(B('x\n'), null).next).toBeNull();
    expect(planHosts(B('x'), []).next).toBeNull();
  });

  it('removes the block when no hosts are desired', () => {
    const once = planHosts(B('x\n'), SPEC_HOSTS).next!;
    const p = planHosts(once, []);
    expect(latin1(p.next)).toBe('x\n');
    expect(p.changes.map((c) => c.action)).toEqual(['remove', 'remove', 'remove']);
  });

  it('reports add, update and remove per name against the current block', () => {
    const cur = B(block([BEGIN_MARKER, '127.0.0.2\tkeep.test move.test gone.test', END_MARKER]));
    const p = planHosts(cur, [
      { name: 'keep.test', addresses: ['127.0.0.2'] },
      { name: 'move.test', addresses: ['127.0.0.3'] },
      { name: 'new.test', addresses: ['127.0.0.4'] },
    ]);
    expect(p.changes).toEqual([
      { kind: 'hosts', action: 'update', name: 'move.test', addresses: ['127.0.0.3'], previous: ['127.0.0.2'] },
      { kind: 'hosts', action: 'add', name: 'new.test', addresses: ['127.0.0.4'] },
      { kind: 'hosts', action: 'remove', name: 'gone.test', addresses: ['127.0.0.2'] },
    ]);
    expect(p.entries.map((e) => [e.name, e.state])).toEqual([
      ['keep.test', 'present'],
      ['move.test', 'missing'],
      ['new.test', 'missing'],
    ]);
    expect(p.entries[1]!.detail).toMatch(/127\.0\.0\.2/);
  });

  it('re-renders a hand-edited block even when the mapping is the same', () => {
    const cur = B(block([BEGIN_MARKER, '127.0.0.2 a.test # my note', END_MARKER]));
    const p = planHosts(cur, [{ name: 'a.test', addresses: ['127.0.0.2'] }]);
    expect(p.entries[0]!.state).toBe('present');
    expect(p.changes).toEqual([]);
    expect(latin1(p.next)).toBe(block([BEGIN_MARKER, '127.0.0.2\ta.test', END_MARKER]));
  });
});

describe('a damaged block is never guessed at', () => {
  const d = [{ name: 'a.test', addresses: ['127.0.0.2'] }];
  it.each([
    ['BEGIN without END', `x\ny\n${BEGIN_MARKER}\n127.0.0.2 a.test\n`, [3], /BEGIN marker without an END/],
    ['END without BEGIN', `x\n127.0.0.2 a.test\n${END_MARKER}\n`, [3], /END marker without a BEGIN/],
    ['two BEGINs (nested)', `${BEGIN_MARKER}\nx\n${BEGIN_MARKER}\n${END_MARKER}\n`, [1, 3, 4], /2 BEGIN markers/],
    ['two blocks', `${BEGIN_MARKER}\n${END_MARKER}\n\n${BEGIN_MARKER}\r\n${END_MARKER}`, [1, 2, 4, 5], /2 BEGIN markers/],
    ['END before BEGIN', `a\n${END_MARKER}\n${BEGIN_MARKER}\n`, [2, 3], /END marker comes before/],
    ['two ENDs', `${BEGIN_MARKER}\n${END_MARKER}\n${END_MARKER}\n`, [1, 2, 3], /2 END markers/],
  ])('%s: nothing planned, damage names the lines', (_what, text, lines, message) => {
    for (const desired of [d, null]) {
      const p = planHosts(B(text), desired);
      expect(p.next).toBeNull();
      expect(p.changes).toEqual([]);
      expect(p.damage).not.toBeNull();
      expect(p.damage!.lines).toEqual(lines);
      expect(p.damage!.message).toMatch(message);
    }
    const p = planHosts(B(text), d);
    expect(p.entries[0]!.state).toBe('missing');
    expect(p.entries[0]!.detail).toMatch(/damaged/);
  });
});

describe('shadowing', () => {
  it('reports a name an earlier line maps elsewhere, with the line number and address', () => {
    const orig = '# header\n127.0.0.1 localhost\n10.1.2.3\tfoo.test API.test # old\n';
    const p = planHosts(B(orig), [
      { name: 'api.test', addresses: ['127.0.0.2'] },
      { name: 'free.test', addresses: ['127.0.0.2'] },
    ]);
    expect(p.entries[0]).toEqual({
      name: 'api.test',
      addresses: ['127.0.0.2'],
      state: 'shadowed',
      detail: expect.stringMatching(/^line 3 maps it to 10\.1\.2\.3 /),
    });
    expect(p.entries[1]!.state).toBe('missing');
    // The block is still written (the user may remove the earlier line).
    expect(p.changes).toHaveLength(2);
  });

  it('stays shadowed after the block is written', () => {
    const orig = '10.1.2.3 api.test\n';
    const once = planHosts(B(orig), [{ name: 'api.test', addresses: ['127.0.0.2'] }]).next!;
    const p = planHosts(once, [{ name: 'api.test', addresses: ['127.0.0.2'] }]);
    expect(p.next).toBeNull();
    expect(p.entries[0]!.state).toBe('shadowed');
  });

  it('is not shadowed by comments, lines after the block, or an earlier line with the same address', () => {
    const orig = `# 10.0.0.1 a.test\n127.0.0.1 x.test #a.test\n0127.0.0.2 c.test\n127.0.0.2 b.test\n${block([
      BEGIN_MARKER,
      '127.0.0.2\ta.test b.test c.test',
      END_MARKER,
    ])}10.0.0.9 a.test\n`;
    const p = planHosts(B(orig), ['a.test', 'b.test', 'c.test'].map((name) => ({ name, addresses: ['127.0.0.2'] })));
    expect(p.entries.map((e) => e.state)).toEqual(['present', 'present', 'present']);
  });

  it('compares IPv6 addresses canonically', () => {
    const p = planHosts(B('FD00:0::2 a.test\n'), [{ name: 'a.test', addresses: ['fd00::2'] }]);
    expect(p.entries[0]!.state).toBe('missing');
  });

  it('with a damaged block, still reports shadowing from lines before the first marker', () => {
    const p = planHosts(B(`10.0.0.1 a.test\n${BEGIN_MARKER}\n`), [{ name: 'a.test', addresses: ['127.0.0.2'] }]);
    expect(p.entries[0]!.state).toBe('shadowed');
  });
});

describe('hostile input', () => {
  it('handles a 10 MB line without a newline and NUL bytes', () => {
    const huge = Buffer.alloc(10 * 1024 * 1024, 0x41);
    huge[5] = 0;
    const p = planHosts(huge, [{ name: 'a.test', addresses: ['127.0.0.2'] }]);
    expect(p.next!.subarray(0, huge.length).equals(huge)).toBe(true);
    expect(planHosts(p.next!, null).next!.equals(huge)).toBe(true);
  });

  it('handles 100,000 bare CRs and line breaks only', () => {
    const text = '\r'.repeat(100000) + '\n'.repeat(100000);
    const p = planHosts(B(text), [{ name: 'a.test', addresses: ['127.0.0.2'] }]);
    expect(latin1(planHosts(p.next!, null).next)).toBe(text);
  });

  it('handles a marker as the whole file, without a newline', () => {
    expect(planHosts(B(BEGIN_MARKER), null).damage!.lines).toEqual([1]);
    expect(planHosts(B(END_MARKER), null).damage!.lines).toEqual([1]);
  });

  it("handles a block that is the whole file without a final newline (normalised once)", () => {
    const text = `${BEGIN_MARKER}\n127.0.0.2\ta.test\n${END_MARKER}`;
    expect(latin1(planHosts(B(text), [{ name: 'a.test', addresses: ['127.0.0.2'] }]).next)).toBe(text + '\n');
    expect(latin1(planHosts(B(text), null).next)).toBe('');
  });
});
