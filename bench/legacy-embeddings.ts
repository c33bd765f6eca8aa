// Float32 embeddings in the schema before 1764800000000-Int8Embeddings, for the migration's test and
// the storage benchmark: a database migrated up to that point, filled with synthetic faces whose
// vectors are stored as real[] the way they used to be.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations/index.js';
import { Int8Embeddings1764800000000 } from '../migrations/1764800000000-Int8Embeddings.js';

const MODEL = 'legacy-embedder';
const ROWS_PER_INSERT = 2000;

/** A connection to `url` that knows only the migrations before the int8 one (or up to it, with `upToInt8`). */
export function legacyDataSource(url: string, { upToInt8 = false } = {}): DataSource {
  const int8 = MIGRATIONS.indexOf(Int8Embeddings1764800000000);
  const migrations = MIGRATIONS.slice(0, upToInt8 ? int8 + 1 : int8);
  return new DataSource({ type: 'postgres', url, migrations, migrationsTableName: 'schema_migrations', logging: false });
}

/** One gallery and identity holding a face with a 1×1 placeholder crop per vector, embedded as real[]; returns the embedding ids in order. */
export async function insertFloatEmbeddings(db: DataSource, vectors: Float32Array[]): Promise<string[]> {
  await db.query(
    `INSERT INTO model_versions (id, version, kind, dimension, sha256, manifest) VALUES ($1, '1', 'embedder', $2, repeat('0', 64), '{}')
     ON CONFLICT DO NOTHING`,
    [MODEL, vectors[0].length],
  );
  const [{ id: galleryId }] = await db.query(
    `INSERT INTO galleries (tenant_id, name) SELECT id, $1 FROM tenants WHERE name = 'default' RETURNING id`,
    [`legacy-${randomUUID()}`],
  );
  const [{ id: identityId }] = await db.query(`INSERT INTO identities (gallery_id, external_id) VALUES ($1, 'legacy') RETURNING id`, [galleryId]);
  const ids: string[] = [];
  for (let start = 0; start < vectors.length; start += ROWS_PER_INSERT) {
    const chunk = vectors.slice(start, start + ROWS_PER_INSERT);
    const faceIds = chunk.map(() => randomUUID());
    await db.query(
      `INSERT INTO faces (id, identity_id, gallery_id, box_x, box_y, box_width, box_height, landmarks, detector_score, detector_model_id,
                          source_sha256, source_width, source_height, crop, crop_format, crop_template)
       SELECT f, $2, $3, 0, 0, 112, 112, array_fill(56::real, ARRAY[10]), 0.9, $4, repeat('0', 64), 112, 112, '\\x00', 'png', $4
         FROM unnest($1::uuid[]) AS f`,
      [faceIds, identityId, galleryId, MODEL],
    );
    // Shortest round-trip text of each float32: Postgres's real parses it back to the same value.
    const rows: { id: string }[] = await db.query(
      `INSERT INTO embeddings (face_id, model_version_id, vector)
       SELECT f, $2, v::real[] FROM unnest($1::uuid[], $3::text[]) WITH ORDINALITY AS t(f, v, n) ORDER BY n RETURNING id`,
      [faceIds, MODEL, chunk.map((v) => `{${Array.from(v).join(',')}}`)],
    );
    ids.push(...rows.map((row) => row.id));
  }
  return ids;
}

/** Bytes per embedding row: the vector's own columns, and the whole table with its TOAST and indexes (after VACUUM FULL). */
export async function embeddingStorage(db: DataSource, vectorColumns: string): Promise<{ rows: number; vectorBytes: number; tableBytes: number }> {
  await db.query('VACUUM FULL embeddings');
  const [row] = await db.query(
    `SELECT count(*)::int AS rows, avg(${vectorColumns})::float8 AS "vectorBytes",
            pg_total_relation_size('embeddings')::float8 / greatest(count(*), 1) AS "tableBytes" FROM embeddings`,
  );
  return { rows: row.rows, vectorBytes: Math.round(row.vectorBytes), tableBytes: Math.round(row.tableBytes) };
}
