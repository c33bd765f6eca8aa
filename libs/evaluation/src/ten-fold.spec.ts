import { seededRandom } from '../../common/src/index.js';
import { gaussian } from '../../vector-index/src/synthetic-faces.js';
import { accuracyAt, bestThreshold, crossValidatedAccuracy, FoldScoredPair, tenFoldAccuracy } from './ten-fold.js';

const pair = (distance: number, same: boolean) => ({ distance, same });

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf; error < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

describe('bestThreshold', () => {
  it('maximises accuracy over midpoints and keeps the smallest of tied thresholds', () => {
    // sorted: 0.2 s, 0.4 s, 0.7 d, 0.9 s, 1.0 d, 1.2 d → 5 of 6 right at 0.55 and at 0.95.
    const scores = [pair(0.9, true), pair(0.2, true), pair(1.0, false), pair(0.4, true), pair(1.2, false), pair(0.7, false)];
    const t = bestThreshold(scores);
    expect(t).toBeCloseTo(0.55, 12);
    expect(accuracyAt(scores, t)).toBeCloseTo(5 / 6, 12);
    expect(accuracyAt(scores, 0.95)).toBeCloseTo(5 / 6, 12);
  });

  it('splits a separable set in the middle of the gap', () => {
    expect(bestThreshold([pair(0.3, true), pair(0.5, true), pair(1.5, false), pair(1.9, false)])).toBeCloseTo(1.0, 12);
  });

  it('treats equal distances as one candidate', () => {
    // At 0.5 one same and one different: both must fall on the same side of any threshold.
    const scores = [pair(0.1, true), pair(0.5, true), pair(0.5, false), pair(0.5, false), pair(0.9, false)];
    expect(bestThreshold(scores)).toBeCloseTo(0.3, 12);
  });

  it('needs data', () => {
    expect(() => bestThreshold([])).toThrow();
    expect(bestThreshold([pair(0.7, true), pair(0.7, false)])).toBe(0.7);
  });
});

describe('tenFoldAccuracy', () => {
  it('reaches the analytic accuracy on two seeded Gaussians', () => {
    const random = seededRandom(20240607);
    const clip = (d: number) => Math.min(4, Math.max(0, d));
    const pairs: FoldScoredPair[] = [];
    for (let fold = 1; fold <= 10; fold++) {
      for (let i = 0; i < 300; i++) pairs.push({ fold, same: true, distance: clip(0.6 + 0.15 * gaussian(random)) });
      for (let i = 0; i < 300; i++) pairs.push({ fold, same: false, distance: clip(1.6 + 0.15 * gaussian(random)) });
    }
    const result = tenFoldAccuracy(pairs);
    // Equal variances: the Bayes threshold is the midpoint 1.1, error Φ(−0.5/0.15) ≈ 4.3e-4.
    const analytic = phi(0.5 / 0.15);
    expect(analytic).toBeCloseTo(0.99957, 5);
    expect(Math.abs(result.accuracy - analytic)).toBeLessThan(0.0015);
    expect(result.foldThresholds).toHaveLength(10);
    expect(result.foldAccuracies).toHaveLength(10);
    for (const t of result.foldThresholds) expect(Math.abs(t - 1.1)).toBeLessThan(0.2);
    expect(Math.abs(result.threshold - 1.1)).toBeLessThan(0.1);
    expect(result.threshold).toBeCloseTo(result.foldThresholds.reduce((s, t) => s + t, 0) / 10, 12);
    expect(result.stdErr).toBeGreaterThanOrEqual(0);
    expect(result.stdErr).toBeLessThan(0.002);
  });

  it('chooses each fold threshold without that fold', () => {
    // Folds 2..10 alone put the threshold at 1.0; fold 1's genuine pairs at 1.2 would move it to 1.35.
    const pairs: FoldScoredPair[] = [];
    for (let i = 0; i < 5; i++) {
      pairs.push({ fold: 1, distance: 1.2, same: true }, { fold: 1, distance: 2.0, same: false });
      for (let fold = 2; fold <= 10; fold++) {
        pairs.push({ fold, distance: 0.5, same: true }, { fold, distance: 1.5, same: false });
      }
    }
    expect(bestThreshold(pairs)).toBeCloseTo(1.35, 12); // what a leaky protocol would use for fold 1
    const result = tenFoldAccuracy(pairs);
    expect(result.foldThresholds[0]).toBeCloseTo(1.0, 12);
    expect(result.foldAccuracies[0]).toBe(0.5);
    for (let k = 1; k < 10; k++) {
      expect(result.foldThresholds[k]).toBeCloseTo(1.35, 12);
      expect(result.foldAccuracies[k]).toBe(1);
    }
    expect(result.accuracy).toBeCloseTo(0.95, 12);
    expect(result.threshold).toBeCloseTo((1.0 + 9 * 1.35) / 10, 12);
    // Sample std of [0.5, 1×9] = sqrt(0.025), over sqrt(10).
    expect(result.stdErr).toBeCloseTo(Math.sqrt(0.025) / Math.sqrt(10), 12);
  });

  it('needs at least two folds', () => {
    expect(() => tenFoldAccuracy([{ fold: 1, distance: 0.5, same: true }])).toThrow(/2 folds/);
  });
});

describe('crossValidatedAccuracy', () => {
  it('scores each held-out fold, and chooses its threshold, with what was fitted without it', () => {
    // Two "models": the one fitted without fold 1 separates at 1.0, the one without fold 2 at 0.3.
    const scores = (heldOut: number): FoldScoredPair[] => {
      const split = heldOut === 1 ? 1.0 : 0.3;
      return [1, 2].flatMap((fold) => [
        { fold, distance: split - 0.1, same: true },
        { fold, distance: split + 0.1, same: false },
      ]);
    };
    const asked: number[] = [];
    const result = crossValidatedAccuracy([1, 2], (fold) => {
      asked.push(fold);
      return scores(fold);
    });
    expect(asked).toEqual([1, 2]);
    expect(result.foldThresholds).toEqual([1.0, 0.3].map((t) => expect.closeTo(t, 12)));
    expect(result.foldAccuracies).toEqual([1, 1]);
  });
});
