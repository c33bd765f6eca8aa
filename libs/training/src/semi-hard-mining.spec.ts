import { mineSemiHardNegative } from './semi-hard-mining.js';

describe('mineSemiHardNegative', () => {
  const margin = 0.2;
  // Candidate 0 is the anchor's own identity; the others are negatives.
  const isNegative = (i: number) => i !== 0;

  it('picks the closest negative that is farther than the positive and within the margin', () => {
    // d(a,p) = 0.3: semi-hard means 0.3 < d < 0.5; 0.35 and 0.45 qualify, 0.35 is closer.
    expect(mineSemiHardNegative(0.3, [0.31, 0.45, 0.5, 0.25, 0.35, 0.9], isNegative, margin)).toEqual({ index: 4, distance: 0.35, kind: 'semi-hard' });
  });

  it('never picks the anchor\'s own identity', () => {
    expect(mineSemiHardNegative(0.3, [0.32, 0.4], isNegative, margin)).toEqual({ index: 1, distance: 0.4, kind: 'semi-hard' });
  });

  it('falls back to the farthest negative when every negative is closer than the positive', () => {
    expect(mineSemiHardNegative(0.3, [0.9, 0.1, 0.2, 0.15], isNegative, margin)).toEqual({ index: 2, distance: 0.2, kind: 'fallback' });
  });

  it('leaves a solved pair alone: the closest negative beyond the positive is beyond the margin', () => {
    expect(mineSemiHardNegative(0.3, [0.1, 0.6, 0.1, 0.8], isNegative, margin)).toBeUndefined();
  });

  it('finds nothing without negatives', () => {
    expect(mineSemiHardNegative(0.3, [0.4], isNegative, margin)).toBeUndefined();
  });
});
