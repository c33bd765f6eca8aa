import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The model registry. A model version is `bundled` (its manifest in MODEL_MANIFEST_DIR, recorded by
 * the processes that run it, as every row was before) or `imported` (validated and stored under
 * MODEL_STORE_DIR by registerModel: the stored file, its sha256 and the validation report are
 * then required). At most one embedder is `active`: the global embedding space processes load at
 * boot (none: EMBEDDER_MODEL). `gallery_models` pins a gallery to another space; it goes with the
 * gallery. Existing rows become bundled and validated: they were loaded and run by a process.
 */
export class ModelRegistry1764900000000 implements MigrationInterface {
  name = 'ModelRegistry1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE model_versions
        ADD COLUMN source text NOT NULL DEFAULT 'bundled' CHECK (source IN ('bundled', 'imported')),
        ADD COLUMN status text NOT NULL DEFAULT 'validated' CHECK (status IN ('validated', 'active')),
        ADD COLUMN stored_file text,
        ADD COLUMN stored_sha256 char(64),
        ADD COLUMN validation_report jsonb,
        ADD COLUMN validated_at timestamptz(3),
        ADD COLUMN activated_at timestamptz(3),
        ADD CONSTRAINT model_versions_imported_stored CHECK (
          (source = 'imported') = (stored_file IS NOT NULL AND stored_sha256 IS NOT NULL AND validation_report IS NOT NULL AND validated_at IS NOT NULL)
        ),
        ADD CONSTRAINT model_versions_active_embedder CHECK (status <> 'active' OR (kind = 'embedder' AND activated_at IS NOT NULL))`);
    await q.query(`CREATE UNIQUE INDEX model_versions_one_active_idx ON model_versions ((true)) WHERE status = 'active'`);
    await q.query(`
      CREATE TABLE gallery_models (
        gallery_id uuid PRIMARY KEY REFERENCES galleries(id) ON DELETE CASCADE,
        model_version_id text NOT NULL REFERENCES model_versions(id),
        activated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX gallery_models_model_version_id_idx ON gallery_models (model_version_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE gallery_models');
    await q.query('DROP INDEX model_versions_one_active_idx');
    await q.query(`
      ALTER TABLE model_versions
        DROP CONSTRAINT model_versions_active_embedder, DROP CONSTRAINT model_versions_imported_stored,
        DROP COLUMN activated_at, DROP COLUMN validated_at, DROP COLUMN validation_report, DROP COLUMN stored_sha256,
        DROP COLUMN stored_file, DROP COLUMN status, DROP COLUMN source`);
  }
}
