import { innerProduct, topK } from './brute-force.index.js';
import { HnswGraph, HnswGraphParameters } from './hnsw-graph.js';
import { checkDimension, SearchHit } from './search-hit.js';

export interface HnswOptions extends HnswGraphParameters {
  /** Candidate list while searching; raised to k when k is larger. */
  efSearch: number;
  /** Partitions with at most this many vectors are kept as plain vectors and searched exactly; larger ones get their own graph. */
  exactSearchMaxSize: number;
  /**
   * A partition's graph is rebuilt from its live vectors once its deleted, not yet reused slots pass
   * this fraction of its slots (0: never). Deleted slots still cost memory and search time.
   */
  compactDeletedFraction?: number;
  /** Insertions per slice of a compaction; the event loop runs between slices. */
  compactionSlice?: number;
  /** Told about each finished or failed compaction (the engine has no logger of its own). */
  onCompaction?: (event: CompactionEvent) => void;
}

export interface CompactionEvent {
  partition: string;
  /** Live vectors after the compaction; undefined when it failed. */
  live?: number;
  /** Deleted slots dropped. */
  dropped?: number;
  ms: number;
  error?: Error;
}

/** One partition saved through `graphPartitions`, for `restore`. */
export interface SavedGraph {
  partition: string;
  path: string;
  /** Its live labels (as scanHnswFile lists them). */
  liveCount: number;
}

export interface SavableGraph {
  partition: string;
  /** Live vectors. */
  size: number;
  write(path: string): Promise<void>;
}

export interface StoredVector {
  label: number;
  partition: string;
  vector: Float32Array;
}

/**
 * Insertions per compaction slice by default: one costs ≈ 1.1 ms in a 1M-face graph at M 16 on an
 * idle core (docs/vector-index-facts), more at M 32, so a slice holds the event loop some 20–40 ms.
 */
const COMPACTION_SLICE = 20;

/** A rebuild in progress: labels changed since it started are redone when it finishes. */
interface Compaction {
  touched: Set<number>;
  aborted: boolean;
}

/** The vectors of one partition: plain (small, scanned exactly) or in a graph of their own. */
class Partition {
  size = 0;
  flat?: Map<number, Float32Array> = new Map();
  graph?: HnswGraph;
  compaction?: Compaction;

  constructor(readonly name: string) {}
}

/**
 * Vectors that each belong to a partition (a gallery), searched one partition at a time. A small
 * partition is a list of vectors scanned exactly: cheaper and exact where a graph buys nothing. One
 * that grows past `exactSearchMaxSize` gets an HNSW graph of its own, searched without a filter
 * (hnswlib calls a JS filter per visited node, 8× slower when selective; see
 * docs/vector-index-facts). Deleted labels' slots are reused by later inserts; when deletions
 * outrun inserts and the deleted fraction passes `compactDeletedFraction`, the graph is rebuilt
 * from its live vectors in slices on the event loop, the old graph serving until the swap.
 */
export class PartitionedHnswIndex {
  private readonly partitions = new Map<string, Partition>();
  private readonly partitionOf = new Map<number, Partition>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  /** An index from graphs saved through `graphPartitions` (checked with scanHnswFile first) and the plain vectors of the small partitions. */
  static async restore(options: HnswOptions, graphs: SavedGraph[], labels: Iterable<readonly [number, string]>, flat: Iterable<StoredVector>): Promise<PartitionedHnswIndex> {
    const index = new PartitionedHnswIndex(options);
    for (const saved of graphs) {
      const partition = index.partitionNamed(saved.partition);
      partition.flat = undefined;
      partition.graph = await HnswGraph.read(options, saved.path, saved.liveCount);
    }
    for (const [label, name] of labels) {
      const partition = index.partitions.get(name);
      if (!partition?.graph) throw new Error(`Label ${label} belongs to partition ${name}, which has no graph`);
      index.place(label, partition);
    }
    for (const { label, partition, vector } of flat) index.add(label, vector, partition);
    // The configured threshold applies to what was saved under another one.
    for (const partition of index.partitions.values()) if (partition.graph && partition.size <= options.exactSearchMaxSize) index.demote(partition);
    return index;
  }

  constructor(private readonly options: HnswOptions) {}

  get dimension(): number {
    return this.options.dimension;
  }

  get size(): number {
    return this.partitionOf.size;
  }

  /** Candidate list of graph searches (at least k). */
  get efSearch(): number {
    return this.options.efSearch;
  }

  set efSearch(value: number) {
    this.options.efSearch = value;
  }

  partitionSize(partition: string): number {
    return this.partitions.get(partition)?.size ?? 0;
  }

  has(label: number): boolean {
    return this.partitionOf.has(label);
  }

  add(label: number, vector: ArrayLike<number>, partitionName: string): void {
    checkDimension(vector, this.options.dimension);
    if (this.partitionOf.has(label)) throw new Error(`Label ${label} is already in the index`);
    const partition = this.partitionNamed(partitionName);
    if (partition.graph) partition.graph.add(label, Array.from(vector));
    else partition.flat!.set(label, Float32Array.from(vector));
    partition.compaction?.touched.add(label);
    this.place(label, partition);
    if (partition.flat && partition.size > this.options.exactSearchMaxSize) this.promote(partition);
  }

  remove(label: number): boolean {
    const partition = this.partitionOf.get(label);
    if (!partition) return false;
    this.partitionOf.delete(label);
    partition.size--;
    if (partition.graph) partition.graph.remove(label);
    else partition.flat!.delete(label);
    partition.compaction?.touched.add(label);
    if (partition.size === 0) {
      if (partition.compaction) partition.compaction.aborted = true;
      this.partitions.delete(partition.name);
    } else if (this.compactionDue(partition)) {
      this.compact(partition);
    }
    return true;
  }

  /** The stored vector of a live label. */
  vector(label: number): number[] {
    const partition = this.partitionOf.get(label);
    if (!partition) throw new Error(`Label ${label} is not in the index`);
    return partition.graph ? partition.graph.vector(label) : Array.from(partition.flat!.get(label)!);
  }

  /**
   * The partitions that have a graph, each with its live size and a way to save that graph in
   * hnswlib's format (see hnsw-file.ts; labels are the caller's to keep). The graphs are taken as
   * they are now: a compaction finishing later swaps in a new graph, it never changes these.
   * Nothing may add or remove until every write settles: hnswlib writes from another thread.
   */
  graphPartitions(): SavableGraph[] {
    return [...this.partitions.values()]
      .filter((partition) => partition.graph)
      .map(({ name, size, graph }) => ({ partition: name, size, write: (path: string) => graph!.write(path) }));
  }

  /** Every vector of the partitions searched exactly. */
  *plainVectors(): Iterable<StoredVector> {
    for (const partition of this.partitions.values()) {
      for (const [label, vector] of partition.flat ?? []) yield { label, partition: partition.name, vector };
    }
  }

  /** Resolves when no compaction is running (rejects with the first that failed). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  /** Stops running compactions (their partitions keep their current graphs). */
  close(): void {
    this.closed = true;
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
  search(query: ArrayLike<number>, k: number, partitionName: string): SearchHit[] {
    checkDimension(query, this.options.dimension);
    const partition = this.partitions.get(partitionName);
    if (!partition || k < 1) return [];
    if (partition.flat) return exactSearch(query, partition.flat, k);
    // Asking hnswlib for every live vector (or more) is a scan anyway, and it may return fewer.
    if (k >= partition.size) return exactSearch(query, this.liveVectors(partition), k);
    return partition.graph!.search(Array.from(query), k, Math.max(this.options.efSearch, k));
  }

  private partitionNamed(name: string): Partition {
    let partition = this.partitions.get(name);
    if (!partition) this.partitions.set(name, (partition = new Partition(name)));
    return partition;
  }

  private place(label: number, partition: Partition): void {
    this.partitionOf.set(label, partition);
    partition.size++;
  }

  /** The live labels and vectors of a graph partition. */
  private *liveVectors(partition: Partition): Iterable<[number, number[]]> {
    for (const label of partition.graph!.slotLabels()) {
      if (this.partitionOf.get(label) === partition) yield [label, partition.graph!.vector(label)];
    }
  }

  /** Moves a partition that outgrew exact search into a graph, at once: it holds only exactSearchMaxSize + 1 vectors. */
  private promote(partition: Partition): void {
    const graph = new HnswGraph(this.options, 2 * partition.size);
    for (const [label, vector] of partition.flat!) graph.add(label, Array.from(vector));
    partition.graph = graph;
    partition.flat = undefined;
  }

  /** Moves a graph partition back to plain vectors. */
  private demote(partition: Partition): void {
    partition.flat = new Map([...this.liveVectors(partition)].map(([label, vector]) => [label, Float32Array.from(vector)]));
    partition.graph = undefined;
  }

  private compactionDue(partition: Partition): boolean {
    const fraction = this.options.compactDeletedFraction ?? 0;
    const graph = partition.graph;
    return fraction > 0 && !!graph && !partition.compaction && !this.closed && graph.deletedSlots > fraction * graph.slots;
  }

  /** Starts rebuilding `partition` from its live vectors (see rebuild). */
  private compact(partition: Partition): void {
    const compaction: Compaction = { touched: new Set(), aborted: false };
    partition.compaction = compaction;
    const started = performance.now();
    const dropped = partition.graph!.deletedSlots;
    const run = this.rebuild(partition, compaction)
      .then(
        (done) => {
          if (done) this.options.onCompaction?.({ partition: partition.name, live: partition.size, dropped, ms: performance.now() - started });
        },
        (error: Error) => {
          this.options.onCompaction?.({ partition: partition.name, ms: performance.now() - started, error });
          throw error;
        },
      )
      .finally(() => {
        partition.compaction = undefined;
        this.running.delete(run);
      });
    this.running.add(run);
    // A failure reaches `settled` and onCompaction; the old graph keeps serving.
    run.catch(() => undefined);
  }

  /**
   * Builds a new graph (or plain list, when few vectors are left) from the live vectors, a slice at a
   * time; the old graph keeps serving searches, insertions and removals meanwhile, and every label
   * they touch is redone on the new graph at the end, in the same synchronous step as the swap, so
   * nothing that happened during the rebuild is lost. Resolves false when aborted.
   */
  private async rebuild(partition: Partition, compaction: Compaction): Promise<boolean> {
    const old = partition.graph!;
    const labels = old.slotLabels().filter((label) => this.partitionOf.get(label) === partition);
    const slice = this.options.compactionSlice ?? COMPACTION_SLICE;
    const small = labels.length <= this.options.exactSearchMaxSize;
    const graph = small ? undefined : new HnswGraph(this.options, Math.ceil(labels.length * 1.25));
    const flat = small ? new Map<number, Float32Array>() : undefined;
    const copied = new Set<number>();
    const copy = (label: number) => {
      if (graph) graph.add(label, old.vector(label));
      else flat!.set(label, Float32Array.from(old.vector(label)));
      copied.add(label);
    };
    for (let from = 0; from < labels.length; from += slice) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (compaction.aborted || this.closed || partition.graph !== old) return false;
      for (const label of labels.slice(from, from + slice)) {
        if (!compaction.touched.has(label) && this.partitionOf.get(label) === partition) copy(label);
      }
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (compaction.aborted || this.closed || partition.graph !== old) return false;
    for (const label of compaction.touched) {
      if (copied.delete(label)) {
        if (graph) graph.remove(label);
        else flat!.delete(label);
      }
      if (this.partitionOf.get(label) === partition) copy(label);
    }
    partition.graph = graph;
    partition.flat = flat;
    if (graph && partition.size <= this.options.exactSearchMaxSize) this.demote(partition);
    return true;
  }
}

function exactSearch(query: ArrayLike<number>, vectors: Iterable<[number, ArrayLike<number>]>, k: number): SearchHit[] {
  const hits: SearchHit[] = [];
  for (const [label, vector] of vectors) hits.push({ label, similarity: innerProduct(query, vector) });
  return topK(hits, k);
}
