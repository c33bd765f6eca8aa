import { lfwImagePath, LfwPairsFormatError, parseLfwPairs } from './lfw-pairs.js';

// Two folds of two matched + two mismatched pairs, tab- and space-separated like the real file.
const SAMPLE = [
  '2\t2',
  'Abel_Pacheco\t1\t4',
  'Akhmed_Zakayev 1 3',
  'AJ_Cook\t1\tMarsha_Thomason\t1',
  'Aaron_Sorkin\t2\tFrank_Solich\t5',
  'Amber_Tamblyn\t1\t2',
  'Anders_Fogh_Rasmussen\t1\t3',
  'Abdel_Madi_Shabneh\t1\tDean_Barker\t1',
  'Abdul_Rahman\t1\tPortia_de_Rossi\t12',
  '',
].join('\n');

describe('parseLfwPairs', () => {
  it('reads folds, matched then mismatched pairs, with relative image paths', () => {
    const pairs = parseLfwPairs(SAMPLE);
    expect(pairs).toHaveLength(8);
    expect(pairs[0]).toEqual({
      fold: 1, a: 'Abel_Pacheco/Abel_Pacheco_0001.jpg', b: 'Abel_Pacheco/Abel_Pacheco_0004.jpg', same: true,
    });
    expect(pairs[2]).toEqual({
      fold: 1, a: 'AJ_Cook/AJ_Cook_0001.jpg', b: 'Marsha_Thomason/Marsha_Thomason_0001.jpg', same: false,
    });
    expect(pairs[7]).toEqual({
      fold: 2, a: 'Abdul_Rahman/Abdul_Rahman_0001.jpg', b: 'Portia_de_Rossi/Portia_de_Rossi_0012.jpg', same: false,
    });
    expect(pairs.map((p) => `${p.fold}${p.same ? 's' : 'd'}`)).toEqual(['1s', '1s', '1d', '1d', '2s', '2s', '2d', '2d']);
  });

  it('accepts CRLF line ends', () => {
    expect(parseLfwPairs(SAMPLE.replace(/\n/g, '\r\n'))).toEqual(parseLfwPairs(SAMPLE));
  });

  it('names the line of a malformed pair', () => {
    const lines = SAMPLE.split('\n');
    lines[3] = 'AJ_Cook\t1\t2'; // a matched pair where a mismatched one belongs
    expect(() => parseLfwPairs(lines.join('\n'))).toThrow(LfwPairsFormatError);
    expect(() => parseLfwPairs(lines.join('\n'))).toThrow(/^pairs\.txt line 4: fold 1 expects a mismatched pair/);
  });

  it('names the line of a bad image number', () => {
    const lines = SAMPLE.split('\n');
    lines[6] = 'Anders_Fogh_Rasmussen\t1\tx';
    expect(() => parseLfwPairs(lines.join('\n'))).toThrow(/line 7: image number "x"/);
  });

  it('rejects a bad header and a wrong line count', () => {
    expect(() => parseLfwPairs('ten 300\n')).toThrow(/line 1: expected a header/);
    expect(() => parseLfwPairs(SAMPLE.split('\n').slice(0, 6).join('\n'))).toThrow(/^pairs\.txt line 7: the header promises 2 folds/);
    expect(() => parseLfwPairs(`${SAMPLE}Extra_Name\t1\t2\n`)).toThrow(/^pairs\.txt line 10: .* the file has 10 lines/);
  });

  it('formats image paths with four digits', () => {
    expect(lfwImagePath('George_W_Bush', 123)).toBe('George_W_Bush/George_W_Bush_0123.jpg');
  });
});
