import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { notFound } from '../../../common/src/index.js';
import { FaceEntity, IdentityEntity } from '../entities/index.js';
import { deleteEmbeddings, encodeEmbedding } from './embedding.repository.js';
import { IndexRemoval, recordIndexChanges } from './index-change.repository.js';

export interface NewFace {
  box: { x: number; y: number; width: number; height: number };
  landmarks: number[];
  detectorScore: number;
  detectorModelId: string;
  sourceSha256: string;
  sourceWidth: number;
  sourceHeight: number;
  crop: Buffer;
  cropFormat: string;
  cropTemplate: string;
}

export interface EnrollmentRecord {
  /** The gallery must belong to this tenant. */
  tenantId: string;
  galleryId: string;
  externalId: string;
  /** Replaces the stored display name when given; kept otherwise. */
  displayName?: string | null;
  face: NewFace;
  /** In the serving model's space. */
  embedding: NewEmbedding;
  /** In the spaces of open model migrations (dual write), so that new faces need no backfill. */
  migrationEmbeddings?: NewEmbedding[];
}

export interface NewEmbedding {
  modelVersionId: string;
  vector: Float32Array;
}

export interface EnrolledFace {
  identity: IdentityEntity;
  identityCreated: boolean;
  face: FaceEntity;
  embeddingLabel: number;
  /** The index change that adds the embedding (see recordIndexChanges). */
  changeId: number;
}

/**
 * Stores identity (created on first enrollment of its externalId), face, crop, embedding and the
 * index change inside the caller's transaction (a batch item is settled in the same one).
 */
export async function enrollIn(em: EntityManager, record: EnrollmentRecord): Promise<EnrolledFace> {
  // Locks the gallery row against a concurrent delete for the rest of the transaction.
  const [gallery] = await em.query('SELECT id FROM galleries WHERE id = $1 AND tenant_id = $2 FOR SHARE', [record.galleryId, record.tenantId]);
  if (!gallery) throw notFound('Gallery', record.galleryId);
  const [row] = await em.query(
    `INSERT INTO identities (gallery_id, external_id, display_name) VALUES ($1, $2, $3)
     ON CONFLICT (gallery_id, external_id)
       DO UPDATE SET display_name = COALESCE(EXCLUDED.display_name, identities.display_name)
     RETURNING id, (xmax = 0) AS created`,
    [record.galleryId, record.externalId, record.displayName ?? null],
  );
  const identity = await em.getRepository(IdentityEntity).findOneByOrFail({ id: row.id });
  const { face: f } = record;
  const face = await em.getRepository(FaceEntity).save({
    identityId: identity.id,
    galleryId: record.galleryId,
    boxX: f.box.x, boxY: f.box.y, boxWidth: f.box.width, boxHeight: f.box.height,
    landmarks: f.landmarks,
    detectorScore: f.detectorScore,
    detectorModelId: f.detectorModelId,
    sourceSha256: f.sourceSha256,
    sourceWidth: f.sourceWidth,
    sourceHeight: f.sourceHeight,
    crop: f.crop,
    cropFormat: f.cropFormat,
    cropTemplate: f.cropTemplate,
  });
  const labels = [];
  for (const embedding of [record.embedding, ...(record.migrationEmbeddings ?? [])]) {
    const [{ id }] = await em.query(
      'INSERT INTO embeddings (face_id, model_version_id, codes, scale) VALUES ($1, $2, $3, $4) RETURNING id',
      [face.id, embedding.modelVersionId, ...Object.values(encodeEmbedding(embedding.vector))],
    );
    labels.push({ label: Number(id), modelVersionId: embedding.modelVersionId });
  }
  // Every process's index (this one's, the API replicas', and after a worker's enrollment) follows this change.
  const changeId = await recordIndexChanges(em, 'add', labels);
  return { identity, identityCreated: row.created, face, embeddingLabel: labels[0].label, changeId: changeId! };
}

@Injectable()
export class FaceRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores identity (created on first enrollment of its externalId), face, crop, embedding and the
   * index change in one transaction: either all of it is there afterwards or none of it.
   */
  async enroll(record: EnrollmentRecord): Promise<EnrolledFace> {
    return this.dataSource.transaction((em) => enrollIn(em, record));
  }

  /** sha256 of every photo enrolled in the gallery, by identity externalId (to skip photos already enrolled). */
  async sourceHashesByExternalId(galleryId: string): Promise<Map<string, Set<string>>> {
    const rows: { externalId: string; sha256: string }[] = await this.dataSource.query(
      `SELECT i.external_id AS "externalId", f.source_sha256 AS "sha256"
         FROM faces f JOIN identities i ON i.id = f.identity_id
        WHERE f.gallery_id = $1`,
      [galleryId],
    );
    const hashes = new Map<string, Set<string>>();
    for (const { externalId, sha256 } of rows) {
      if (!hashes.has(externalId)) hashes.set(externalId, new Set());
      hashes.get(externalId)!.add(sha256);
    }
    return hashes;
  }

  /** Deletes one of the tenant's faces with its crop and embeddings; returns the removed index labels. */
  async delete(tenantId: string, id: string): Promise<IndexRemoval> {
    return this.dataSource.transaction(async (em) => {
      const [owned] = await em.query(
        'SELECT f.id FROM faces f JOIN galleries g ON g.id = f.gallery_id WHERE f.id = $1 AND g.tenant_id = $2 FOR UPDATE OF f',
        [id, tenantId],
      );
      if (!owned) throw notFound('Face', id);
      const labels = await deleteEmbeddings(em, 'f.id = $1', [id]);
      await em.query('DELETE FROM faces WHERE id = $1', [id]);
      return { labels, changeId: await recordIndexChanges(em, 'remove', labels) };
    });
  }
}
