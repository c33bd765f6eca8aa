import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Enrollment batches: the API stores a batch and its items, and enqueues one job per item, in one
 * transaction; workers settle each item once. The checks make the database hold the rules: a
 * pending item has its photo, a settled one has none (photos are kept only until processed), and
 * exactly the failed ones carry an error code. A batch goes with its gallery (and so its tenant);
 * an item outlives its face, which an erasure may delete.
 */
export class EnrollmentBatches1764700000000 implements MigrationInterface {
  name = 'EnrollmentBatches1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE enrollment_batches (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        gallery_id uuid NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
        total integer NOT NULL CHECK (total > 0),
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX enrollment_batches_gallery_id_idx ON enrollment_batches (gallery_id)`);
    await q.query(`
      CREATE TABLE enrollment_batch_items (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        batch_id uuid NOT NULL REFERENCES enrollment_batches(id) ON DELETE CASCADE,
        position integer NOT NULL,
        external_id text NOT NULL,
        display_name text,
        image bytea,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
        error_code text,
        face_id uuid REFERENCES faces(id) ON DELETE SET NULL,
        worker text,
        processed_at timestamptz(3),
        UNIQUE (batch_id, position),
        CHECK ((status = 'pending') = (image IS NOT NULL)),
        CHECK ((status = 'failed') = (error_code IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX enrollment_batch_items_face_id_idx ON enrollment_batch_items (face_id) WHERE face_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE enrollment_batch_items`);
    await q.query(`DROP TABLE enrollment_batches`);
  }
}
