import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants own galleries; API keys (only their sha256 stored) belong to a tenant and carry a role;
 * the audit log records who did what, with ids and outcomes only — never images, embeddings or
 * names, so it may outlive an erasure. Existing galleries move into the `default` tenant.
 */
export class TenantsKeysAudit1764500000000 implements MigrationInterface {
  name = 'TenantsKeysAudit1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO tenants (name) VALUES ('default')`);
    await q.query(`ALTER TABLE galleries ADD COLUMN tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE`);
    await q.query(`UPDATE galleries SET tenant_id = (SELECT id FROM tenants WHERE name = 'default')`);
    await q.query(`ALTER TABLE galleries ALTER COLUMN tenant_id SET NOT NULL`);
    await q.query(`ALTER TABLE galleries DROP CONSTRAINT galleries_name_key`);
    await q.query(`ALTER TABLE galleries ADD CONSTRAINT galleries_tenant_name_key UNIQUE (tenant_id, name)`);
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('admin', 'operator', 'reader')),
        name text NOT NULL,
        prefix text NOT NULL,
        secret_sha256 char(64) NOT NULL UNIQUE,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        last_used_at timestamptz(3),
        revoked_at timestamptz(3)
      )`);
    await q.query(`CREATE INDEX api_keys_tenant_id_idx ON api_keys (tenant_id)`);
    await q.query(`
      CREATE TABLE audit_log (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        created_at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
        tenant_id uuid,
        key_id uuid,
        action text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('ok', 'error', 'denied')),
        error_code text,
        gallery_id uuid,
        target_id text,
        duration_ms integer NOT NULL,
        details jsonb
      )`);
    await q.query(`CREATE INDEX audit_log_created_at_idx ON audit_log (created_at, id)`);
    await q.query(`CREATE INDEX audit_log_tenant_created_at_idx ON audit_log (tenant_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP TABLE api_keys`);
    await q.query(`ALTER TABLE galleries DROP CONSTRAINT galleries_tenant_name_key`);
    await q.query(`DELETE FROM galleries WHERE tenant_id <> (SELECT id FROM tenants WHERE name = 'default')`);
    await q.query(`ALTER TABLE galleries ADD CONSTRAINT galleries_name_key UNIQUE (name)`);
    await q.query(`ALTER TABLE galleries DROP COLUMN tenant_id`);
    await q.query(`DROP TABLE tenants`);
  }
}
