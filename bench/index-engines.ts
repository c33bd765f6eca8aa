// The engines the index benchmark compares, behind one small async interface so that an engine
// whose calls go over a connection (pgvector) fits beside the in-process ones.
import hnswlib from 'hnswlib-node';
import { HnswOptions, PartitionedHnswIndex } from '../libs/vector-index/src/partitioned-hnsw.index.js';
import { exactSearch } from './index-data.js';

/** One engine as the benchmark drives it: items are identified by their position in the gallery. */
export interface BenchEngine {
  /** Adds gallery vectors `from`…`to - 1` of `vectors`. */
  add(vectors: Float32Array, from: number, to: number): Promise<void>;
  /** Up to `k` gallery positions nearest to `query`, best first, searching with candidate list `ef`. */
  search(query: Float32Array, k: number, ef: number): Promise<number[]>;
  /** Saves its graph (engines that have one) for `rawFromFile`. */
  writeGraph?(path: string): Promise<void>;
  /** Removes `count` seeded random vectors and adds them back under new labels: the index as it is after deletions and re-enrollments. */
  churn?(vectors: Float32Array, count: number, seed: number): Promise<void>;
}

export interface GraphParameters {
  dimension: number;
  m: number;
  efConstruction: number;
  seed: number;
}

const slice = (vectors: Float32Array, dimension: number, i: number) => vectors.subarray(i * dimension, (i + 1) * dimension);

/** hnswlib-node used directly, as an application without the platform would: one graph, labels = positions. */
export function rawHnsw({ dimension, m, efConstruction, seed }: GraphParameters, capacity: number): BenchEngine {
  const index = new hnswlib.HierarchicalNSW('ip', dimension);
  index.initIndex({ maxElements: capacity, m, efConstruction, randomSeed: seed });
  return rawEngine(index, dimension);
}

/** hnswlib-node over a graph another engine saved: the same graph, searched without the platform around it. */
export async function rawFromFile(dimension: number, path: string): Promise<BenchEngine> {
  const index = new hnswlib.HierarchicalNSW('ip', dimension);
  await index.readIndex(path);
  return rawEngine(index, dimension);
}

function rawEngine(index: hnswlib.HierarchicalNSW, dimension: number): BenchEngine {
  return {
    async add(vectors, from, to) {
      for (let i = from; i < to; i++) index.addPoint(Array.from(slice(vectors, dimension, i)), i);
    },
    async search(query, k, ef) {
      index.setEf(ef);
      return index.searchKnn(Array.from(query), k).neighbors;
    },
    async writeGraph(path) {
      await index.writeIndex(path);
    },
  };
}

/** The owner FaceIndexService keeps per label, reduced to what the benchmark needs to score a hit. */
interface Owner {
  position: number;
  identity: number;
}

const GALLERY = 'bench';

/**
 * The platform's engine as FaceIndexService drives it: labels of its own (embedding row ids) mapped to
 * owners, every vector in one gallery partition (so it gets a graph of its own once past
 * exactSearchMaxSize), loaded in batches with the event loop turning between them.
 */
export function serviceEngine(options: HnswOptions, identities: Int32Array): BenchEngine & { index: PartitionedHnswIndex; owners: Map<number, Owner> } {
  const index = new PartitionedHnswIndex(options);
  const owners = new Map<number, Owner>();
  // Labels are positions until the churn re-enrolls faces under new ones: the service's graph is then searchable by raw hnswlib as is.
  let nextLabel = 0;
  const enroll = (vectors: Float32Array, position: number) => {
    const label = nextLabel++;
    index.add(label, slice(vectors, options.dimension, position), GALLERY);
    owners.set(label, { position, identity: identities[position] });
  };
  return {
    index,
    owners,
    async add(vectors, from, to) {
      for (let i = from; i < to; i++) enroll(vectors, i);
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
    async search(query, k, ef) {
      index.efSearch = ef;
      return index.search(query, k, GALLERY).map((hit) => owners.get(hit.label)!.position);
    },
    async writeGraph(path) {
      const [graph] = index.graphPartitions();
      await graph.write(path);
    },
    async churn(vectors, count, seed) {
      // A seeded choice of labels to remove (distinct: a label removed twice would be a no-op).
      const labels = [...owners.keys()];
      let state = seed;
      for (let i = 0; i < count && i < labels.length; i++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        const j = i + (state % (labels.length - i));
        [labels[i], labels[j]] = [labels[j], labels[i]];
        const { position } = owners.get(labels[i])!;
        index.remove(labels[i]);
        owners.delete(labels[i]);
        enroll(vectors, position);
      }
      await index.settled();
    },
  };
}

/** Exact scan of every vector (hnswlib's BruteforceSearch): recall 1 by construction against float vectors, less when it scans int8-restored ones. */
export function bruteForce(dimension: number): BenchEngine {
  let scan: ReturnType<typeof exactSearch> | undefined;
  return {
    async add(vectors, from, to) {
      if (from !== 0 || scan) throw new Error('the brute-force engine takes the whole gallery at once');
      scan = exactSearch(vectors, dimension, from, to);
    },
    async search(query, k) {
      return scan!.searchKnn(Array.from(query), k).neighbors;
    },
  };
}
