import { parseTsvPairs, TsvPairsFormatError } from './tsv-pairs.js';

const VALID = ['# a comment', 'a/1.jpg\ta/2.jpg\t1\t1', '', 'a/1.jpg\tb/1.jpg\t0\t1', 'c/1.jpg\tc/2.jpg\t1\t10', 'c/1.jpg\t/abs/d.jpg\t0\t10', ''].join('\n');

describe('parseTsvPairs', () => {
  it('reads pairs with their line numbers, skipping blank and comment lines', () => {
    const pairs = parseTsvPairs(VALID);
    expect(pairs).toEqual([
      { line: 2, a: 'a/1.jpg', b: 'a/2.jpg', same: true, fold: 1 },
      { line: 4, a: 'a/1.jpg', b: 'b/1.jpg', same: false, fold: 1 },
      { line: 5, a: 'c/1.jpg', b: 'c/2.jpg', same: true, fold: 10 },
      { line: 6, a: 'c/1.jpg', b: '/abs/d.jpg', same: false, fold: 10 },
    ]);
    expect(parseTsvPairs(VALID.replace(/\n/g, '\r\n'))).toEqual(pairs);
  });

  const withLine = (n: number, text: string) => {
    const lines = VALID.split('\n');
    lines[n - 1] = text;
    return lines.join('\n');
  };

  it.each([
    ['a/1.jpg a/2.jpg 1 1', /^my\.tsv line 4: expected 4 tab-separated fields .* got 1/],
    ['a/1.jpg\ta/2.jpg\t1', /^my\.tsv line 4: expected 4 tab-separated fields/],
    ['a/1.jpg\t\t1\t1', /^my\.tsv line 4: an image path is empty/],
    ['a/1.jpg\tb/1.jpg\tyes\t1', /^my\.tsv line 4: same must be 1 .* got "yes"/],
    ['a/1.jpg\tb/1.jpg\t0\t11', /^my\.tsv line 4: fold must be an integer from 1 to 10, got "11"/],
    ['a/1.jpg\tb/1.jpg\t0\t0', /line 4: fold must be/],
    ['a/1.jpg\tb/1.jpg\t0\t1.5', /line 4: fold must be/],
  ])('names the line of %j', (line, message) => {
    expect(() => parseTsvPairs(withLine(4, line), 'my.tsv')).toThrow(TsvPairsFormatError);
    expect(() => parseTsvPairs(withLine(4, line), 'my.tsv')).toThrow(message);
  });

  it('rejects files that cannot be cross-validated', () => {
    expect(() => parseTsvPairs('# nothing\n', 'x.tsv')).toThrow(/^x\.tsv: no pairs/);
    expect(() => parseTsvPairs('a\tb\t1\t3\nc\td\t0\t3\n')).toThrow(/all pairs are in fold 3/);
    expect(() => parseTsvPairs('a\tb\t1\t1\nc\td\t1\t2\n')).toThrow(/all pairs are same-person \(1\); both kinds/);
  });
});
