// The pgvector face index as the index benchmark drives an engine: the same store, SQL and HNSW
// settings as INDEX_BACKEND=pgvector (PgvectorFaceStore), over any Postgres with pgvector.
import { createHash } from 'node:crypto';
import { IndexedEmbedding, PgvectorFaceStore } from '../libs/database/src/index.js';
import { SearchHit } from '../libs/vector-index/src/index.js';

export interface PgvectorEngineOptions {
  url: string;
  dimension: number;
  m: number;
  efConstruction: number;
  efSearch: number;
}

/** The model space the benchmark's rows live in, apart from any real model's. */
const BENCH_MODEL = 'bench-pgvector';
/** Rows handed to the store per batch while building. */
const BUILD_BATCH = 5000;

/**
 * Labels are positions in the gallery; a partition is a gallery. Building loads every row, then
 * builds the HNSW index over them in one statement (as a rebuild does), replacing what an earlier
 * run left. One connection, so that `setEfSearch` applies to every later search.
 */
export class PgvectorIndexEngine {
  private store: PgvectorFaceStore;

  private constructor(private readonly options: PgvectorEngineOptions, readonly pgvectorVersion: string, store: PgvectorFaceStore) {
    this.store = store;
  }

  static async open(options: PgvectorEngineOptions): Promise<PgvectorIndexEngine> {
    const store = new PgvectorFaceStore({ url: options.url, efSearch: options.efSearch, maxConnections: 1 });
    const { pgvectorVersion } = await store.open();
    return new PgvectorIndexEngine(options, pgvectorVersion, store);
  }

  /** Indexes `vectors` (n × dimension, one after another), vector i in partition `partitions[i]` under label i. */
  async build(vectors: Float32Array, partitions: readonly string[]): Promise<void> {
    const { dimension, m, efConstruction } = this.options;
    const n = vectors.length / dimension;
    async function* batches(): AsyncGenerator<IndexedEmbedding[]> {
      for (let from = 0; from < n; from += BUILD_BATCH) {
        const batch: IndexedEmbedding[] = [];
        for (let i = from; i < Math.min(n, from + BUILD_BATCH); i++) {
          const id = uuidOf(`face ${i}`);
          batch.push({ label: i, galleryId: uuidOf(`gallery ${partitions[i]}`), identityId: id, faceId: id, vector: vectors.subarray(i * dimension, (i + 1) * dimension) });
        }
        yield batch;
      }
    }
    await this.store.rebuildIf(
      { modelVersionId: BENCH_MODEL, dimension, databaseId: 'bench', m, efConstruction },
      async () => 'benchmark build',
      async () => ({ watermark: 0, batches: batches() }),
    );
  }

  /** Up to `k` nearest vectors of `partition`, most similar first. */
  async search(query: Float32Array, k: number, partition: string): Promise<SearchHit[]> {
    const hits = await this.store.searchFaces(BENCH_MODEL, this.options.dimension, uuidOf(`gallery ${partition}`), query, k);
    return hits.map(({ label, similarity }) => ({ label, similarity }));
  }

  async remove(label: number): Promise<boolean> {
    return (await this.store.remove(BENCH_MODEL, [label])) > 0;
  }

  /** Searches from now on scan with candidate list `ef` (hnsw.ef_search). */
  async setEfSearch(ef: number): Promise<void> {
    await this.store.close();
    this.options.efSearch = ef;
    this.store = new PgvectorFaceStore({ url: this.options.url, efSearch: ef, maxConnections: 1 });
    await this.store.open();
  }

  /** The plan of one gallery search (to see whether the HNSW index or an exact scan answers). */
  async explainSearch(query: Float32Array, k: number, partition: string): Promise<string> {
    return this.store.explainSearch(BENCH_MODEL, this.options.dimension, uuidOf(`gallery ${partition}`), query, k);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** A stable uuid for a benchmark name (the store keys galleries, identities and faces by uuid). */
function uuidOf(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
