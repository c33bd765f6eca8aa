import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Galleries → identities → faces (with aligned crops) → embeddings per model version.
 * Timestamps keep milliseconds, as JavaScript dates do, so keyset cursors built from them are exact.
 */
export class InitialSchema1764400000000 implements MigrationInterface {
  name = 'InitialSchema1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE model_versions (
        id text PRIMARY KEY,
        version text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('detector', 'embedder')),
        dimension integer CHECK (dimension > 0),
        sha256 char(64) NOT NULL,
        manifest jsonb NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE galleries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE identities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        gallery_id uuid NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
        external_id text NOT NULL,
        display_name text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT identities_gallery_external_id_key UNIQUE (gallery_id, external_id)
      )`);
    await q.query(`
      CREATE TABLE faces (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        identity_id uuid NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
        gallery_id uuid NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
        box_x real NOT NULL,
        box_y real NOT NULL,
        box_width real NOT NULL,
        box_height real NOT NULL,
        landmarks real[] NOT NULL CHECK (array_length(landmarks, 1) = 10),
        detector_score real NOT NULL,
        detector_model_id text NOT NULL REFERENCES model_versions(id),
        source_sha256 char(64) NOT NULL,
        source_width integer NOT NULL,
        source_height integer NOT NULL,
        crop bytea NOT NULL,
        crop_format text NOT NULL,
        crop_template text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX faces_identity_id_idx ON faces (identity_id)`);
    await q.query(`CREATE INDEX faces_gallery_id_idx ON faces (gallery_id)`);
    await q.query(`
      CREATE TABLE embeddings (
        id bigserial PRIMARY KEY,
        face_id uuid NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
        model_version_id text NOT NULL REFERENCES model_versions(id),
        vector real[] NOT NULL CHECK (array_length(vector, 1) > 0),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT embeddings_face_model_key UNIQUE (face_id, model_version_id)
      )`);
    await q.query(`CREATE INDEX embeddings_model_version_id_idx ON embeddings (model_version_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['embeddings', 'faces', 'identities', 'galleries', 'model_versions']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
