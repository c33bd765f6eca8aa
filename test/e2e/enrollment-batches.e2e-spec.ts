import { INestApplication } from '@nestjs/common';
import { startServer, ServerProcess, WORKER_MAIN } from '../../bench/server-process.js';
import { ApiKeyService } from '../../libs/access/src/index.js';
import { startApiServer } from '../support/api-server.js';
import { BAD_ITEMS, batchFacts, expectEnrolledOnce, londonBatch, waitUntil } from '../support/enrollment-batches.js';
import { GraphqlClient, GraphqlResponse } from '../support/graphql-client.js';
import { MANIFEST_DIR, MODEL_DIR } from '../support/shared-data.js';
import { createTestDatabase, expectRejected, queryDatabase, testConfig } from '../support/test-app.js';

const MAX_BATCH_ITEMS = 10;

const CREATE_GALLERY = 'mutation($name: String!) { createGallery(input: { name: $name }) { id } }';
const ENROLL_BATCH = 'mutation($input: EnrollBatchInput!) { enrollBatch(input: $input) { id galleryId status total done failed createdAt finishedAt } }';
const BATCH = `query($id: ID!, $first: Int, $after: String) {
  enrollmentBatch(id: $id) { id status total done failed finishedAt items(first: $first, after: $after) { totalCount endCursor hasNextPage nodes { externalId status errorCode faceId } } }
}`;

/**
 * Enrollment batches over GraphQL with a real worker process: the API answers at once, the worker
 * enrolls, the client polls. Batches are tenant-scoped like galleries, and a refused batch writes
 * nothing, not even a job.
 */
describe('enrollment batches over GraphQL (end to end)', () => {
  let app: INestApplication;
  let databaseUrl: string;
  let worker: ServerProcess;
  const keys: Record<string, GraphqlClient> = {};
  let galleryId: string;
  let items: { externalId: string; displayName: string; imageBase64: string }[];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('batches_e2e');
    const env = { AUTH_MODE: 'required', MAX_BATCH_ITEMS: String(MAX_BATCH_ITEMS), WORKER_POLL_INTERVAL_SECONDS: '0.5' };
    let api: GraphqlClient;
    ({ app, api } = await startApiServer(testConfig(databaseUrl, env)));
    for (const tenant of ['acme', 'globex']) {
      for (const role of ['operator', 'reader'] as const) {
        keys[`${tenant}-${role}`] = api.withKey((await app.get(ApiKeyService).createKey({ tenant, role, name: `${tenant} ${role}` })).key);
      }
    }
    galleryId = (await keys['acme-operator'].request(CREATE_GALLERY, { name: 'staff' })).data!.createGallery.id;
    items = (await londonBatch(6)).map(({ image, ...person }) => ({ ...person, imageBase64: image.toString('base64') }));
    worker = startServer(
      { DATABASE_URL: databaseUrl, MODEL_DIR, MODEL_MANIFEST_DIR: MANIFEST_DIR, ORT_INTRA_OP_THREADS: '1', LOG_LEVEL: 'warn', ...env },
      WORKER_MAIN,
    );
  });

  afterAll(async () => {
    worker?.process.kill('SIGTERM');
    await worker?.exited;
    await app?.close();
  });

  /** Batches, items and queued jobs: a refused request must add none. */
  const queued = async () =>
    (await queryDatabase(databaseUrl, `SELECT (SELECT count(*) FROM enrollment_batches)::int AS batches,
      (SELECT count(*) FROM enrollment_batch_items)::int AS items, (SELECT count(*) FROM pgboss.job)::int AS jobs`))[0];

  async function expectRefused(code: string, send: () => Promise<GraphqlResponse>): Promise<void> {
    const before = await queued();
    await expectRejected(databaseUrl, code, send);
    expect(await queued()).toEqual(before);
  }

  it('accepts a batch at once, and the worker enrolls it: polling shows each item done with its face, or failed with its code', async () => {
    const submitted = await keys['acme-operator'].request(ENROLL_BATCH, { input: { galleryId, items } });
    expect(submitted.errors).toBeUndefined();
    const batch = submitted.data!.enrollBatch;
    expect(batch).toMatchObject({ galleryId, total: items.length, finishedAt: null });

    const poll = (first = 100, after?: string) => keys['acme-reader'].request(BATCH, { id: batch.id, first, after });
    await waitUntil('the batch', async () => (await poll()).data!.enrollmentBatch.status === 'COMPLETED');

    const { data } = await poll();
    expect(data!.enrollmentBatch).toMatchObject({ total: items.length, done: items.length - 2, failed: 2, finishedAt: expect.any(String) });
    expect(data!.enrollmentBatch.items.nodes).toEqual(
      items.map(({ externalId }) =>
        BAD_ITEMS[externalId]
          ? { externalId, status: 'FAILED', errorCode: BAD_ITEMS[externalId], faceId: null }
          : { externalId, status: 'DONE', errorCode: null, faceId: expect.any(String) },
      ),
    );
    expectEnrolledOnce(await batchFacts(databaseUrl, batch.id));

    // Items page in the order given.
    const first = (await poll(5)).data!.enrollmentBatch.items;
    expect(first).toMatchObject({ totalCount: items.length, hasNextPage: true });
    const rest = (await poll(5, first.endCursor)).data!.enrollmentBatch.items;
    expect(rest).toMatchObject({ hasNextPage: false });
    expect([...first.nodes, ...rest.nodes].map((n: { externalId: string }) => n.externalId)).toEqual(items.map((i) => i.externalId));
    await expectRefused('VALIDATION', () => poll(5, 'not-a-cursor'));
  }, 300_000);

  it('keeps batches within their tenant: another tenant\'s key gets NOT_FOUND for the batch and the gallery', async () => {
    const batch = (await keys['acme-operator'].request(ENROLL_BATCH, { input: { galleryId, items: items.slice(0, 1) } })).data!.enrollBatch;
    // Row counts are compared around each refusal, so the worker must be done with this batch first.
    await waitUntil('the batch', async () => (await keys['acme-reader'].request(BATCH, { id: batch.id })).data!.enrollmentBatch.status === 'COMPLETED');
    await expectRefused('NOT_FOUND', () => keys['globex-reader'].request(BATCH, { id: batch.id }));
    await expectRefused('NOT_FOUND', () => keys['globex-operator'].request(ENROLL_BATCH, { input: { galleryId, items: items.slice(0, 1) } }));
    await expectRefused('FORBIDDEN', () => keys['acme-reader'].request(ENROLL_BATCH, { input: { galleryId, items: items.slice(0, 1) } }));
    expect((await keys['acme-reader'].request(BATCH, { id: batch.id })).data!.enrollmentBatch.id).toBe(batch.id);
  });

  it('refuses bad batches with a coded error and writes nothing', async () => {
    const send = (input: Record<string, unknown>) => () => keys['acme-operator'].request(ENROLL_BATCH, { input });
    const tooMany = Array.from({ length: MAX_BATCH_ITEMS + 1 }, (_, i) => ({ ...items[0], externalId: `person-${i}` }));
    await expectRefused('NOT_FOUND', send({ galleryId: '00000000-0000-4000-8000-000000000000', items }));
    await expectRefused('VALIDATION', send({ galleryId, items: tooMany }));
    await expectRefused('VALIDATION', send({ galleryId, items: [] }));
    await expectRefused('VALIDATION', send({ galleryId, items: [{ ...items[0], externalId: ' ' }] }));
    await expectRefused('INVALID_IMAGE', send({ galleryId, items: [items[0], { ...items[1], imageBase64: 'not base64!' }] }));
    await expectRefused('VALIDATION', send({ galleryId: 'not-a-uuid', items }));
  });
});
