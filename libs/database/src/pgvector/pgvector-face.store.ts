import { createHash } from 'node:crypto';
import pg from 'pg';
import { DomainException, ErrorCode } from '../../../common/src/index.js';
import { SearchHit } from '../../../vector-index/src/index.js';
import { IndexChange } from '../repositories/index-change.repository.js';
import { IndexedEmbedding } from '../repositories/embedding.repository.js';

/**
 * The store's own schema version. The vector store may be another server than the app's database
 * (PGVECTOR_URL), which the app's TypeORM migrations never touch, so the store creates and versions
 * its tables itself (face_index_schema), under an advisory lock so that concurrent boots create them once.
 */
const SCHEMA_VERSION = 1;
const SCHEMA_LOCK_KEY = 4_242_003;
/** First key of the per-model transaction lock that serialises rebuilds and change application. */
const MODEL_LOCK_KEY = 4_242_004;
/** maintenance_work_mem of a rebuild's index build (for this transaction only). */
const BUILD_MEMORY = '512MB';
/** Rows per INSERT while rebuilding. */
const INSERT_BATCH = 2000;

export interface PgvectorStoreOptions {
  /** Unset when the pgvector backend is not configured: opening then fails, saying so. */
  url?: string;
  /** hnsw.ef_search: the candidate list of each index scan (HNSW_EF_SEARCH). */
  efSearch: number;
  /** Pool size; PGlite serves connections one query at a time, a server in parallel. */
  maxConnections?: number;
}

/** What an index of one model space was built from and with; any difference means a rebuild. */
export interface PgvectorIndexIdentity {
  modelVersionId: string;
  dimension: number;
  /** The app database whose outbox it follows (index_change_state.database_id). */
  databaseId: string;
  m: number;
  efConstruction: number;
}

export interface PgvectorIndexState extends PgvectorIndexIdentity {
  /** Id of the last outbox change applied. */
  watermark: number;
  faces: number;
}

export interface IdentityHit extends SearchHit {
  identityId: string;
  faceId: string;
}

/**
 * The face index in Postgres + pgvector: one row per indexed embedding (label = embedding id) with
 * its gallery, identity and face, and per model space an HNSW index (inner product, the similarity of
 * unit vectors) over `embedding::vector(D)` restricted to that model; searches filter by gallery, with
 * pgvector's iterative index scans so that a filter keeping few rows still fills the answer.
 * Per model, `face_index_state` holds what the index was built from and the outbox watermark,
 * updated in the same transaction as the rows it covers: every process sharing the store sees one
 * consistent index, and a crash leaves either all of a batch or none of it.
 */
export class PgvectorFaceStore {
  private pool?: pg.Pool;

  constructor(private readonly options: PgvectorStoreOptions) {}

  /**
   * Connects, checks that pgvector is there (creating the extension when allowed) and creates or
   * checks the store's schema. Throws a readable error when the extension is missing.
   */
  async open(): Promise<{ pgvectorVersion: string }> {
    if (!this.options.url) throw new Error('The pgvector index needs PGVECTOR_URL or DATABASE_URL');
    const pool = new pg.Pool({
      connectionString: this.options.url,
      max: this.options.maxConnections ?? 10,
      // Every session scans the HNSW graph with the configured candidate list, and keeps scanning while a gallery filter leaves too few rows.
      onConnect: async (client) => {
        await client.query(`SET hnsw.ef_search = ${int(this.options.efSearch)}; SET hnsw.iterative_scan = relaxed_order`);
      },
    });
    pool.on('error', () => undefined); // an idle client's broken connection; the next query reconnects
    this.pool = pool;
    try {
      const pgvectorVersion = await this.ensureExtension();
      await this.withClient(async (client) => {
        await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK_KEY]);
        try {
          await this.migrate(client);
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK_KEY]);
        }
      });
      return { pgvectorVersion };
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  /** The index of `modelVersionId` as last committed (null: never built here). */
  async state(modelVersionId: string): Promise<PgvectorIndexState | null> {
    return this.readState(this.requirePool(), modelVersionId);
  }

  /**
   * Under the model's lock: asks `reasonToRebuild` whether the index as committed must be rebuilt
   * (another process may have rebuilt it while this one waited) and if so replaces every row of the
   * model with `source`'s, builds the HNSW index after loading (far faster than row by row) and
   * records `identity` with the source's watermark, all in one transaction: searches never see a
   * half-built index, they wait for the commit (DROP INDEX locks the table; minutes at 1M faces).
   * Returns the reason it rebuilt, or null.
   */
  async rebuildIf(
    identity: PgvectorIndexIdentity,
    reasonToRebuild: (state: PgvectorIndexState | null) => Promise<string | null>,
    source: () => Promise<{ watermark: number; batches: AsyncIterable<IndexedEmbedding[]> }>,
  ): Promise<string | null> {
    const { modelVersionId: model, dimension } = identity;
    return this.transaction(model, async (client) => {
      const reason = await reasonToRebuild(await this.readState(client, model));
      if (!reason) return null;
      const hnsw = hnswIndexName(model);
      await client.query(`DROP INDEX IF EXISTS ${hnsw}`);
      await client.query('DELETE FROM face_index_entries WHERE model_version_id = $1', [model]);
      const { watermark, batches } = await source();
      let faces = 0;
      for await (const batch of batches) {
        for (let i = 0; i < batch.length; i += INSERT_BATCH) faces += await this.insert(client, model, dimension, batch.slice(i, i + INSERT_BATCH));
      }
      // pgvector builds the graph in memory while it fits in maintenance_work_mem (64 MB by default, about 100k faces), much faster than on disk.
      await client.query(`SET LOCAL maintenance_work_mem = '${BUILD_MEMORY}'`);
      await client.query(
        `CREATE INDEX ${hnsw} ON face_index_entries USING hnsw ((embedding::vector(${int(dimension)})) vector_ip_ops)
           WITH (m = ${int(identity.m)}, ef_construction = ${int(identity.efConstruction)}) WHERE model_version_id = ${pg.escapeLiteral(model)}`,
      );
      // Fresh statistics, or the planner would take a bulk-loaded gallery for empty and scan it exactly.
      await client.query('ANALYZE face_index_entries');
      await client.query(
        `INSERT INTO face_index_state (model_version_id, dimension, database_id, m, ef_construction, watermark, faces)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (model_version_id) DO UPDATE SET dimension = $2, database_id = $3, m = $4, ef_construction = $5, watermark = $6, faces = $7`,
        [model, dimension, identity.databaseId, identity.m, identity.efConstruction, watermark, faces],
      );
      return reason;
    });
  }

  /**
   * Applies the next outbox changes after the committed watermark, read by `read(watermark)`, in one
   * transaction under the model's lock: adds insert rows not there yet, removals delete rows still
   * there (both idempotent), and the watermark moves to the last change read. Returns the changes
   * read (0: the index was up to date) and the state committed.
   */
  async applyNext(model: string, read: (watermark: number) => Promise<IndexChange[]>): Promise<{ read: number; state: PgvectorIndexState }> {
    return this.transaction(model, async (client) => {
      const state = await this.readState(client, model);
      if (!state) throw new Error(`The pgvector index of ${model} has not been built`);
      const changes = await read(state.watermark);
      if (changes.length === 0) return { read: 0, state };
      const adds = changes.filter((c) => c.op === 'add' && c.modelVersionId === model && c.embedding).map((c) => c.embedding!);
      const removals = changes.filter((c) => c.op === 'remove' && c.modelVersionId === model).map((c) => c.label);
      // Labels are embedding ids, never reused: within one batch no label is both added (still stored) and removed.
      const added = await this.insert(client, model, state.dimension, adds);
      const { rowCount: removed } = await client.query('DELETE FROM face_index_entries WHERE model_version_id = $1 AND label = ANY($2::bigint[])', [model, removals]);
      const watermark = changes[changes.length - 1].id;
      const faces = state.faces + added - (removed ?? 0);
      await client.query('UPDATE face_index_state SET watermark = $2, faces = $3 WHERE model_version_id = $1', [model, watermark, faces]);
      return { read: changes.length, state: { ...state, watermark, faces } };
    });
  }

  /**
   * Up to `k` nearest faces of the gallery, most similar first. The planner picks the HNSW index or
   * an exact scan of the gallery's rows; `exact` forces the latter.
   */
  async searchFaces(model: string, dimension: number, galleryId: string, vector: Float32Array, k: number, exact = false): Promise<IdentityHit[]> {
    checkDimension(model, dimension, vector.length, 'The query');
    const { rows } = await this.requirePool().query<{ label: string; identity_id: string; face_id: string; distance: number }>(
      (exact ? exactSearchSql : searchSql)(model, dimension),
      [galleryId, toVectorLiteral(vector), k],
    );
    // Iterative scans in relaxed order may return neighbours slightly out of order.
    return rows
      .map((row) => ({ label: Number(row.label), identityId: row.identity_id, faceId: row.face_id, similarity: -row.distance }))
      .sort((a, b) => b.similarity - a.similarity);
  }

  /**
   * Nearest identities of one gallery, each by its best face: fetches 4k faces, then 4 times more
   * until k identities are found or the gallery is exhausted (as the in-memory index does).
   */
  async searchIdentities(model: string, dimension: number, galleryId: string, vector: Float32Array, k: number): Promise<IdentityHit[]> {
    for (let fetch = k * 4; ; fetch *= 4) {
      let faces = await this.searchFaces(model, dimension, galleryId, vector, fetch);
      // Short: the gallery has fewer faces, or a filtered index scan stopped at hnsw.max_scan_tuples
      // (a small gallery in a large table) before finding them all. The exact scan settles it, and is
      // cheap exactly then, the gallery being small.
      if (faces.length < fetch) faces = await this.searchFaces(model, dimension, galleryId, vector, fetch, true);
      const best = new Map<string, IdentityHit>();
      for (const hit of faces) if (!best.has(hit.identityId)) best.set(hit.identityId, hit);
      if (best.size >= k || faces.length < fetch) return [...best.values()].slice(0, k);
    }
  }

  /** The query plan of `searchFaces` (whether the HNSW index or an exact scan of the gallery answers). */
  async explainSearch(model: string, dimension: number, galleryId: string, vector: Float32Array, k: number): Promise<string> {
    const { rows } = await this.requirePool().query<{ 'QUERY PLAN': string }>(`EXPLAIN ${searchSql(model, dimension)}`, [galleryId, toVectorLiteral(vector), k]);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  }

  /** Deletes rows by label (for benchmarks and tools; the service removes through the outbox). */
  async remove(model: string, labels: number[]): Promise<number> {
    const { rowCount } = await this.requirePool().query('DELETE FROM face_index_entries WHERE model_version_id = $1 AND label = ANY($2::bigint[])', [model, labels]);
    return rowCount ?? 0;
  }

  private async ensureExtension(): Promise<string> {
    const installed = async () =>
      (await this.requirePool().query<{ extversion: string }>(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`)).rows[0]?.extversion;
    if (!(await installed())) {
      try {
        await this.requirePool().query('CREATE EXTENSION IF NOT EXISTS vector');
      } catch (error) {
        throw new Error(
          `INDEX_BACKEND=pgvector: the Postgres at PGVECTOR_URL (or DATABASE_URL) has no pgvector extension and it could not be created ` +
            `(${(error as Error).message}). Use a server with pgvector (e.g. the pgvector/pgvector image) or INDEX_BACKEND=hnsw.`,
        );
      }
    }
    const version = (await installed())!;
    const [major, minor] = version.split('.').map(Number);
    // Before 0.8 an HNSW scan stops after ef_search rows, before the gallery filter: a search of a small gallery would come back short.
    if (major === 0 && minor < 8) {
      throw new Error(`INDEX_BACKEND=pgvector needs pgvector 0.8.0 or later (iterative index scans for gallery filters); the server has ${version}: ALTER EXTENSION vector UPDATE`);
    }
    return version;
  }

  private async migrate(client: pg.PoolClient): Promise<void> {
    await client.query('CREATE TABLE IF NOT EXISTS face_index_schema (version int NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM face_index_schema');
    const version = rows[0]?.version ?? 0;
    if (version > SCHEMA_VERSION) throw new Error(`The pgvector index store has schema version ${version}; this build knows up to ${SCHEMA_VERSION}`);
    if (version === SCHEMA_VERSION) return;
    await client.query('BEGIN');
    try {
      await client.query(`
        CREATE TABLE face_index_state (
          model_version_id text PRIMARY KEY,
          dimension int NOT NULL,
          database_id text NOT NULL,
          m int NOT NULL,
          ef_construction int NOT NULL,
          watermark bigint NOT NULL,
          faces bigint NOT NULL
        );
        CREATE TABLE face_index_entries (
          label bigint PRIMARY KEY,
          model_version_id text NOT NULL,
          gallery_id uuid NOT NULL,
          identity_id uuid NOT NULL,
          face_id uuid NOT NULL,
          -- Any dimension: each model space has its own partial HNSW index over embedding::vector(D).
          embedding vector NOT NULL
        );
        CREATE INDEX face_index_entries_gallery ON face_index_entries (model_version_id, gallery_id);
        INSERT INTO face_index_schema (version) VALUES (${SCHEMA_VERSION});`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }

  private async readState(db: pg.Pool | pg.PoolClient, model: string): Promise<PgvectorIndexState | null> {
    const { rows } = await db.query(
      `SELECT model_version_id, dimension, database_id, m, ef_construction, watermark, faces FROM face_index_state WHERE model_version_id = $1`,
      [model],
    );
    const row = rows[0];
    return row
      ? {
          modelVersionId: row.model_version_id, dimension: row.dimension, databaseId: row.database_id, m: row.m, efConstruction: row.ef_construction,
          watermark: Number(row.watermark), faces: Number(row.faces),
        }
      : null;
  }

  /** Inserts the rows not there yet; returns how many were inserted. */
  private async insert(client: pg.PoolClient, model: string, dimension: number, rows: IndexedEmbedding[]): Promise<number> {
    if (rows.length === 0) return 0;
    for (const row of rows) checkDimension(model, dimension, row.vector.length, `Embedding ${row.label}`);
    const { rowCount } = await client.query(
      `INSERT INTO face_index_entries (label, model_version_id, gallery_id, identity_id, face_id, embedding)
       SELECT label, $1, gallery_id, identity_id, face_id, embedding::vector
         FROM unnest($2::bigint[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[]) AS t(label, gallery_id, identity_id, face_id, embedding)
       ON CONFLICT (label) DO NOTHING`,
      [model, rows.map((r) => r.label), rows.map((r) => r.galleryId), rows.map((r) => r.identityId), rows.map((r) => r.faceId), rows.map((r) => toVectorLiteral(r.vector))],
    );
    return rowCount ?? 0;
  }

  /** Runs `work` in a transaction holding the model's lock (released at commit or rollback). */
  private async transaction<T>(model: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MODEL_LOCK_KEY, model]);
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  private async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.requirePool().connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  private requirePool(): pg.Pool {
    if (!this.pool) throw new Error('The pgvector index store is not open');
    return this.pool;
  }
}

function checkDimension(model: string, dimension: number, length: number, what: string): void {
  if (length !== dimension) throw new DomainException(ErrorCode.DIMENSION_MISMATCH, `${what} has ${length} dimensions; model ${model} has ${dimension}`);
}

/** Nearest faces of gallery $1 to vector $2, at most $3. */
function searchSql(model: string, dimension: number): string {
  const distance = `embedding::vector(${int(dimension)}) <#> $2::vector(${int(dimension)})`;
  // The model is a literal, not a parameter, so that the planner can match the model's partial HNSW index.
  return `SELECT label, identity_id, face_id, ${distance} AS distance
            FROM face_index_entries
           WHERE model_version_id = ${pg.escapeLiteral(model)} AND gallery_id = $1
           ORDER BY ${distance}
           LIMIT $3`;
}

/** As searchSql, over the gallery's rows only (a materialised CTE: the HNSW index cannot serve its ORDER BY). */
function exactSearchSql(model: string, dimension: number): string {
  return `WITH gallery AS MATERIALIZED (
            SELECT label, identity_id, face_id, embedding FROM face_index_entries
             WHERE model_version_id = ${pg.escapeLiteral(model)} AND gallery_id = $1)
          SELECT label, identity_id, face_id, embedding::vector(${int(dimension)}) <#> $2::vector(${int(dimension)}) AS distance
            FROM gallery ORDER BY distance LIMIT $3`;
}

/** pgvector's text form; a float32 printed by JS parses back to the same float32. */
function toVectorLiteral(vector: Float32Array): string {
  return `[${vector.join(',')}]`;
}

/** Per-model index name: model ids may hold characters an identifier may not. */
function hnswIndexName(model: string): string {
  return `face_index_hnsw_${createHash('sha256').update(model).digest('hex').slice(0, 16)}`;
}

/** An integer for DDL, where parameters are not allowed. */
function int(value: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`Not an integer: ${value}`);
  return value;
}
