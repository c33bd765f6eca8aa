import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { EmbeddingLabel, IndexedEmbedding, IndexedEmbeddingRow, toIndexed } from './embedding.repository.js';

/** NOTIFY channel on which each committed index change is announced; the payload is the change's id. */
export const INDEX_CHANGES_CHANNEL = 'index_changes';

/** Transaction-level advisory lock taken by every transaction that records index changes. */
const INDEX_CHANGE_LOCK_KEY = 4_242_002;

export type IndexChangeOp = 'add' | 'remove';

/** What a deletion removed from the index, and the change id at which an index reflects it (null: nothing removed). */
export interface IndexRemoval {
  labels: EmbeddingLabel[];
  changeId: number | null;
}

export interface IndexChange {
  /** Position in the outbox; a process's watermark is the id of the last change it applied. */
  id: number;
  op: IndexChangeOp;
  label: number;
  modelVersionId: string;
  /** For an add of the requested model whose embedding still exists: what the index needs of it. */
  embedding: IndexedEmbedding | null;
}

/**
 * Appends index changes inside the caller's transaction, announcing them to other processes at
 * commit; call it last, as it serialises committers. Returns the id of the last change (null when
 * there is none): the watermark at which an index reflects this transaction.
 *
 * The advisory lock, held until commit, makes change ids become visible in id order. Without it,
 * id 11 could commit before id 10, and a follower that applied 11 would skip 10 forever; with it,
 * whoever has seen id n has seen every lower id that will ever commit, so one number says what a
 * process has applied. It is taken after every row lock, so it cannot deadlock with them.
 */
export async function recordIndexChanges(em: EntityManager, op: IndexChangeOp, labels: EmbeddingLabel[]): Promise<number | null> {
  if (labels.length === 0) return null;
  await em.query('SELECT pg_advisory_xact_lock($1)', [INDEX_CHANGE_LOCK_KEY]);
  const [{ id }] = await em.query(
    `WITH added AS (
       INSERT INTO index_changes (op, embedding_id, model_version_id)
       SELECT $1, label, model FROM unnest($2::bigint[], $3::text[]) AS t(label, model)
       RETURNING id
     ) SELECT max(id) AS id FROM added`,
    [op, labels.map((l) => l.label), labels.map((l) => l.modelVersionId)],
  );
  await em.query('SELECT pg_notify($1, $2)', [INDEX_CHANGES_CHANNEL, String(id)]);
  return Number(id);
}

/** Reads of everything an index is built from, all through one connection or transaction. */
export class IndexSourceReader {
  constructor(private readonly em: EntityManager) {}

  /**
   * Up to `limit` changes after `watermark`, oldest first, each add of `modelVersionId` joined with its
   * embedding as it is now (null once deleted: a later removal in the outbox says so too).
   */
  async changesAfter(watermark: number, limit: number, modelVersionId: string): Promise<IndexChange[]> {
    const rows: (Partial<IndexedEmbeddingRow> & { change_id: string; op: IndexChangeOp; embedding_id: string; model_version_id: string })[] =
      await this.em.query(
        `SELECT c.id AS change_id, c.op, c.embedding_id, c.model_version_id, e.id, f.gallery_id, f.identity_id, e.face_id, e.codes, e.scale
           FROM index_changes c
           LEFT JOIN embeddings e ON c.op = 'add' AND c.model_version_id = $3 AND e.id = c.embedding_id
           LEFT JOIN faces f ON f.id = e.face_id
          WHERE c.id > $1
          ORDER BY c.id
          LIMIT $2`,
        [watermark, limit, modelVersionId],
      );
    return rows.map((row) => ({
      id: Number(row.change_id),
      op: row.op,
      label: Number(row.embedding_id),
      modelVersionId: row.model_version_id,
      embedding: row.id ? toIndexed(row as IndexedEmbeddingRow) : null,
    }));
  }

  /** Id of the newest committed change (0 when none): every change up to it is visible. */
  async latestChangeId(): Promise<number> {
    const [{ id }] = await this.em.query('SELECT coalesce(max(id), 0) AS id FROM index_changes');
    return Number(id);
  }

  /**
   * This database's id (random, made by the migration), so that a snapshot is only replayed against
   * the database it was taken of, and the highest change id deleted by retention: a snapshot whose
   * watermark is below it cannot be replayed.
   */
  async outboxState(): Promise<{ databaseId: string; prunedThrough: number }> {
    const [row] = await this.em.query('SELECT database_id, pruned_through FROM index_change_state');
    return { databaseId: row.database_id, prunedThrough: Number(row.pruned_through) };
  }

  async countEmbeddings(modelVersionId: string): Promise<number> {
    const [{ count }] = await this.em.query('SELECT count(*)::int AS count FROM embeddings WHERE model_version_id = $1', [modelVersionId]);
    return count;
  }

  /** The embeddings of `labels` that exist in `modelVersionId`'s space. */
  async embeddings(labels: number[], modelVersionId: string): Promise<IndexedEmbedding[]> {
    const rows: IndexedEmbeddingRow[] = await this.em.query(
      `SELECT e.id, f.gallery_id, f.identity_id, e.face_id, e.codes, e.scale
         FROM embeddings e JOIN faces f ON f.id = e.face_id
        WHERE e.id = ANY($1::bigint[]) AND e.model_version_id = $2`,
      [labels, modelVersionId],
    );
    return rows.map(toIndexed);
  }

  /** About `size` random embedding labels of the model (whole pages sampled, so cheap at any size). */
  async sampleLabels(modelVersionId: string, size: number, total: number): Promise<number[]> {
    // Twice the share needed, as pages also hold other models' rows and dead tuples.
    const percent = total === 0 ? 100 : Math.min(100, (200 * size) / total);
    const rows: { id: string }[] = await this.em.query(
      `SELECT id FROM embeddings TABLESAMPLE SYSTEM ($1) WHERE model_version_id = $2 ORDER BY random() LIMIT $3`,
      [percent, modelVersionId, size],
    );
    return rows.map((row) => Number(row.id));
  }
}

/**
 * The outbox of index changes (see recordIndexChanges) and the reads an index is built and checked
 * with. Retention: changes older than the retention period are deleted, and the highest deleted id
 * is kept, so that a snapshot taken before it is known to be past replaying.
 */
@Injectable()
export class IndexChangeRepository extends IndexSourceReader {
  constructor(private readonly dataSource: DataSource) {
    super(dataSource.manager);
  }

  /** Runs `work` against one consistent, read-only view of the database (REPEATABLE READ). */
  consistentRead<T>(work: (reader: IndexSourceReader) => Promise<T>): Promise<T> {
    return this.dataSource.transaction('REPEATABLE READ', async (em) => {
      await em.query('SET TRANSACTION READ ONLY');
      return work(new IndexSourceReader(em));
    });
  }

  /** Deletes changes older than `days`; returns how many. */
  async prune(days: number): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      const [{ through }] = await em.query(
        `SELECT max(id) AS through FROM index_changes WHERE created_at < now() - $1::float8 * interval '1 day'`,
        [days],
      );
      if (through === null) return 0;
      const [, deleted]: [unknown, number] = await em.query('DELETE FROM index_changes WHERE id <= $1', [through]);
      await em.query('UPDATE index_change_state SET pruned_through = greatest(pruned_through, $1)', [through]);
      return deleted;
    });
  }
}
