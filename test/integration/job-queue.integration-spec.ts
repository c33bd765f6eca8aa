import { INestApplication } from '@nestjs/common';
import { JobsModule, QUEUES } from '../../libs/database/src/index.js';
import { bootModule, createTestDatabase, queryDatabase, testConfig } from '../support/test-app.js';

/**
 * Replicas and workers boot together against one database. pg-boss creates each queue as a
 * partition of its job table, and concurrent creation deadlocked in Postgres (seen in CI when two
 * API replicas started at once); every process must start, and each queue exist once.
 */
describe('job queue start-up (integration, real Postgres)', () => {
  const apps: INestApplication[] = [];

  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('starts in several processes at once on a fresh database, creating each queue once', async () => {
    // The race needs two creations of one queue to overlap; a few fresh databases make it likely.
    for (let round = 0; round < 5; round++) {
      const databaseUrl = await createTestDatabase(`queue_start_${round}`);
      const config = testConfig(databaseUrl);
      const started = await Promise.allSettled(
        Array.from({ length: 6 }, async () => {
          const app = await bootModule(JobsModule, config);
          apps.push(app);
          await app.init();
        }),
      );
      expect(started.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([]);
      const queues = await queryDatabase<{ name: string }>(databaseUrl, 'SELECT name FROM pgboss.queue ORDER BY name');
      expect(queues.map((q) => q.name)).toEqual(QUEUES.map((q) => q.name).sort());
      while (apps.length) await apps.pop()!.close();
    }
  }, 120_000);
});
