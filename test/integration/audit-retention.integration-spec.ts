import { INestApplication } from '@nestjs/common';
import { AccessModule } from '../../libs/access/src/index.js';
import { bootModule, createTestDatabase, queryDatabase, testConfig } from '../support/test-app.js';

/** Audit entries older than AUDIT_RETENTION_DAYS are deleted at boot (and hourly); 0 keeps them all. */
describe('audit retention (integration, real Postgres)', () => {
  let app: INestApplication | undefined;
  afterEach(() => app?.close());

  async function bootWithAgedEntries(retentionDays: string): Promise<string[]> {
    const databaseUrl = await createTestDatabase('audit');
    const config = testConfig(databaseUrl, { AUDIT_RETENTION_DAYS: retentionDays });
    app = await bootModule(AccessModule, config);
    await app.init(); // migrates
    await queryDatabase(databaseUrl, `
      INSERT INTO audit_log (created_at, action, outcome, duration_ms)
      VALUES (now() - interval '400 days', 'old', 'ok', 1), (now() - interval '10 days', 'recent', 'ok', 1)`);
    await app.close();
    app = await bootModule(AccessModule, config);
    await app.init();
    return (await queryDatabase<{ action: string }>(databaseUrl, 'SELECT action FROM audit_log ORDER BY created_at')).map((r) => r.action);
  }

  it('deletes entries past the retention period at boot', async () => {
    expect(await bootWithAgedEntries('365')).toEqual(['recent']);
  });

  it('keeps everything when retention is 0', async () => {
    expect(await bootWithAgedEntries('0')).toEqual(['old', 'recent']);
  });
});
