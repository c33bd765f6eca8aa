import type { QueueDefinition } from './job-queue.js';

/** Enrolls one batch item; data `{ itemId }`. */
export const ENROLL_BATCH_ITEM = 'enroll-batch-item';

/** Batch items whose job failed for good (retries spent, or its workers kept dying); data `{ itemId }`. */
export const ENROLL_BATCH_ITEM_GIVEN_UP = 'enroll-batch-item-given-up';

export interface BatchItemJob {
  itemId: string;
}

/** Re-embeds the stored crops of a model migration's faces, batch after batch; data `{ migrationId }`. */
export const BACKFILL_EMBEDDINGS = 'backfill-embeddings';

export interface BackfillJob {
  migrationId: string;
}

/** Every queue, created at start; a dead letter before the queue that names it. */
export const QUEUES: QueueDefinition[] = [
  { name: ENROLL_BATCH_ITEM_GIVEN_UP },
  { name: ENROLL_BATCH_ITEM, deadLetter: ENROLL_BATCH_ITEM_GIVEN_UP },
  { name: BACKFILL_EMBEDDINGS },
];
