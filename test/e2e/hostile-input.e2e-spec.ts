import { INestApplication } from '@nestjs/common';
import { generateHostileCases, HOSTILE_KINDS, HostileCase, HostileLimits } from '../../bench/hostile-images.js';
import { HostileTarget, operationFor, prepareTarget, sendCase } from '../../bench/hostile-requests.js';
import { startApiServer } from '../support/api-server.js';
import { DATASET_DIR } from '../support/shared-data.js';
import { createTestDatabase, rowCounts, testConfig } from '../support/test-app.js';

/**
 * The deterministic subset of the fuzz proof (`npm run proof:fuzz`): every family of hostile image
 * through every operation and both transports, against the API in-process. Each case must get its
 * correct answer or an allowed error code, and only a successful enrollment may write rows.
 */
const LIMITS: HostileLimits = { maxUploadBytes: 4 * 1024 * 1024, maxImagePixels: 40_000_000 };
const CASES = 80;
const SEED = 1;

describe('hostile images through GraphQL (end to end)', () => {
  let app: INestApplication;
  let baseUrl: string;
  let databaseUrl: string;
  let target: HostileTarget;
  let cases: HostileCase[];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('hostile');
    const config = testConfig(databaseUrl, { MAX_UPLOAD_BYTES: String(LIMITS.maxUploadBytes), MAX_IMAGE_PIXELS: String(LIMITS.maxImagePixels) });
    // Generating (sharp, on libvips threads) overlaps the boot (model loading, migrations).
    [{ app, baseUrl }, cases] = await Promise.all([startApiServer(config), generateHostileCases({ count: CASES, seed: SEED, datasetDir: DATASET_DIR, limits: LIMITS })]);
    target = await prepareTarget(baseUrl, {}, DATASET_DIR);
  });

  afterAll(() => app?.close());

  it('draws every family', () => {
    expect(cases).toHaveLength(CASES);
    expect(new Set(cases.map((c) => c.kind))).toEqual(new Set(HOSTILE_KINDS));
  });

  it('answers each case correctly or with an allowed code, and writes only what it enrolls', async () => {
    const failures: string[] = [];
    for (const [i, hostile] of cases.entries()) {
      const before = await rowCounts(databaseUrl);
      const result = await sendCase(target, hostile, operationFor(i), `hostile-${i}`);
      const where = `${result.name} via ${result.operation} (${result.transport})`;
      if (result.failure) failures.push(`${where}: ${result.failure}`);
      const added = result.enrolled ? 1 : 0;
      const expected = { galleries: before.galleries, identities: before.identities + added, faces: before.faces + added, embeddings: before.embeddings + added };
      const after = await rowCounts(databaseUrl);
      if (JSON.stringify(after) !== JSON.stringify(expected)) failures.push(`${where}: rows ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    }
    expect(failures).toEqual([]);
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
  });
});
