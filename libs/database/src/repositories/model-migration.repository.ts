import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DomainException, ErrorCode, notFound } from '../../../common/src/index.js';
import { JobQueue } from '../jobs/job-queue.js';
import { BACKFILL_EMBEDDINGS, BackfillJob } from '../jobs/queues.js';
import { encodeEmbedding } from './embedding.repository.js';
import { recordIndexChanges } from './index-change.repository.js';

export type ModelMigrationStatus = 'backfilling' | 'paused' | 'backfilled' | 'cut_over' | 'rolled_back';

export interface ModelMigrationRecord {
  id: string;
  fromModelId: string;
  toModelId: string;
  /** null: every gallery. */
  galleryId: string | null;
  adapterId: string | null;
  status: ModelMigrationStatus;
  startedAt: Date;
  updatedAt: Date;
  backfilledAt: Date | null;
}

/** Counted, not stored: faces in scope, those with an embedding in the target space, those that could not get one. */
export interface MigrationProgress {
  total: number;
  done: number;
  failed: number;
}

/** A face to re-embed, as stored. */
export interface StoredFace {
  faceId: string;
  crop: Buffer;
  cropTemplate: string;
  /** x, y of the five landmarks in the source photo. */
  landmarks: number[];
}

/** What re-embedding a face gave: its vector, or why there is none. */
export type Reembedded = { vector: Float32Array } | { failure: string };

const MIGRATION = `
  SELECT id, from_model_id AS "fromModelId", to_model_id AS "toModelId", gallery_id AS "galleryId", adapter_id AS "adapterId",
         status, started_at AS "startedAt", updated_at AS "updatedAt", backfilled_at AS "backfilledAt"
    FROM model_migrations`;

/** Faces of the migration `m`'s scope (alias f). */
const IN_SCOPE = `(m.gallery_id IS NULL OR f.gallery_id = m.gallery_id)`;
/** …that still need an embedding in the target space and have not failed to get one. */
const PENDING = `${IN_SCOPE}
  AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.face_id = f.id AND e.model_version_id = m.to_model_id)
  AND NOT EXISTS (SELECT 1 FROM model_migration_failures x WHERE x.migration_id = m.id AND x.face_id = f.id)`;

/**
 * Model migrations and their backfill. A face gets at most one embedding per model (the table's
 * unique key); a backfill batch claims its faces with row locks that other workers skip, so workers
 * sharing a migration do not embed the same face twice, and a batch's embeddings, index changes and
 * failures commit together or not at all.
 */
@Injectable()
export class ModelMigrationRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
  ) {}

  /** Records the migration and enqueues `parallelism` backfill jobs, in one transaction. */
  async create(input: { fromModelId: string; toModelId: string; galleryId: string | null; adapterId: string | null }, parallelism: number): Promise<ModelMigrationRecord> {
    return this.dataSource.transaction(async (em) => {
      let id: string;
      try {
        [{ id }] = await em.query(
          `INSERT INTO model_migrations (from_model_id, to_model_id, gallery_id, adapter_id) VALUES ($1, $2, $3, $4) RETURNING id`,
          [input.fromModelId, input.toModelId, input.galleryId, input.adapterId],
        );
      } catch (error) {
        if ((error as { constraint?: string }).constraint === 'model_migrations_one_open_per_scope') {
          throw new DomainException(ErrorCode.MIGRATION_STATE, `A model migration is already open for ${input.galleryId ? `gallery ${input.galleryId}` : 'all galleries'}`);
        }
        throw error;
      }
      await this.enqueue(em, id, parallelism);
      return this.getIn(em, id);
    });
  }

  async get(id: string): Promise<ModelMigrationRecord> {
    return this.getIn(this.dataSource.manager, id);
  }

  async progress(id: string): Promise<MigrationProgress> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM embeddings e WHERE e.face_id = f.id AND e.model_version_id = m.to_model_id))::int AS done,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM model_migration_failures x WHERE x.migration_id = m.id AND x.face_id = f.id))::int AS failed
         FROM model_migrations m JOIN faces f ON ${IN_SCOPE}
        WHERE m.id = $1`,
      [id],
    );
    return row;
  }

  /**
   * Moves the migration from one of `from` to `to` (and enqueues `parallelism` backfill jobs when it
   * goes back to backfilling); refuses with MIGRATION_STATE from any other status.
   */
  async transition(id: string, from: ModelMigrationStatus[], to: ModelMigrationStatus, parallelism = 0): Promise<ModelMigrationRecord> {
    return this.dataSource.transaction(async (em) => {
      const current = await this.getIn(em, id, true);
      if (!from.includes(current.status)) {
        throw new DomainException(ErrorCode.MIGRATION_STATE, `Model migration ${id} is ${current.status}; this needs it ${from.join(' or ')}`, { status: current.status });
      }
      await em.query(`UPDATE model_migrations SET status = $2, updated_at = now() WHERE id = $1`, [id, to]);
      if (to === 'backfilling') await this.enqueue(em, id, parallelism);
      return this.getIn(em, id);
    });
  }

  /**
   * One backfill batch in one transaction: claims up to `limit` pending faces of the migration (rows
   * another worker holds are skipped), has `reembed` embed them with the target model (its id, read in
   * the same transaction), and stores the embeddings with their index changes, or the failures. Returns
   * how many faces it claimed (0: none left for this worker, or the migration is not backfilling).
   */
  async backfillBatch(id: string, limit: number, worker: string, reembed: (toModelId: string, faces: StoredFace[]) => Promise<Reembedded[]>): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      const [migration] = await em.query(`SELECT to_model_id AS "toModelId" FROM model_migrations WHERE id = $1 AND status = 'backfilling' FOR SHARE`, [id]);
      if (!migration) return 0;
      const faces: StoredFace[] = await em.query(
        `SELECT f.id AS "faceId", f.crop, f.crop_template AS "cropTemplate", f.landmarks
           FROM faces f JOIN model_migrations m ON m.id = $1
          WHERE ${PENDING}
          ORDER BY f.id LIMIT $2
          FOR UPDATE OF f SKIP LOCKED`,
        [id, limit],
      );
      if (faces.length === 0) return 0;
      const results = await reembed(migration.toModelId, faces);
      const stored = faces.flatMap((face, i) => ('vector' in results[i] ? [{ face, vector: results[i].vector }] : []));
      if (stored.length > 0) {
        const encoded = stored.map(({ vector }) => encodeEmbedding(vector));
        const rows: { id: string }[] = await em.query(
          `INSERT INTO embeddings (face_id, model_version_id, codes, scale)
           SELECT f, $2, c, s FROM unnest($1::uuid[], $3::bytea[], $4::real[]) WITH ORDINALITY AS t(f, c, s, n) ORDER BY n
           RETURNING id`,
          [stored.map(({ face }) => face.faceId), migration.toModelId, encoded.map((e) => e.codes), encoded.map((e) => e.scale)],
        );
        await recordIndexChanges(em, 'add', rows.map((row) => ({ label: Number(row.id), modelVersionId: migration.toModelId })));
      }
      const failed = faces.flatMap((face, i) => ('failure' in results[i] ? [{ face, reason: results[i].failure }] : []));
      if (failed.length > 0) {
        await em.query(
          `INSERT INTO model_migration_failures (migration_id, face_id, reason, worker) SELECT $1, f, r, $4 FROM unnest($2::uuid[], $3::text[]) AS t(f, r)`,
          [id, failed.map(({ face }) => face.faceId), failed.map(({ reason }) => reason), worker],
        );
      }
      return faces.length;
    });
  }

  /** Marks the migration backfilled when it is backfilling and no face is pending; returns whether it did. */
  async markBackfilled(id: string): Promise<boolean> {
    const [, count] = await this.dataSource.query(
      `UPDATE model_migrations m SET status = 'backfilled', backfilled_at = now(), updated_at = now()
        WHERE m.id = $1 AND m.status = 'backfilling' AND NOT EXISTS (SELECT 1 FROM faces f WHERE ${PENDING})`,
      [id],
    );
    return count > 0;
  }

  /** Target models of the migrations open (not cut over or rolled back) for the gallery: where its new faces must be embedded too. */
  async openTargets(galleryId: string): Promise<string[]> {
    const rows: { toModelId: string }[] = await this.dataSource.query(
      `SELECT DISTINCT to_model_id AS "toModelId" FROM model_migrations
        WHERE status IN ('backfilling', 'paused', 'backfilled') AND (gallery_id IS NULL OR gallery_id = $1) ORDER BY 1`,
      [galleryId],
    );
    return rows.map((row) => row.toModelId);
  }

  /** Enqueues one more backfill job (a worker handing on the rest of the work). */
  async continueLater(id: string): Promise<void> {
    await this.dataSource.transaction((em) => this.enqueue(em, id, 1));
  }

  private async enqueue(em: EntityManager, migrationId: string, jobs: number): Promise<void> {
    const payloads: BackfillJob[] = Array.from({ length: jobs }, () => ({ migrationId }));
    if (payloads.length > 0) await this.queue.send(BACKFILL_EMBEDDINGS, payloads, em);
  }

  private async getIn(em: EntityManager, id: string, lock = false): Promise<ModelMigrationRecord> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('Model migration', id);
    const [row] = await em.query(`${MIGRATION} WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!row) throw notFound('Model migration', id);
    return row;
  }
}
