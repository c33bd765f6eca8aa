import { clusteringMetrics } from '../../../evaluation/src/clustering-metrics.js';
import { SyntheticFaces } from '../synthetic-faces.js';
import { assignToCluster, clusterVectors } from './agglomerative-clustering.js';

const DIM = 128;
/** The model's default threshold (FAR 1e-4); synthetic mates sit near 0.62, strangers near 2. */
const THRESHOLD = 1.19;

/** `count` unit vectors on a great circle, consecutive ones `step` squared distance apart. */
function arc(count: number, step: number): Float32Array[] {
  const angle = Math.acos(1 - step / 2);
  return Array.from({ length: count }, (_, i) => {
    const v = new Float32Array(8);
    v[0] = Math.cos(i * angle);
    v[1] = Math.sin(i * angle);
    return v;
  });
}

describe('clusterVectors (average linkage on a kNN graph)', () => {
  it('recovers 200 synthetic identities × 5 samples with pairwise precision ≥ 0.98', () => {
    const faces = new SyntheticFaces(DIM, 200, 11);
    const vectors: Float32Array[] = [];
    const truth: number[] = [];
    for (let id = 0; id < 200; id++) {
      for (let s = 0; s < 5; s++) {
        vectors.push(faces.sample(id));
        truth.push(id);
      }
    }
    const { labels, clusters } = clusterVectors(vectors, { threshold: THRESHOLD });
    const metrics = clusteringMetrics(labels, truth);
    expect(clusters).toBe(metrics.clusters);
    expect(clusters).toBeGreaterThanOrEqual(190);
    expect(clusters).toBeLessThanOrEqual(215);
    expect(metrics.pairwise.precision).toBeGreaterThanOrEqual(0.98);
    expect(metrics.pairwise.recall).toBeGreaterThanOrEqual(0.9);
  });

  it('does not chain along a line of points each just within the threshold of the next', () => {
    // Single linkage would make one cluster of all 30; the mean over all pairs of two clusters stops it.
    const threshold = 0.01;
    const { labels, clusters } = clusterVectors(arc(30, 0.0099), { threshold });
    expect(clusters).toBeGreaterThanOrEqual(10);
    const sizes = new Map<number, number>();
    for (const label of labels) sizes.set(label, (sizes.get(label) ?? 0) + 1);
    expect(Math.max(...sizes.values())).toBeLessThanOrEqual(3);
    expect(clusters).toBeLessThan(30); // neighbours within the threshold do merge
  });

  it('keeps strangers apart and handles trivial inputs', () => {
    expect(clusterVectors([], { threshold: THRESHOLD })).toEqual({ labels: [], clusters: 0 });
    const faces = new SyntheticFaces(DIM, 3, 5);
    expect(clusterVectors([faces.sample(0)], { threshold: THRESHOLD })).toEqual({ labels: [0], clusters: 1 });
    const { labels } = clusterVectors([faces.sample(0), faces.sample(1), faces.sample(0), faces.sample(2)], { threshold: THRESHOLD });
    expect(labels).toEqual([0, 1, 0, 2]);
  });
});

describe('assignToCluster', () => {
  const faces = new SyntheticFaces(DIM, 20, 3);
  const clusters = Array.from({ length: 10 }, (_, id) => Array.from({ length: 4 }, () => faces.sample(id)));

  it('joins a new sample to its identity’s cluster', () => {
    for (let id = 0; id < 10; id++) {
      const assignment = assignToCluster(faces.sample(id), clusters, { threshold: THRESHOLD });
      expect(assignment?.cluster).toBe(id);
      expect(assignment!.distance).toBeLessThanOrEqual(THRESHOLD);
    }
  });

  it('answers null for a stranger, and for no clusters', () => {
    for (let id = 10; id < 20; id++) expect(assignToCluster(faces.sample(id), clusters, { threshold: THRESHOLD })).toBeNull();
    expect(assignToCluster(faces.sample(0), [], { threshold: THRESHOLD })).toBeNull();
  });
});
