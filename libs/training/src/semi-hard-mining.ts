/** How a triplet's negative was chosen. */
export type NegativeKind = 'semi-hard' | 'fallback';

export interface MinedNegative {
  /** Index into the candidate distances. */
  index: number;
  distance: number;
  kind: NegativeKind;
}

/**
 * FaceNet's online semi-hard negative (Schroff et al. 2015, §3.2) for one anchor–positive pair:
 * among the anchor's negatives, the closest one that is still farther than the positive,
 * d(a,p) < d(a,n), and within the margin, d(a,n) < d(a,p) + α, so the triplet has a loss but
 * is not one of the hardest, which the paper found to collapse training early on.
 *
 * When there is none, it does what TensorFlow's `triplet_semihard_loss` (the reference
 * implementation of the paper's loss) does: if the closest negative farther than the positive is
 * beyond the margin, the pair is already solved (nothing is returned: no loss, no gradient); if every
 * negative is closer than the positive, the farthest of them, the easiest hard one, is used.
 * `isNegative(i)` says which candidates belong to other identities.
 */
export function mineSemiHardNegative(
  positiveDistance: number,
  distances: ArrayLike<number>,
  isNegative: (index: number) => boolean,
  margin: number,
): MinedNegative | undefined {
  let closestOutside = -1;
  let farthestInside = -1;
  for (let i = 0; i < distances.length; i++) {
    if (!isNegative(i)) continue;
    const d = distances[i];
    if (d > positiveDistance) {
      if (closestOutside < 0 || d < distances[closestOutside]) closestOutside = i;
    } else if (farthestInside < 0 || d > distances[farthestInside]) {
      farthestInside = i;
    }
  }
  if (closestOutside >= 0) {
    const distance = distances[closestOutside];
    return distance < positiveDistance + margin ? { index: closestOutside, distance, kind: 'semi-hard' } : undefined;
  }
  if (farthestInside >= 0) return { index: farthestInside, distance: distances[farthestInside], kind: 'fallback' };
  return undefined;
}
