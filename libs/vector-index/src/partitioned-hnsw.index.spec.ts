import { BruteForceIndex } from './brute-force.index.js';
import { CompactionEvent, PartitionedHnswIndex } from './partitioned-hnsw.index.js';
import { SyntheticFaces } from './synthetic-faces.js';

const DIM = 128;
const options = { dimension: DIM, m: 16, efConstruction: 200, efSearch: 64, exactSearchMaxSize: 0 };

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
  it('matches brute force (recall@1 ≥ 0.97, recall@10 ≥ 0.95) with one graph per partition', () => {
    const faces = new SyntheticFaces(DIM, 1500, 42);
    const { hnsw, exact, partitionOf } = build(faces, 1500, 3, ['a', 'b', 'c']);
    expect(hnsw.size).toBe(4500);
    expect(hnsw.graphPartitions().map((g) => [g.partition, g.size])).toEqual([['a', 1500], ['b', 1500], ['c', 1500]]);
    let at1 = 0;
    let at10 = 0;
    const queries = 300;
    for (let q = 0; q < queries; q++) {
      const id = (q * 7) % 1500;
      const partition = ['a', 'b', 'c'][id % 3];
      const query = faces.sample(id);
      const got = hnsw.search(query, 10, partition);
      const want = exact.search(query, 10, (label) => partitionOf.get(label) === partition);
      expect(got.every((hit) => partitionOf.get(hit.label) === partition)).toBe(true);
      if (got[0]?.label === want[0].label) at1++;
      at10 += got.filter((hit) => want.some((w) => w.label === hit.label)).length / 10;
    }
    expect(at1 / queries).toBeGreaterThanOrEqual(0.97);
    expect(at10 / queries).toBeGreaterThanOrEqual(0.95);
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

  it('keeps a partition as plain vectors up to exactSearchMaxSize, then moves it into a graph of its own', () => {
    const faces = new SyntheticFaces(DIM, 100, 9);
    const index = new PartitionedHnswIndex({ ...options, exactSearchMaxSize: 50 });
    const exact = new BruteForceIndex(DIM);
    const vectors: Float32Array[] = [];
    for (let label = 0; label < 100; label++) {
      const v = faces.sample(label);
      vectors.push(v);
      index.add(label, v, label < 60 ? 'big' : 'small');
      exact.add(label, v);
      if (label === 49) expect(index.graphPartitions()).toEqual([]);
      if (label === 50) expect(index.graphPartitions().map((g) => g.partition)).toEqual(['big']);
    }
    expect([...index.plainVectors()].map((v) => v.label)).toEqual(Array.from({ length: 40 }, (_, i) => 60 + i));
    for (let q = 0; q < 20; q++) {
      const query = faces.sample(q);
      expect(index.search(query, 3, 'big')[0].label).toBe(exact.search(query, 1, (label) => label < 60)[0].label);
      expect(index.search(query, 3, 'small').map((h) => h.label)).toEqual(exact.search(query, 3, (label) => label >= 60).map((h) => h.label));
    }
    expect(index.vector(70)).toEqual(Array.from(vectors[70]));
    expect(index.vector(10)).toEqual(Array.from(vectors[10]));
  });

  it('grows past its initial capacity and rejects duplicates and wrong dimensions', () => {
    const faces = new SyntheticFaces(DIM, 10, 5);
    const index = new PartitionedHnswIndex(options);
    for (let i = 0; i < 100; i++) index.add(i, faces.sample(i % 10), 'p');
    expect(index.size).toBe(100);
    expect(() => index.add(5, faces.sample(0), 'p')).toThrow(/already/);
    expect(() => index.add(500, new Float32Array(64), 'p')).toThrow(RangeError);
    expect(() => index.search(new Float32Array(3), 1, 'p')).toThrow(RangeError);
    expect(index.search(faces.sample(0), 5, 'unknown')).toEqual([]);
  });
});

describe('PartitionedHnswIndex compaction', () => {
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  /** A partition 'p' of `count` vectors (labels 0…count-1) and another partition 'q' of 100, with compaction at 20% deleted slots. */
  function setup(count: number, exactSearchMaxSize = 0) {
    const faces = new SyntheticFaces(DIM, count, 23);
    const events: CompactionEvent[] = [];
    const index = new PartitionedHnswIndex({ ...options, exactSearchMaxSize, compactDeletedFraction: 0.2, compactionSlice: 50, onCompaction: (e) => events.push(e) });
    const vectors = new Map<number, Float32Array>();
    const add = (label: number, v: Float32Array, partition = 'p') => {
      index.add(label, v, partition);
      vectors.set(label, v);
    };
    for (let label = 0; label < count; label++) add(label, faces.sample(label));
    for (let label = 0; label < 100; label++) add(100_000 + label, faces.sample(label), 'q');
    const remove = (label: number) => {
      expect(index.remove(label)).toBe(true);
      vectors.delete(label);
    };
    /** Every live vector of 'p' finds itself first; removed labels are never returned; results match brute force closely. */
    const check = () => {
      const exact = new BruteForceIndex(DIM);
      for (const [label, v] of vectors) if (label < 100_000) exact.add(label, v);
      expect(index.partitionSize('p')).toBe(exact.size);
      let agree = 0;
      for (const [label, v] of vectors) {
        if (label >= 100_000) continue;
        const hits = index.search(v, 10, 'p');
        expect(hits[0].label).toBe(label);
        expect(hits.every((hit) => vectors.has(hit.label) && hit.label < 100_000)).toBe(true);
        if (hits[1]?.label === exact.search(v, 2)[1].label) agree++;
      }
      expect(agree / exact.size).toBeGreaterThanOrEqual(0.95);
    };
    return { faces, index, events, vectors, add, remove, check };
  }

  it('rebuilds a partition whose deleted slots pass the fraction, keeping every change made meanwhile', async () => {
    const { faces, index, events, vectors, add, remove, check } = setup(500);
    // 100 deletions: 20% of the slots, not yet over the fraction.
    for (let label = 0; label < 100; label++) remove(label);
    await tick();
    expect(events).toEqual([]);
    remove(100); // over it: the rebuild of the 399 left starts, in slices of 50 insertions
    let ticks = 0;
    for (; ticks < 4; ticks++) await tick();
    expect(events).toEqual([]); // still running: the event loop turned between slices
    // Meanwhile: deletions (some already copied, some not), insertions, and a replacement under the same label.
    for (const label of [110, 400, 450]) remove(label);
    for (let label = 2000; label < 2030; label++) add(label, faces.sample(label % 500));
    remove(300);
    add(300, faces.sample(5));
    remove(2005);
    // A search during the rebuild is served by the old graph.
    expect(index.search(vectors.get(350)!, 1, 'p')[0].label).toBe(350);
    await index.settled();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ partition: 'p', live: 500 - 101 - 3 + 30 - 1, dropped: 101 });
    check();
    // The other partition was left alone, and the rebuilt graph reuses slots and grows as before.
    expect(index.partitionSize('q')).toBe(100);
    expect(index.search(vectors.get(100_007)!, 1, 'q')[0].label).toBe(100_007);
    for (let label = 3000; label < 3200; label++) add(label, faces.sample(label % 500));
    check();
  });

  it('turns a partition that shrank to exactSearchMaxSize back into plain vectors', async () => {
    const { index, events, remove, check } = setup(300, 150);
    expect(index.graphPartitions().map((g) => g.partition)).toEqual(['p']);
    for (let label = 0; label < 170; label++) remove(label);
    await index.settled();
    expect(events.map((e) => e.live)).toEqual([130]); // started at 61 removed; the 109 removals after it redone at the end
    expect(index.graphPartitions()).toEqual([]);
    check();
  });

  it('abandons the rebuild of a partition emptied meanwhile, and never compacts when the fraction is 0', async () => {
    const { index, events, remove } = setup(200);
    for (let label = 0; label < 41; label++) remove(label);
    for (let label = 41; label < 200; label++) remove(label);
    await index.settled();
    expect(events).toEqual([]);
    expect(index.partitionSize('p')).toBe(0);
    expect(index.search(new Float32Array(DIM).fill(0.1), 5, 'p')).toEqual([]);

    const off = new PartitionedHnswIndex({ ...options, compactDeletedFraction: 0, onCompaction: () => events.push({} as CompactionEvent) });
    const faces = new SyntheticFaces(DIM, 100, 3);
    for (let label = 0; label < 100; label++) off.add(label, faces.sample(label), 'p');
    for (let label = 0; label < 90; label++) off.remove(label);
    await off.settled();
    expect(events).toEqual([]);
    expect(off.search(faces.centres[95], 1, 'p')[0].label).toBe(95);
  });
});
