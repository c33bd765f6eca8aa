import { BruteForceIndex } from './brute-force.index.js';
import { PartitionedHnswIndex } from './partitioned-hnsw.index.js';
import { SyntheticFaces } from './synthetic-faces.js';

const DIM = 128;
const options = { dimension: DIM, m: 16, efConstruction: 200, efSearch: 64, exactSearchMaxSize: 0, initialCapacity: 64 };

function build(faces: SyntheticFaces, identities: number, perIdentity: number, partitions: string[]) {
  const hnsw = new PartitionedHnswIndex(options);
  const exact = new BruteForceIndex(DIM);
  const partitionOf = new Map<number, string>();
  const vectors = new Map<number, Float32Array>();
  let label = 1;
  for (let id = 0; id < identities; id++) {
    const partition = partitions[id % partitions.length];
    for (let s = 0; s < perIdentity; s++, label++) {
      const v = faces.sample(id);
      hnsw.add(label, v, partition);
      exact.add(label, v);
      partitionOf.set(label, partition);
      vectors.set(label, v);
    }
  }
  return { hnsw, exact, partitionOf, vectors };
}

describe('PartitionedHnswIndex', () => {
  it('matches brute force recall@1 ≥ 0.97 through the graph, filtered to a partition', () => {
    const faces = new SyntheticFaces(DIM, 1500, 42);
    const { hnsw, exact, partitionOf } = build(faces, 1500, 3, ['a', 'b', 'c']);
    expect(hnsw.size).toBe(4500);
    let agree = 0;
    const queries = 300;
    for (let q = 0; q < queries; q++) {
      const id = (q * 7) % 1500;
      const partition = ['a', 'b', 'c'][id % 3];
      const query = faces.sample(id);
      const got = hnsw.search(query, 10, partition);
      const want = exact.search(query, 10, (label) => partitionOf.get(label) === partition);
      expect(got.every((hit) => partitionOf.get(hit.label) === partition)).toBe(true);
      if (got[0]?.label === want[0].label) agree++;
    }
    expect(agree / queries).toBeGreaterThanOrEqual(0.97);
  });

  it('searches small partitions exactly, equal to brute force', () => {
    const faces = new SyntheticFaces(DIM, 200, 7);
    const { exact, partitionOf, vectors } = build(faces, 200, 2, ['x', 'y']);
    const small = new PartitionedHnswIndex({ ...options, exactSearchMaxSize: 1000 });
    for (const [label, partition] of partitionOf) small.add(label, vectors.get(label)!, partition);
    for (let q = 0; q < 50; q++) {
      const query = faces.sample(q);
      const got = small.search(query, 5, 'y');
      const want = exact.search(query, 5, (label) => partitionOf.get(label) === 'y');
      expect(got.map((h) => h.label)).toEqual(want.map((h) => h.label));
      got.forEach((hit, i) => expect(hit.similarity).toBeCloseTo(want[i].similarity, 5));
    }
  });

  it('never returns removed labels and reuses their slots', () => {
    const faces = new SyntheticFaces(DIM, 100, 3);
    const { hnsw } = build(faces, 100, 1, ['p']);
    const query = faces.sample(10);
    const best = hnsw.search(query, 1, 'p')[0].label;
    expect(hnsw.remove(best)).toBe(true);
    expect(hnsw.remove(best)).toBe(false);
    expect(hnsw.search(query, 100, 'p').map((h) => h.label)).not.toContain(best);
    expect(hnsw.size).toBe(99);
    hnsw.add(1000, faces.sample(10), 'p');
    expect(hnsw.search(query, 1, 'p')[0].label).toBe(1000);
    expect(hnsw.partitionSize('p')).toBe(100);
  });

  it('finds k distinct groups even when one group owns the nearest vectors', () => {
    const faces = new SyntheticFaces(DIM, 10, 11);
    const index = new PartitionedHnswIndex({ ...options, exactSearchMaxSize: 0 });
    const groupOf = new Map<number, string>();
    let label = 0;
    // Identity 0 has 60 samples, identities 1..9 one each: a plain top-k would be all identity 0.
    for (let i = 0; i < 60; i++, label++) {
      index.add(label, faces.sample(0), 'p');
      groupOf.set(label, 'id0');
    }
    for (let id = 1; id < 10; id++, label++) {
      index.add(label, faces.sample(id), 'p');
      groupOf.set(label, `id${id}`);
    }
    const hits = index.searchGroups(faces.sample(0), 5, 'p', (l) => groupOf.get(l)!);
    const groups = hits.map((h) => groupOf.get(h.label));
    expect(groups).toHaveLength(5);
    expect(new Set(groups).size).toBe(5);
    expect(groups[0]).toBe('id0');
    expect(hits.map((h) => h.similarity)).toEqual([...hits.map((h) => h.similarity)].sort((a, b) => b - a));
  });

  it('grows past its initial capacity and rejects duplicates and wrong dimensions', () => {
    const faces = new SyntheticFaces(DIM, 10, 5);
    const index = new PartitionedHnswIndex({ ...options, initialCapacity: 16 });
    for (let i = 0; i < 100; i++) index.add(i, faces.sample(i % 10), 'p');
    expect(index.size).toBe(100);
    expect(() => index.add(5, faces.sample(0), 'p')).toThrow(/already/);
    expect(() => index.add(500, new Float32Array(64), 'p')).toThrow(RangeError);
    expect(() => index.search(new Float32Array(3), 1, 'p')).toThrow(RangeError);
    expect(index.search(faces.sample(0), 5, 'unknown')).toEqual([]);
  });
});
