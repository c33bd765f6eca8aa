import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import { ModelRegistry1764900000000 } from '../../migrations/1764900000000-ModelRegistry.js';
import { createTestDatabase, queryDatabase } from '../support/test-app.js';

const connect = (url: string, migrations: Function[]) =>
  new DataSource({ type: 'postgres', url, migrations, migrationsTableName: 'schema_migrations', logging: false }).initialize();

/** Migration 1764900000000 on a database that already records models: their rows keep working, and it reverts cleanly. */
describe('ModelRegistry migration (integration)', () => {
  it('makes existing rows bundled and validated, enforces the registry rules, and goes down to the previous schema', async () => {
    const url = await createTestDatabase('registry_migration');
    const before = await connect(url, MIGRATIONS.filter((m) => m !== ModelRegistry1764900000000));
    await before.runMigrations();
    await before.query(
      `INSERT INTO model_versions (id, version, kind, dimension, sha256, manifest) VALUES
         ('yunet-n', '1', 'detector', NULL, $1, '{}'), ('mobilefacenet-128', '1', 'embedder', 128, $1, '{}')`,
      ['a'.repeat(64)],
    );
    await before.destroy();

    const after = await connect(url, MIGRATIONS);
    try {
      expect((await after.runMigrations()).map((m) => m.name)).toEqual(['ModelRegistry1764900000000']);
      expect(await queryDatabase(url, 'SELECT id, source, status, stored_file FROM model_versions ORDER BY id')).toEqual([
        { id: 'mobilefacenet-128', source: 'bundled', status: 'validated', stored_file: null },
        { id: 'yunet-n', source: 'bundled', status: 'validated', stored_file: null },
      ]);
      const refused = (sql: string) => expect(after.query(sql)).rejects.toThrow(/violates (check|unique) constraint/);
      await refused(`UPDATE model_versions SET status = 'active', activated_at = now() WHERE id = 'yunet-n'`);
      await refused(`UPDATE model_versions SET source = 'imported' WHERE id = 'mobilefacenet-128'`);
      await after.query(`UPDATE model_versions SET status = 'active', activated_at = now() WHERE id = 'mobilefacenet-128'`);
      await after.query(
        `INSERT INTO model_versions (id, version, kind, dimension, sha256, manifest) VALUES ('second', '1', 'embedder', 512, $1, '{}')`,
        ['b'.repeat(64)],
      );
      await refused(`UPDATE model_versions SET status = 'active', activated_at = now() WHERE id = 'second'`);

      await after.undoLastMigration();
      const columns = await queryDatabase<{ column_name: string }>(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'model_versions' ORDER BY ordinal_position");
      expect(columns.map((c) => c.column_name)).toEqual(['id', 'version', 'kind', 'dimension', 'sha256', 'manifest', 'created_at', 'updated_at']);
      expect(await queryDatabase(url, "SELECT to_regclass('gallery_models') AS t")).toEqual([{ t: null }]);
    } finally {
      await after.destroy();
    }
  });
});
