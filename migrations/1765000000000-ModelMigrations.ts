import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Model migrations: moving the faces of one gallery (or of every gallery) from one embedding space to
 * another by re-embedding their stored crops. Progress is not stored but counted (faces in scope that
 * have an embedding in the target space), so a crash loses none; faces that cannot be re-embedded are
 * recorded once, with their reason, and skipped from then on.
 */
export class ModelMigrations1765000000000 implements MigrationInterface {
  name = 'ModelMigrations1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE model_migrations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        from_model_id text NOT NULL REFERENCES model_versions(id),
        to_model_id text NOT NULL REFERENCES model_versions(id) CHECK (to_model_id <> from_model_id),
        gallery_id uuid REFERENCES galleries(id) ON DELETE CASCADE,
        adapter_id text,
        status text NOT NULL DEFAULT 'backfilling' CHECK (status IN ('backfilling', 'paused', 'backfilled', 'cut_over', 'rolled_back')),
        started_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        backfilled_at timestamptz(3)
      )`);
    // One migration in progress per scope: two would race to decide which model a gallery serves.
    await q.query(`
      CREATE UNIQUE INDEX model_migrations_one_open_per_scope ON model_migrations ((coalesce(gallery_id::text, '*')))
       WHERE status IN ('backfilling', 'paused', 'backfilled')`);
    await q.query(`
      CREATE TABLE model_migration_failures (
        migration_id uuid NOT NULL REFERENCES model_migrations(id) ON DELETE CASCADE,
        face_id uuid NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
        reason text NOT NULL,
        worker text NOT NULL,
        failed_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (migration_id, face_id)
      )`);
    await q.query(`CREATE INDEX model_migration_failures_face_id_idx ON model_migration_failures (face_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE model_migration_failures');
    await q.query('DROP TABLE model_migrations');
  }
}
