import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { dequantizeInt8, quantizeInt8 } from '../../../vector-index/src/index.js';

/** An index entry: the embedding row id is the label in its model's index. */
export interface EmbeddingLabel {
  label: number;
  modelVersionId: string;
}

export interface IndexedEmbedding {
  label: number;
  galleryId: string;
  identityId: string;
  faceId: string;
  vector: Float32Array;
}

/**
 * Deletes, inside the caller's transaction, every embedding (all model spaces) of the faces matching
 * `faceCondition` (a condition on alias `f`, faces) and returns their index labels.
 */
export async function deleteEmbeddings(em: EntityManager, faceCondition: string, params: unknown[]): Promise<EmbeddingLabel[]> {
  const [rows]: [{ label: string; modelVersionId: string }[], number] = await em.query(
    `DELETE FROM embeddings e USING faces f WHERE e.face_id = f.id AND ${faceCondition}
     RETURNING e.id AS "label", e.model_version_id AS "modelVersionId"`,
    params,
  );
  return rows.map((row) => ({ label: Number(row.label), modelVersionId: row.modelVersionId }));
}

/** Rows fetched per round trip when streaming a whole embedding space. */
const STREAM_BATCH = 5000;

@Injectable()
export class EmbeddingRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Every embedding of one model, in id order, a batch at a time (for index rebuilds). */
  async *streamForModel(modelVersionId: string): AsyncGenerator<IndexedEmbedding[]> {
    let after = 0;
    for (;;) {
      const rows: IndexedEmbeddingRow[] = await this.dataSource.query(
        `SELECT e.id, f.gallery_id, f.identity_id, e.face_id, e.codes, e.scale
           FROM embeddings e JOIN faces f ON f.id = e.face_id
          WHERE e.model_version_id = $1 AND e.id > $2
          ORDER BY e.id LIMIT $3`,
        [modelVersionId, after, STREAM_BATCH],
      );
      if (rows.length === 0) return;
      yield rows.map(toIndexed);
      after = Number(rows[rows.length - 1].id);
    }
  }

  /** The identity's embeddings in one model (for verification against an enrolled person). */
  async forIdentity(identityId: string, modelVersionId: string): Promise<IndexedEmbedding[]> {
    const rows = await this.dataSource.query(
      `SELECT e.id, f.gallery_id, f.identity_id, e.face_id, e.codes, e.scale
         FROM embeddings e JOIN faces f ON f.id = e.face_id
        WHERE f.identity_id = $1 AND e.model_version_id = $2
        ORDER BY e.id`,
      [identityId, modelVersionId],
    );
    return rows.map(toIndexed);
  }

  /** The gallery's embeddings in one model, in id order; only those of `faceIds` when given (unknown ids are skipped). */
  async forGallery(galleryId: string, modelVersionId: string, faceIds?: readonly string[]): Promise<IndexedEmbedding[]> {
    const rows = await this.dataSource.query(
      `SELECT e.id, f.gallery_id, f.identity_id, e.face_id, e.codes, e.scale
         FROM embeddings e JOIN faces f ON f.id = e.face_id
        WHERE f.gallery_id = $1 AND e.model_version_id = $2 AND ($3::text[] IS NULL OR f.id::text = ANY($3::text[]))
        ORDER BY e.id`,
      [galleryId, modelVersionId, faceIds ?? null],
    );
    return rows.map(toIndexed);
  }
}

/** An embedding joined with its face, as selected for the index (`e.id, f.gallery_id, f.identity_id, e.face_id, e.codes, e.scale`). */
export interface IndexedEmbeddingRow {
  id: string;
  gallery_id: string;
  identity_id: string;
  face_id: string;
  codes: Buffer;
  scale: number;
}

/** An embedding as stored: its int8 codes (one byte per dimension) and the scale that restores them. */
export interface StoredEmbedding {
  codes: Buffer;
  scale: number;
}

/**
 * Embeddings rest in Postgres in int8 form (128 bytes for a 128-D face, plus the scale), which on
 * LFW scores the same as float32; every reader, the index included, sees the restored unit vector.
 */
export function encodeEmbedding(vector: ArrayLike<number>): StoredEmbedding {
  const { codes, scale } = quantizeInt8(vector);
  return { codes: Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength), scale };
}

export function decodeEmbedding({ codes, scale }: StoredEmbedding): Float32Array {
  return dequantizeInt8({ codes: new Int8Array(codes.buffer, codes.byteOffset, codes.byteLength), scale });
}

export function toIndexed(row: IndexedEmbeddingRow): IndexedEmbedding {
  return {
    label: Number(row.id),
    galleryId: row.gallery_id,
    identityId: row.identity_id,
    faceId: row.face_id,
    vector: decodeEmbedding(row),
  };
}
