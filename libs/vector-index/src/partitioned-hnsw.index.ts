import hnswlib from 'hnswlib-node';
import { innerProduct, topK } from './brute-force.index.js';
import { checkDimension, SearchHit } from './search-hit.js';

export interface HnswOptions {
  dimension: number;
  /** Graph degree (hnswlib M). */
  m: number;
  /** Candidate list while building. */
  efConstruction: number;
  /** Candidate list while searching; raised to k when k is larger. */
  efSearch: number;
  /** Partitions with at most this many vectors are searched exactly instead of through the graph. */
  exactSearchMaxSize: number;
  /** Slots reserved up front; the index doubles when full. */
  initialCapacity?: number;
  seed?: number;
}

/**
 * One HNSW graph (inner product on unit vectors) over vectors that each belong to a partition
 * (a gallery), searched one partition at a time. Small partitions are scanned exactly — cheaper
 * and exact where a filtered graph walk would visit mostly other partitions' nodes; larger ones
 * use the graph with a partition filter. Deleted labels' slots are reused by later inserts.
 */
export class PartitionedHnswIndex {
  private readonly index: hnswlib.HierarchicalNSW;
  private readonly partitionOf = new Map<number, string>();
  private readonly members = new Map<string, Set<number>>();
  private capacity: number;
  private deletedSlots = 0;

  /**
   * An index over the graph that `writeGraph` saved at `path` (check it with scanHnswFile first),
   * given the partition of each of its live labels.
   */
  static async readGraph(options: HnswOptions, path: string, partitions: Iterable<readonly [number, string]>): Promise<PartitionedHnswIndex> {
    const loaded = new PartitionedHnswIndex({ ...options, initialCapacity: 16 });
    await loaded.index.readIndex(path, true);
    loaded.index.setEf(options.efSearch);
    // hnswlib reads an empty graph back with no room at all.
    loaded.capacity = loaded.index.getMaxElements();
    if (loaded.capacity < 16) loaded.index.resizeIndex((loaded.capacity = 16));
    for (const [label, partition] of partitions) loaded.place(label, partition);
    loaded.deletedSlots = loaded.index.getCurrentCount() - loaded.size;
    return loaded;
  }

  constructor(private readonly options: HnswOptions) {
    this.capacity = Math.max(16, options.initialCapacity ?? 1024);
    this.index = new hnswlib.HierarchicalNSW('ip', options.dimension);
    this.index.initIndex({
      maxElements: this.capacity,
      m: options.m,
      efConstruction: options.efConstruction,
      randomSeed: options.seed ?? 100,
      allowReplaceDeleted: true,
    });
    this.index.setEf(options.efSearch);
  }

  get dimension(): number {
    return this.options.dimension;
  }

  get size(): number {
    return this.partitionOf.size;
  }

  partitionSize(partition: string): number {
    return this.members.get(partition)?.size ?? 0;
  }

  has(label: number): boolean {
    return this.partitionOf.has(label);
  }

  add(label: number, vector: ArrayLike<number>, partition: string): void {
    checkDimension(vector, this.options.dimension);
    if (this.partitionOf.has(label)) throw new Error(`Label ${label} is already in the index`);
    const reuse = this.deletedSlots > 0;
    if (!reuse && this.index.getCurrentCount() >= this.capacity) {
      this.capacity *= 2;
      this.index.resizeIndex(this.capacity);
    }
    this.index.addPoint(Array.from(vector), label, reuse);
    if (reuse) this.deletedSlots--;
    this.place(label, partition);
  }

  /** The stored vector of a live label. */
  vector(label: number): number[] {
    if (!this.partitionOf.has(label)) throw new Error(`Label ${label} is not in the index`);
    return this.index.getPoint(label);
  }

  /**
   * Saves the graph in hnswlib's format (see hnsw-file.ts; partitions are the caller's to keep).
   * Nothing may change the index until the promise settles: hnswlib writes from another thread.
   */
  async writeGraph(path: string): Promise<void> {
    await this.index.writeIndex(path);
  }

  private place(label: number, partition: string): void {
    this.partitionOf.set(label, partition);
    let set = this.members.get(partition);
    if (!set) this.members.set(partition, (set = new Set()));
    set.add(label);
  }

  remove(label: number): boolean {
    const partition = this.partitionOf.get(label);
    if (partition === undefined) return false;
    this.index.markDelete(label);
    this.deletedSlots++;
    this.partitionOf.delete(label);
    const set = this.members.get(partition)!;
    set.delete(label);
    if (set.size === 0) this.members.delete(partition);
    return true;
  }

  /**
   * Up to `k` nearest groups (e.g. identities) of `partition`, each represented by its most similar
   * vector, best first. Vectors are over-fetched so that a group with many vectors cannot crowd out
   * the others; the fetch grows until k groups are found or the partition is exhausted.
   */
  searchGroups(query: ArrayLike<number>, k: number, partition: string, groupOf: (label: number) => string): SearchHit[] {
    const partitionSize = this.partitionSize(partition);
    let fetch = Math.min(partitionSize, k * 4);
    for (;;) {
      const best = new Map<string, SearchHit>();
      for (const hit of this.search(query, fetch, partition)) {
        const group = groupOf(hit.label);
        if (!best.has(group)) best.set(group, hit);
      }
      if (best.size >= k || fetch >= partitionSize) return [...best.values()].slice(0, k);
      fetch = Math.min(partitionSize, fetch * 4);
    }
  }

  /** Up to `k` nearest vectors of `partition`, most similar first. */
  search(query: ArrayLike<number>, k: number, partition: string): SearchHit[] {
    checkDimension(query, this.options.dimension);
    const members = this.members.get(partition);
    if (!members || k < 1) return [];
    if (members.size <= Math.max(k, this.options.exactSearchMaxSize)) {
      const hits: SearchHit[] = [];
      for (const label of members) hits.push({ label, similarity: innerProduct(query, this.index.getPoint(label)) });
      return topK(hits, k);
    }
    this.index.setEf(Math.max(this.options.efSearch, k));
    const { neighbors, distances } = this.index.searchKnn(
      Array.from(query),
      Math.min(k, members.size),
      (label) => members.has(label),
    );
    return neighbors.map((label, i) => ({ label, similarity: 1 - distances[i] }));
  }
}
