import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox of index changes: every transaction that adds or removes embeddings appends one row
 * per embedding, so each API process's in-memory index can follow the others and a snapshot can
 * replay what happened after it. Rows name embeddings by id only (no vectors, no people), and a
 * removal outlives its embedding, hence no foreign key. `index_change_state` names this database
 * (a snapshot taken of another one is refused) and remembers the highest id the retention job
 * deleted (a snapshot older than that cannot be replayed).
 */
export class IndexChanges1764600000000 implements MigrationInterface {
  name = 'IndexChanges1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE index_changes (
        id bigserial PRIMARY KEY,
        op text NOT NULL CHECK (op IN ('add', 'remove')),
        embedding_id bigint NOT NULL,
        model_version_id text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`
      CREATE TABLE index_change_state (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        database_id uuid NOT NULL DEFAULT gen_random_uuid(),
        pruned_through bigint NOT NULL DEFAULT 0
      )`);
    await q.query(`INSERT INTO index_change_state DEFAULT VALUES`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE index_change_state`);
    await q.query(`DROP TABLE index_changes`);
  }
}
