import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Embeddings at rest in 128 bytes (for a 128-D model): one signed byte per dimension plus the
 * vector's own scale, as libs/vector-index/src/int8-codec.ts encodes them (codes = round(x · scale),
 * scale = 127 / max|x|). Existing float vectors are converted here with the same arithmetic in
 * double precision (floor(v + 0.5) is JavaScript's Math.round), so a converted row and a newly written
 * one of the same vector are byte-identical. Index snapshots holding the old float vectors then
 * disagree with Postgres on their sample check and are rebuilt once.
 */
export class Int8Embeddings1764800000000 implements MigrationInterface {
  name = 'Int8Embeddings1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE embeddings ADD COLUMN codes bytea, ADD COLUMN scale real`);
    await q.query(`
      UPDATE embeddings e SET codes = c.codes, scale = c.scale
        FROM (
          SELECT e2.id, m.scale,
                 decode(string_agg(lpad(to_hex(floor(u.x::float8 * m.scale + 0.5)::int & 255), 2, '0'), '' ORDER BY u.i), 'hex') AS codes
            FROM embeddings e2
           CROSS JOIN LATERAL (
             SELECT CASE WHEN max(abs(x)) > 0 THEN 127 / max(abs(x))::float8 ELSE 1 END AS scale FROM unnest(e2.vector) AS x
           ) m
           CROSS JOIN LATERAL unnest(e2.vector) WITH ORDINALITY AS u(x, i)
           GROUP BY e2.id, m.scale
        ) c
       WHERE e.id = c.id`);
    await q.query(`ALTER TABLE embeddings DROP COLUMN vector`);
    await q.query(`ALTER TABLE embeddings ALTER COLUMN codes SET NOT NULL, ALTER COLUMN scale SET NOT NULL`);
    await q.query(`ALTER TABLE embeddings ADD CONSTRAINT embeddings_codes_check CHECK (octet_length(codes) > 0 AND scale > 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Lossy by nature: the float vectors are the restored int8 ones.
    await q.query(`ALTER TABLE embeddings ADD COLUMN vector real[]`);
    await q.query(`
      UPDATE embeddings e SET vector = v.vector
        FROM (
          SELECT e2.id, array_agg(((get_byte(e2.codes, i) # 128) - 128) / e2.scale ORDER BY i)::real[] AS vector
            FROM embeddings e2 CROSS JOIN LATERAL generate_series(0, octet_length(e2.codes) - 1) AS i
           GROUP BY e2.id
        ) v
       WHERE e.id = v.id`);
    await q.query(`ALTER TABLE embeddings DROP COLUMN codes, DROP COLUMN scale`);
    await q.query(`ALTER TABLE embeddings ALTER COLUMN vector SET NOT NULL, ADD CONSTRAINT embeddings_vector_check CHECK (array_length(vector, 1) > 0)`);
  }
}
