import hnswlib from 'hnswlib-node';
import { SearchHit } from './search-hit.js';

export interface HnswGraphParameters {
  dimension: number;
  /** Graph degree (hnswlib M). */
  m: number;
  /** Candidate list while building. */
  efConstruction: number;
  seed?: number;
}

/**
 * One hnswlib graph (inner product on unit vectors) that grows by doubling and reuses the slots of
 * deleted labels: a removal only marks its element (hnswlib keeps routing through it), and the next
 * insertion takes its slot over.
 */
export class HnswGraph {
  /** Marked deleted and not reused yet. */
  deletedSlots = 0;

  /** A graph saved by `write` (check the file with scanHnswFile first) holding `liveCount` live labels. */
  static async read(parameters: HnswGraphParameters, path: string, liveCount: number): Promise<HnswGraph> {
    const graph = new HnswGraph(parameters, 16);
    await graph.index.readIndex(path, true);
    // hnswlib reads an empty graph back with no room at all.
    if (graph.index.getMaxElements() < 16) graph.index.resizeIndex(16);
    graph.deletedSlots = graph.index.getCurrentCount() - liveCount;
    return graph;
  }

  private readonly index: hnswlib.HierarchicalNSW;

  constructor(parameters: HnswGraphParameters, capacity: number) {
    this.index = new hnswlib.HierarchicalNSW('ip', parameters.dimension);
    this.index.initIndex({
      maxElements: Math.max(16, capacity),
      m: parameters.m,
      efConstruction: parameters.efConstruction,
      randomSeed: parameters.seed ?? 100,
      allowReplaceDeleted: true,
    });
  }

  /** Slots in use, live and deleted. */
  get slots(): number {
    return this.index.getCurrentCount();
  }

  add(label: number, vector: number[]): void {
    const reuse = this.deletedSlots > 0;
    const capacity = this.index.getMaxElements();
    if (!reuse && this.index.getCurrentCount() >= capacity) this.index.resizeIndex(capacity * 2);
    this.index.addPoint(vector, label, reuse);
    if (reuse) this.deletedSlots--;
  }

  remove(label: number): void {
    this.index.markDelete(label);
    this.deletedSlots++;
  }

  vector(label: number): number[] {
    return this.index.getPoint(label);
  }

  /** Labels of every slot, live or deleted (hnswlib forgets a deleted label once its slot is reused). */
  slotLabels(): number[] {
    return this.index.getIdsList();
  }

  /** The `k` nearest live labels with a candidate list of `ef`, most similar first. */
  search(query: number[], k: number, ef: number): SearchHit[] {
    this.index.setEf(ef);
    const { neighbors, distances } = this.index.searchKnn(query, k);
    return neighbors.map((label, i) => ({ label, similarity: 1 - distances[i] }));
  }

  /** Saves the graph in hnswlib's format (see hnsw-file.ts). Nothing may change it until the promise settles. */
  async write(path: string): Promise<void> {
    await this.index.writeIndex(path);
  }
}
