import fc from 'fast-check';
import { diffLines } from '../../../src/hosts/block-diff';
import { planHosts } from '../../../src/hosts';

/** Applying a diff: kept and added lines give the new text, kept and removed the old one. */
function sides(diff: string[]): { before: string[]; after: string[] } {
  return {
    before: diff.filter((l) => !l.startsWith('+ ')).map((l) => l.slice(2)),
    after: diff.filter((l) => !l.startsWith('- ')).map((l) => l.slice(2)),
  };
}

describe('diffLines', () => {
  it('marks kept, removed and added lines', () => {
    expect(diffLines(['# BEGIN', 'a', 'b', '# END'], ['# BEGIN', 'a', 'c', '# END'])).toEqual([
      '  # BEGIN',
      '  a',
      '+ c',
      '- b',
      '  # END',
    ]);
    expect(diffLines([], ['x'])).toEqual(['+ x']);
    expect(diffLines(['x'], [])).toEqual(['- x']);
  });

  it('always reproduces both sides, minimally for small inputs (property)', () => {
    const line = fc.constantFrom('a', 'b', 'c', 'd', '# BEGIN', '# END');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(line, { maxLength: 30 }), (before, after) => {
        const d = diffLines(before, after);
        expect(sides(d)).toEqual({ before, after });
      }),
    );
  });

  it('stays correct for huge blocks (fallback without the table)', () => {
    const before = Array.from({ length: 5000 }, (_, i) => `127.0.0.2 old${i}.test`);
    const after = Array.from({ length: 5000 }, (_, i) => `127.0.0.3 new${i}.test`);
    expect(sides(diffLines(before, after))).toEqual({ before, after });
  });
});

describe('planHosts blockDiff', () => {
  it('shows the block being added, changed and removed, and nothing when in sync', () => {
    const desired = [{ name: 'api.myteam.test', addresses: ['127.0.0.2'] }];
    const added = planHosts(Buffer.from('127.0.0.1 localhost\n'), desired);
    expect(added.blockDiff).toEqual([
      '+ # BEGIN loopkeeper (managed, edits here are overwritten)',
      '+ 127.0.0.2\tapi.myteam.test',
      '+ # END loopkeeper',
    ]);
    const file = added.next!;
    expect(planHosts(file, desired).blockDiff).toEqual([]);
    const changed = planHosts(file, [{ name: 'api.myteam.test', addresses: ['127.0.0.3'] }]);
    expect(changed.blockDiff.filter((l) => !l.startsWith('  '))).toEqual(['+ 127.0.0.3\tapi.myteam.test', '- 127.0.0.2\tapi.myteam.test']);
    expect(planHosts(file, null).blockDiff.every((l) => l.startsWith('- '))).toBe(true);
  });
});
