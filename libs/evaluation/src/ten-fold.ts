/** A scored pair: squared L2 distance between unit embeddings, and the truth. `distance <= threshold` means "same". */
export interface ScoredPair {
  distance: number;
  same: boolean;
}

export interface FoldScoredPair extends ScoredPair {
  /** Fold the pair belongs to (any integers; LFW uses 1..10). */
  fold: number;
}

export interface TenFoldResult {
  /** Mean of the per-fold accuracies. */
  accuracy: number;
  /** Standard error of the mean: sample std (n − 1) of the fold accuracies / sqrt(folds), as LFW's protocol defines it. */
  stdErr: number;
  /** Threshold chosen for each fold on the other folds only, in fold order. */
  foldThresholds: number[];
  /** Accuracy of each held-out fold under its threshold, in fold order. */
  foldAccuracies: number[];
  /** Mean of the fold thresholds: the value to ship. */
  threshold: number;
}

/**
 * The threshold that maximises accuracy (`distance <= t` → same). Candidates are the midpoints
 * between consecutive distinct distances; among equally good ones the smallest wins. With fewer
 * than two distinct distances there is no midpoint, and that one distance is returned.
 */
export function bestThreshold(scores: readonly ScoredPair[]): number {
  if (scores.length === 0) throw new Error('bestThreshold needs at least one scored pair');
  const sorted = [...scores].sort((x, y) => x.distance - y.distance);
  for (const s of sorted) if (!Number.isFinite(s.distance)) throw new Error(`Distance ${s.distance} is not finite`);
  // Sweep: below every distance all pairs are called "different", so the different ones are right.
  let correct = sorted.reduce((n, s) => n + (s.same ? 0 : 1), 0);
  let best = -1;
  let bestCorrect = -1;
  let i = 0;
  while (i < sorted.length) {
    const d = sorted[i].distance;
    // Move every pair at distance d to the "same" side.
    while (i < sorted.length && sorted[i].distance === d) {
      correct += sorted[i].same ? 1 : -1;
      i++;
    }
    if (i === sorted.length) break;
    // Integer counts: "strictly more" keeps the smallest of tied thresholds.
    if (correct > bestCorrect) {
      bestCorrect = correct;
      best = (d + sorted[i].distance) / 2;
    }
  }
  return bestCorrect < 0 ? sorted[0].distance : best;
}

export function accuracyAt(scores: readonly ScoredPair[], threshold: number): number {
  if (scores.length === 0) throw new Error('accuracyAt needs at least one scored pair');
  let correct = 0;
  for (const s of scores) if ((s.distance <= threshold) === s.same) correct++;
  return correct / scores.length;
}

/**
 * k-fold cross-validated verification accuracy (LFW "View 2" with 10 folds): for each fold the
 * threshold is chosen by `bestThreshold` on all the other folds and only then applied to it.
 */
export function tenFoldAccuracy(pairs: readonly FoldScoredPair[]): TenFoldResult {
  const folds = [...new Set(pairs.map((p) => p.fold))].sort((x, y) => x - y);
  return crossValidatedAccuracy(folds, () => pairs);
}

/**
 * The same protocol when the scores themselves depend on the held-out fold, e.g. distances through
 * a map trained without that fold's identities: `scoresFor(fold)` scores every pair with what was
 * fitted without `fold`; the threshold is chosen on its other folds' pairs and applied to its own.
 */
export function crossValidatedAccuracy(folds: readonly number[], scoresFor: (heldOut: number) => readonly FoldScoredPair[]): TenFoldResult {
  if (folds.length < 2) throw new Error(`Cross-validation needs at least 2 folds, got ${folds.length}`);
  const foldThresholds: number[] = [];
  const foldAccuracies: number[] = [];
  for (const fold of folds) {
    const scores = scoresFor(fold);
    const threshold = bestThreshold(scores.filter((p) => p.fold !== fold));
    foldThresholds.push(threshold);
    foldAccuracies.push(accuracyAt(scores.filter((p) => p.fold === fold), threshold));
  }
  const k = folds.length;
  const accuracy = mean(foldAccuracies);
  const variance = foldAccuracies.reduce((s, a) => s + (a - accuracy) ** 2, 0) / (k - 1);
  return {
    accuracy,
    stdErr: Math.sqrt(variance) / Math.sqrt(k),
    foldThresholds,
    foldAccuracies,
    threshold: mean(foldThresholds),
  };
}

const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
