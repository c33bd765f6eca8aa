import { DataSource } from 'typeorm';
import { legacyDataSource, insertFloatEmbeddings, embeddingStorage } from '../../bench/legacy-embeddings.js';
import { decodeEmbedding, encodeEmbedding } from '../../libs/database/src/index.js';
import { SyntheticFaces } from '../../libs/vector-index/src/synthetic-faces.js';
import { createTestDatabase } from '../support/test-app.js';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

/**
 * Embeddings at rest in int8: the migration converts a database full of float vectors to exactly
 * the bytes the application writes for the same vectors, restores them within cosine 0.9999, and
 * its down migration brings back float vectors.
 */
describe('int8 embeddings at rest (integration, real Postgres)', () => {
  let db: DataSource | undefined;

  afterEach(async () => {
    await db?.destroy();
    db = undefined;
  });

  it('converts stored float vectors to the codes encodeEmbedding writes, restorable to cosine ≥ 0.9999, in a quarter of the vector bytes', async () => {
    const url = await createTestDatabase('int8_migration');
    db = await legacyDataSource(url).initialize();
    await db.runMigrations({ transaction: 'each' });
    const faces = new SyntheticFaces(128, 200, 11);
    const vectors = Array.from({ length: 1000 }, (_, i) => faces.sample(i % 200));
    // Edge cases: a vector whose largest component is negative, and one-hot vectors of both signs.
    vectors.push(Float32Array.from(vectors[0], (x) => -x), Float32Array.from({ length: 128 }, (_, i) => (i === 5 ? 1 : 0)), Float32Array.from({ length: 128 }, (_, i) => (i === 0 ? -1 : 0)));
    const ids = await insertFloatEmbeddings(db, vectors);
    const before = await embeddingStorage(db, 'pg_column_size(vector)');
    await db.destroy();

    db = await legacyDataSource(url, { upToInt8: true }).initialize();
    expect((await db.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(['Int8Embeddings1764800000000']);
    const rows: { id: string; codes: Buffer; scale: number }[] = await db.query('SELECT id, codes, scale FROM embeddings ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(ids);
    const mismatches = rows.filter((row, i) => !row.codes.equals(encodeEmbedding(vectors[i]).codes));
    expect(mismatches.map((r) => r.id)).toEqual([]);
    const worst = Math.min(...rows.map((row, i) => cosine(decodeEmbedding(row), vectors[i])));
    expect(worst).toBeGreaterThanOrEqual(0.9999);

    const after = await embeddingStorage(db, 'pg_column_size(codes) + pg_column_size(scale)');
    expect(after.vectorBytes).toBe(128 + 4 + 4); // codes with their 4-byte varlena header, and the real scale
    expect(before.vectorBytes).toBe(128 * 4 + 24);
    expect(after.tableBytes).toBeLessThan(before.tableBytes * 0.6);

    await db.undoLastMigration({ transaction: 'each' });
    const restored: { vector: number[] }[] = await db.query('SELECT vector FROM embeddings ORDER BY id');
    const worstRestored = Math.min(...restored.map((row, i) => cosine(Float32Array.from(row.vector), vectors[i]) / Math.hypot(...row.vector)));
    expect(worstRestored).toBeGreaterThanOrEqual(0.9999);
  }, 120_000);
});
