import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DomainException, ErrorCode, notFound } from '../../../common/src/index.js';
import type { ModelSource, ModelStatus } from '../entities/index.js';
import { isUniqueViolation } from './gallery.repository.js';

export interface ModelVersionRecord {
  id: string;
  version: string;
  kind: 'detector' | 'embedder';
  dimension: number | null;
  sha256: string;
  manifest: object;
}

/** An imported embedder as validated: stored under `storedFile` with `storedSha256`. */
export interface ImportedModelRecord extends ModelVersionRecord {
  storedFile: string;
  storedSha256: string;
  validationReport: object;
}

export interface ModelVersionRow {
  id: string;
  version: string;
  kind: 'detector' | 'embedder';
  dimension: number | null;
  sha256: string;
  manifest: Record<string, unknown>;
  source: ModelSource;
  status: ModelStatus;
  storedFile: string | null;
  storedSha256: string | null;
  validationReport: Record<string, unknown> | null;
  createdAt: Date;
  validatedAt: Date | null;
  activatedAt: Date | null;
  /** Galleries pinned to this model (gallery_models). */
  pinnedGalleries: number;
}

/** Where a model is made active: platform-wide, or for one gallery of a tenant. */
export type ActivationScope = { global: true } | { global: false; tenantId: string; galleryId: string };

const SELECT_ROWS = `
  SELECT m.id, m.version, m.kind, m.dimension, m.sha256, m.manifest, m.source, m.status, m.stored_file AS "storedFile",
         m.stored_sha256 AS "storedSha256", m.validation_report AS "validationReport", m.created_at AS "createdAt",
         m.validated_at AS "validatedAt", m.activated_at AS "activatedAt",
         (SELECT count(*)::int FROM gallery_models g WHERE g.model_version_id = m.id) AS "pinnedGalleries"
  FROM model_versions m`;

@Injectable()
export class ModelVersionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Records a bundled model a process runs, so every stored face and embedding names a known model.
   * An imported model of the same id is left alone (registerModel refuses bundled ids, so only a
   * manifest added to MODEL_MANIFEST_DIR later could collide, and the registry's copy wins).
   */
  async upsert(record: ModelVersionRecord): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO model_versions (id, version, kind, dimension, sha256, manifest) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, kind = EXCLUDED.kind, dimension = EXCLUDED.dimension,
         sha256 = EXCLUDED.sha256, manifest = EXCLUDED.manifest, updated_at = now()
       WHERE model_versions.source = 'bundled'`,
      [record.id, record.version, record.kind, record.dimension, record.sha256, JSON.stringify(record.manifest)],
    );
  }

  /**
   * Inserts a validated import, then runs `store` (which writes its file) before committing: a
   * taken id fails before anything is written, and a failed write leaves no row.
   */
  async insertImported(record: ImportedModelRecord, store: () => Promise<void>): Promise<ModelVersionRow> {
    try {
      await this.dataSource.transaction(async (em) => {
        await em.query(
          `INSERT INTO model_versions (id, version, kind, dimension, sha256, manifest, source, status, stored_file, stored_sha256, validation_report, validated_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'imported', 'validated', $7, $8, $9, now())`,
          [
            record.id, record.version, record.kind, record.dimension, record.sha256, JSON.stringify(record.manifest),
            record.storedFile, record.storedSha256, JSON.stringify(record.validationReport),
          ],
        );
        await store();
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyExists(record.id);
      throw error;
    }
    return this.get(record.id);
  }

  /** ALREADY_EXISTS when `id` names a model: checked before an import's costly validation (the insert checks again). */
  async assertIdFree(id: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM model_versions WHERE id = $1', [id]);
    if (rows.length > 0) throw alreadyExists(id);
  }

  /** Every model, oldest first. */
  list(): Promise<ModelVersionRow[]> {
    return this.dataSource.query(`${SELECT_ROWS} ORDER BY m.created_at, m.id`);
  }

  async get(id: string): Promise<ModelVersionRow> {
    const row = await this.find(id);
    if (!row) throw notFound('Model', id);
    return row;
  }

  async find(id: string): Promise<ModelVersionRow | null> {
    const [row]: ModelVersionRow[] = await this.dataSource.query(`${SELECT_ROWS} WHERE m.id = $1`, [id]);
    return row ?? null;
  }

  /** The globally active embedder, if one was ever made active (otherwise processes use EMBEDDER_MODEL). */
  async activeEmbedder(): Promise<ModelVersionRow | null> {
    const [row]: ModelVersionRow[] = await this.dataSource.query(`${SELECT_ROWS} WHERE m.status = 'active'`);
    return row ?? null;
  }

  /**
   * Faces of the galleries that follow the global model without an embedding of `modelId`: 0 right
   * after setActiveModel, but faces enrolled by processes still running the previous model until
   * they restart are missing from the new space (the boot logs them).
   */
  async uncoveredFaces(modelId: string): Promise<number> {
    return (await coverage(this.dataSource.manager, modelId, { global: true })).missing;
  }

  /**
   * Makes an embedder active for `scope`, refusing with MODEL_NOT_READY while any face it would
   * serve has no embedding in its space: globally, the faces of every gallery not pinned to a model;
   * for a gallery, its faces. The model row is locked, so concurrent activations apply one by one.
   */
  async activate(modelId: string, scope: ActivationScope): Promise<ModelVersionRow> {
    await this.dataSource.transaction(async (em) => {
      const [model]: Array<{ kind: string }> = await em.query('SELECT kind FROM model_versions WHERE id = $1 FOR UPDATE', [modelId]);
      if (!model) throw notFound('Model', modelId);
      if (model.kind !== 'embedder') {
        throw new DomainException(ErrorCode.VALIDATION, `Model ${JSON.stringify(modelId)} is a ${model.kind}; only embedders can be made active`, { modelId });
      }
      if (!scope.global) {
        const [gallery]: unknown[] = await em.query('SELECT 1 FROM galleries WHERE id = $1 AND tenant_id = $2 FOR SHARE', [scope.galleryId, scope.tenantId]);
        if (!gallery) throw notFound('Gallery', scope.galleryId);
      }
      await assertCovered(em, modelId, scope);
      if (scope.global) {
        await em.query(`UPDATE model_versions SET status = 'validated', activated_at = NULL, updated_at = now() WHERE status = 'active' AND id <> $1`, [modelId]);
        await em.query(`UPDATE model_versions SET status = 'active', activated_at = now(), updated_at = now() WHERE id = $1`, [modelId]);
      } else {
        await em.query(
          `INSERT INTO gallery_models (gallery_id, model_version_id) VALUES ($1, $2)
           ON CONFLICT (gallery_id) DO UPDATE SET model_version_id = EXCLUDED.model_version_id, activated_at = now()`,
          [scope.galleryId, modelId],
        );
      }
    });
    return this.get(modelId);
  }
}

/** Faces a model would serve in `scope` (globally: those of galleries not pinned to a model), and how many lack an embedding of it. */
async function coverage(em: EntityManager, modelId: string, scope: ActivationScope): Promise<{ faces: number; missing: number }> {
  const served = scope.global ? 'NOT EXISTS (SELECT 1 FROM gallery_models gm WHERE gm.gallery_id = f.gallery_id)' : 'f.gallery_id = $2';
  const [counts]: Array<{ faces: number; missing: number }> = await em.query(
    `SELECT count(*)::int AS faces,
            count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.face_id = f.id AND e.model_version_id = $1))::int AS missing
     FROM faces f WHERE ${served}`,
    scope.global ? [modelId] : [modelId, scope.galleryId],
  );
  return counts;
}

async function assertCovered(em: EntityManager, modelId: string, scope: ActivationScope): Promise<void> {
  const { faces, missing } = await coverage(em, modelId, scope);
  if (missing > 0) {
    const where = scope.global ? 'the galleries that follow the global model' : `gallery ${scope.galleryId}`;
    throw new DomainException(
      ErrorCode.MODEL_NOT_READY,
      `Model ${JSON.stringify(modelId)} has no embedding for ${missing} of the ${faces} faces of ${where}: migrate them to its space first`,
      { modelId, ...(scope.global ? {} : { galleryId: scope.galleryId }), faces, missingFaces: missing },
    );
  }
}

const alreadyExists = (id: string) => new DomainException(ErrorCode.ALREADY_EXISTS, `A model with id ${JSON.stringify(id)} exists`, { id });
