import { clusteringMetrics } from './clustering-metrics.js';

describe('clusteringMetrics', () => {
  it('scores a mixed clustering from the contingency counts', () => {
    // Clusters {a,a,b} {b,b} {c}: 2 of 4 same-cluster pairs are one identity, 2 of 4 same-identity pairs share a cluster.
    const m = clusteringMetrics([0, 0, 0, 1, 1, 2], ['a', 'a', 'b', 'b', 'b', 'c']);
    expect(m.pairwise).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5 });
    // BCubed precision: (2·2/3 + 1·1/3 + 2·2/2 + 1·1/1) / 6 = 7/9; recall the same by symmetry here.
    expect(m.bcubed.precision).toBeCloseTo(7 / 9, 12);
    expect(m.bcubed.recall).toBeCloseTo(7 / 9, 12);
    expect({ clusters: m.clusters, identities: m.identities, items: m.items }).toEqual({ clusters: 3, identities: 3, items: 6 });
  });

  it('rewards purity but not completeness for singletons', () => {
    const m = clusteringMetrics([0, 1, 2, 3], ['a', 'a', 'b', 'b']);
    expect(m.pairwise).toEqual({ precision: 1, recall: 0, f1: 0 });
    expect(m.bcubed.precision).toBe(1);
    expect(m.bcubed.recall).toBe(0.5);
    expect(m.bcubed.f1).toBeCloseTo(2 / 3, 12);
  });

  it('rewards completeness but not purity for one big cluster', () => {
    const m = clusteringMetrics(['x', 'x', 'x', 'x'], ['a', 'a', 'b', 'b']);
    expect(m.pairwise.precision).toBeCloseTo(1 / 3, 12);
    expect(m.pairwise.recall).toBe(1);
    expect(m.bcubed).toEqual({ precision: 0.5, recall: 1, f1: 2 / 3 });
  });

  it('is perfect for the true partition whatever the label names', () => {
    const m = clusteringMetrics([7, 7, 3, 9], ['a', 'a', 'b', 'c']);
    expect(m.pairwise).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(m.bcubed).toEqual({ precision: 1, recall: 1, f1: 1 });
  });

  it('refuses labels of different lengths', () => {
    expect(() => clusteringMetrics([0], ['a', 'b'])).toThrow(/1 predicted labels for 2 items/);
  });
});
