export interface PrecisionRecall {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClusteringMetrics {
  /** Over pairs of items: precision = share of same-cluster pairs that are one identity; recall the converse. */
  pairwise: PrecisionRecall;
  /** Per item, averaged (Bagga & Baldwin): its cluster's share of its identity, and its identity's share in its cluster. */
  bcubed: PrecisionRecall;
  clusters: number;
  identities: number;
  items: number;
}

/**
 * Scores predicted cluster labels against true identities from the contingency table (items per
 * cluster × identity), so it costs O(N), not O(N²) pairs. An empty denominator (no pair shares a
 * cluster, or an identity) counts as perfect.
 */
export function clusteringMetrics(predicted: readonly (number | string)[], truth: readonly (number | string)[]): ClusteringMetrics {
  if (predicted.length !== truth.length) throw new Error(`${predicted.length} predicted labels for ${truth.length} items`);
  const clusterSizes = new Map<number | string, number>();
  const identitySizes = new Map<number | string, number>();
  const cells = new Map<string, { cluster: number | string; identity: number | string; count: number }>();
  predicted.forEach((cluster, i) => {
    const identity = truth[i];
    clusterSizes.set(cluster, (clusterSizes.get(cluster) ?? 0) + 1);
    identitySizes.set(identity, (identitySizes.get(identity) ?? 0) + 1);
    const key = JSON.stringify([cluster, identity]);
    const cell = cells.get(key);
    if (cell) cell.count++;
    else cells.set(key, { cluster, identity, count: 1 });
  });

  const pairs = (k: number) => (k * (k - 1)) / 2;
  const sumPairs = (sizes: Iterable<number>) => [...sizes].reduce((s, k) => s + pairs(k), 0);
  let truePairs = 0;
  let bPrecision = 0;
  let bRecall = 0;
  for (const { cluster, identity, count } of cells.values()) {
    truePairs += pairs(count);
    bPrecision += (count * count) / clusterSizes.get(cluster)!;
    bRecall += (count * count) / identitySizes.get(identity)!;
  }
  const ratio = (num: number, den: number) => (den === 0 ? 1 : num / den);
  const n = predicted.length;
  return {
    pairwise: withF1(ratio(truePairs, sumPairs(clusterSizes.values())), ratio(truePairs, sumPairs(identitySizes.values()))),
    bcubed: withF1(ratio(bPrecision, n), ratio(bRecall, n)),
    clusters: clusterSizes.size,
    identities: identitySizes.size,
    items: n,
  };
}

function withF1(precision: number, recall: number): PrecisionRecall {
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}
