import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../../../common/src/index.js';
import { JobQueue } from '../jobs/job-queue.js';
import { BatchItemJob, ENROLL_BATCH_ITEM } from '../jobs/queues.js';
import { EnrolledFace, EnrollmentRecord, enrollIn } from './face.repository.js';
import { decodePositionCursor, encodePositionCursor, Page, PageRequest, toPage } from './pagination.js';

export type BatchItemStatus = 'pending' | 'done' | 'failed';

export interface NewBatchItem {
  externalId: string;
  displayName?: string | null;
  image: Uint8Array;
}

export interface BatchCounts {
  id: string;
  galleryId: string;
  total: number;
  pending: number;
  done: number;
  failed: number;
  createdAt: Date;
  /** When the last item was settled; null while any is pending. */
  finishedAt: Date | null;
}

export interface BatchItemRecord {
  id: string;
  position: number;
  externalId: string;
  status: BatchItemStatus;
  errorCode: string | null;
  /** The enrolled face (null unless done, and once that face is deleted). */
  faceId: string | null;
  /** The worker that settled the item. */
  worker: string | null;
  processedAt: Date | null;
}

/** A pending item with what enrolling it needs. */
export interface PendingBatchItem {
  id: string;
  tenantId: string;
  galleryId: string;
  externalId: string;
  displayName: string | null;
  image: Buffer;
}

/** Thrown inside a settling transaction to roll it back: another run settled the item first. */
class AlreadySettled extends Error {}

const COUNTS = `
  SELECT b.id, b.gallery_id AS "galleryId", b.total, b.created_at AS "createdAt",
         count(*) FILTER (WHERE i.status = 'pending')::int AS pending,
         count(*) FILTER (WHERE i.status = 'done')::int AS done,
         count(*) FILTER (WHERE i.status = 'failed')::int AS failed,
         CASE WHEN bool_and(i.status <> 'pending') THEN max(i.processed_at) END AS "finishedAt"
    FROM enrollment_batches b JOIN galleries g ON g.id = b.gallery_id JOIN enrollment_batch_items i ON i.batch_id = b.id
   WHERE b.id = $1 AND g.tenant_id = $2
   GROUP BY b.id`;

/**
 * Enrollment batches and their items. Every item is settled (done or failed) at most once: the
 * settling write is conditional on the item still being pending and sits in the same transaction
 * as the enrollment, so a job run twice (retried after a crash, or taken by two workers) enrolls
 * once and the second run rolls back. A settled item no longer holds its photo.
 */
@Injectable()
export class EnrollmentBatchRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
  ) {}

  /** Stores the batch and its items in the tenant's gallery, and one ENROLL_BATCH_ITEM job per item, in one transaction. */
  async create(tenantId: string, galleryId: string, items: NewBatchItem[]): Promise<BatchCounts> {
    const id = await this.dataSource.transaction(async (em) => {
      // Locks the gallery against a concurrent delete until the batch is in.
      const [gallery] = await em.query('SELECT id FROM galleries WHERE id = $1 AND tenant_id = $2 FOR SHARE', [galleryId, tenantId]);
      if (!gallery) throw notFound('Gallery', galleryId);
      const [batch] = await em.query('INSERT INTO enrollment_batches (gallery_id, total) VALUES ($1, $2) RETURNING id', [galleryId, items.length]);
      const rows: { id: string }[] = await em.query(
        `INSERT INTO enrollment_batch_items (batch_id, position, external_id, display_name, image)
         SELECT $1, position - 1, external_id, display_name, image
           FROM unnest($2::text[], $3::text[], $4::bytea[]) WITH ORDINALITY AS t(external_id, display_name, image, position)
         RETURNING id`,
        [batch.id, items.map((i) => i.externalId), items.map((i) => i.displayName ?? null), items.map((i) => i.image)],
      );
      await this.queue.send(ENROLL_BATCH_ITEM, rows.map((row): BatchItemJob => ({ itemId: row.id })), em);
      return batch.id as string;
    });
    return this.get(tenantId, id);
  }

  /** The tenant's batch with its item counts; another tenant's is NOT_FOUND like a missing one. */
  async get(tenantId: string, id: string): Promise<BatchCounts> {
    const [batch] = await this.dataSource.query(COUNTS, [id, tenantId]);
    if (!batch) throw notFound('Enrollment batch', id);
    return batch;
  }

  /** A page of the batch's items in the order they were given. */
  async items(batchId: string, page: PageRequest): Promise<Page<BatchItemRecord>> {
    const after = page.after ? decodePositionCursor(page.after) : -1;
    const rows: BatchItemRecord[] = await this.dataSource.query(
      `SELECT id, position, external_id AS "externalId", status, error_code AS "errorCode", face_id AS "faceId", worker,
              processed_at AS "processedAt"
         FROM enrollment_batch_items WHERE batch_id = $1 AND position > $2 ORDER BY position LIMIT $3`,
      [batchId, after, page.first + 1],
    );
    const [{ total }] = await this.dataSource.query('SELECT total FROM enrollment_batches WHERE id = $1', [batchId]);
    return toPage(rows, page.first, total, encodePositionCursor);
  }

  /** The item with its photo while it is pending; null once settled, or gone with its gallery. */
  async pending(itemId: string): Promise<PendingBatchItem | null> {
    const [item] = await this.dataSource.query(
      `SELECT i.id, g.tenant_id AS "tenantId", b.gallery_id AS "galleryId", i.external_id AS "externalId",
              i.display_name AS "displayName", i.image
         FROM enrollment_batch_items i JOIN enrollment_batches b ON b.id = i.batch_id JOIN galleries g ON g.id = b.gallery_id
        WHERE i.id = $1 AND i.status = 'pending'`,
      [itemId],
    );
    return item ?? null;
  }

  /**
   * Enrolls the item's face and marks the item done, dropping its photo, in one transaction; null
   * (nothing written) when another run settled the item first.
   */
  async complete(itemId: string, record: EnrollmentRecord, worker: string): Promise<EnrolledFace | null> {
    try {
      return await this.dataSource.transaction(async (em) => {
        const enrolled = await enrollIn(em, record);
        // Waits for a concurrent run's transaction on the item, then sees its outcome.
        const [, settled]: [unknown, number] = await em.query(
          `UPDATE enrollment_batch_items SET status = 'done', face_id = $2, worker = $3, processed_at = now(), image = NULL, display_name = NULL
            WHERE id = $1 AND status = 'pending'`,
          [itemId, enrolled.face.id, worker],
        );
        if (settled === 0) throw new AlreadySettled();
        return enrolled;
      });
    } catch (error) {
      if (error instanceof AlreadySettled) return null;
      throw error;
    }
  }

  /** Marks a pending item failed with `errorCode`, dropping its photo; false when it was settled already. */
  async fail(itemId: string, errorCode: string, worker: string): Promise<boolean> {
    const [, settled]: [unknown, number] = await this.dataSource.query(
      `UPDATE enrollment_batch_items SET status = 'failed', error_code = $2, worker = $3, processed_at = now(), image = NULL, display_name = NULL
        WHERE id = $1 AND status = 'pending'`,
      [itemId, errorCode, worker],
    );
    return settled > 0;
  }
}
