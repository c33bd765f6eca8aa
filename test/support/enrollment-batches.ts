import { readFile } from 'node:fs/promises';
import { noFaceJpeg } from '../e2e/bad-images.js';
import { londonPeople, londonPhoto } from './shared-data.js';
import { queryDatabase } from './test-app.js';

export interface BatchPhoto {
  externalId: string;
  displayName: string;
  image: Buffer;
}

/** Items that must fail, by externalId, with the code each must end with. */
export const BAD_ITEMS: Record<string, string> = { 'no-face': 'NO_FACE', garbage: 'INVALID_IMAGE' };

/** `count` London portraits (one person each), then a face-free photo and bytes that are no image at all. */
export async function londonBatch(count: number): Promise<BatchPhoto[]> {
  const people = londonPeople().slice(0, count);
  const portraits = await Promise.all(
    people.map(async (person) => ({ externalId: `person-${person}`, displayName: `Person ${person}`, image: await readFile(londonPhoto('neutral_front', person)) })),
  );
  return [
    ...portraits,
    { externalId: 'no-face', displayName: 'Nobody', image: await noFaceJpeg() },
    { externalId: 'garbage', displayName: 'Garbage', image: Buffer.from('these bytes are not an image') },
  ];
}

export interface ItemFacts {
  externalId: string;
  status: string;
  errorCode: string | null;
  faceId: string | null;
  worker: string | null;
  /** Whether the row still holds the photo. */
  hasImage: boolean;
  /** Faces enrolled under the item's externalId in the batch's gallery: all of them, so a duplicate shows. */
  faces: number;
}

export const batchFacts = (databaseUrl: string, batchId: string) =>
  queryDatabase<ItemFacts>(
    databaseUrl,
    `SELECT i.external_id AS "externalId", i.status, i.error_code AS "errorCode", i.face_id AS "faceId", i.worker,
            i.image IS NOT NULL AS "hasImage",
            (SELECT count(*) FROM faces f JOIN identities d ON d.id = f.identity_id
              WHERE d.gallery_id = b.gallery_id AND d.external_id = i.external_id)::int AS faces
       FROM enrollment_batch_items i JOIN enrollment_batches b ON b.id = i.batch_id
      WHERE i.batch_id = $1 ORDER BY i.position`,
    [batchId],
  );

/** Items of the batch settled so far, by worker. */
export async function settledByWorker(databaseUrl: string, batchId: string): Promise<Record<string, number>> {
  const rows = await queryDatabase<{ worker: string; count: number }>(
    databaseUrl,
    `SELECT worker, count(*)::int AS count FROM enrollment_batch_items WHERE batch_id = $1 AND status <> 'pending' GROUP BY worker`,
    [batchId],
  );
  return Object.fromEntries(rows.map((r) => [r.worker, r.count]));
}

/** Polls until `done` holds, failing after `timeoutMs`. */
export async function waitUntil(what: string, done: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const pendingItems = async (databaseUrl: string, batchId: string) =>
  (await queryDatabase<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM enrollment_batch_items WHERE batch_id = $1 AND status = 'pending'`, [batchId]))[0].n;

/**
 * The batch as a whole went right: each portrait enrolled exactly once (one face under its
 * externalId, the item pointing at it), each bad item failed with its code and enrolled nothing,
 * and no item still holds its photo.
 */
export function expectEnrolledOnce(facts: ItemFacts[]): void {
  for (const item of facts) {
    const expected = BAD_ITEMS[item.externalId]
      ? { status: 'failed', errorCode: BAD_ITEMS[item.externalId], faces: 0, hasImage: false }
      : { status: 'done', errorCode: null, faces: 1, hasImage: false, faceId: expect.any(String) };
    // externalId in both, so a mismatch names the item.
    expect(item).toMatchObject({ externalId: item.externalId, ...expected });
  }
}
