import { readFile } from 'node:fs/promises';
import { INestApplication } from '@nestjs/common';
import { startServer, ServerProcess, WORKER_MAIN } from '../../bench/server-process.js';
import { ApiKeyService } from '../../libs/access/src/index.js';
import { startApiServer } from '../support/api-server.js';
import { waitUntil } from '../support/enrollment-batches.js';
import { dlibModelDir } from '../support/generated-models.js';
import { GraphqlClient } from '../support/graphql-client.js';
import { londonPhoto, MANIFEST_DIR, MODEL_DIR } from '../support/shared-data.js';
import { createTestDatabase, expectRejected, queryDatabase, testConfig } from '../support/test-app.js';

const CREATE_GALLERY = 'mutation($name: String!) { createGallery(input: { name: $name }) { id } }';
const ENROLL = 'mutation($input: FaceEnrollInput!) { enrollFace(input: $input) { faces { id } } }';
const FIELDS = 'id fromModelId toModelId galleryId status startedAt eta backfilledAt progress { total done failed facesPerSecond }';
const START = `mutation($input: ModelMigrationStartInput!) { startModelMigration(input: $input) { ${FIELDS} } }`;
const GET = `query($id: ID!) { modelMigration(id: $id) { ${FIELDS} } }`;
const PAUSE = 'mutation($id: ID!) { pauseModelMigration(id: $id) { status } }';
const RESUME = 'mutation($id: ID!) { resumeModelMigration(id: $id) { status } }';

/**
 * A model migration over GraphQL with a real worker process: an admin starts it, follows its
 * progress until every face has its dlib embedding, and pauses or resumes it. Other roles, other
 * tenants, unknown models and a second migration of the same gallery are refused and change nothing.
 */
describe('model migrations over GraphQL (end to end)', () => {
  let app: INestApplication;
  let databaseUrl: string;
  let worker: ServerProcess | undefined;
  let env: Record<string, string>;
  const keys: Record<string, GraphqlClient> = {};
  let galleryId: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('migrations_e2e');
    env = { AUTH_MODE: 'required', GENERATED_MODEL_DIR: await dlibModelDir(), WORKER_POLL_INTERVAL_SECONDS: '0.5', BACKFILL_BATCH_SIZE: '2' };
    let api: GraphqlClient;
    ({ app, api } = await startApiServer(testConfig(databaseUrl, env)));
    for (const [tenant, role] of [['acme', 'admin'], ['acme', 'operator'], ['globex', 'admin']] as const) {
      keys[`${tenant}-${role}`] = api.withKey((await app.get(ApiKeyService).createKey({ tenant, role, name: `${tenant} ${role}` })).key);
    }
    galleryId = (await keys['acme-admin'].request(CREATE_GALLERY, { name: 'staff' })).data!.createGallery.id;
    for (const person of [1, 2, 3]) {
      const imageBase64 = (await readFile(londonPhoto('neutral_front', person))).toString('base64');
      expect((await keys['acme-operator'].request(ENROLL, { input: { galleryId, externalId: `person-${person}`, imageBase64 } })).errors).toBeUndefined();
    }
  }, 120_000);

  afterAll(async () => {
    worker?.process.kill('SIGTERM');
    await worker?.exited;
    await app?.close();
  });

  /** Model migrations as rows: a refusal must add or change none. */
  const migrationRows = () => queryDatabase(databaseUrl, 'SELECT id, status FROM model_migrations ORDER BY id');

  it('refuses other roles, other tenants, unknown models and a second migration of the gallery, changing nothing', async () => {
    const start = (key: string, input: Record<string, unknown>) => () => keys[key].request(START, { input });
    for (const [code, send] of [
      ['FORBIDDEN', start('acme-operator', { galleryId, to: 'dlib-resnet-128' })],
      ['NOT_FOUND', start('globex-admin', { galleryId, to: 'dlib-resnet-128' })],
      ['FORBIDDEN', start('acme-admin', { to: 'dlib-resnet-128' })],
      ['MODEL_UNAVAILABLE', start('acme-admin', { galleryId, to: 'no-such-model' })],
      ['VALIDATION', start('acme-admin', { galleryId, to: 'mobilefacenet-128' })],
      ['VALIDATION', start('acme-admin', { galleryId, to: '../etc/passwd' })],
    ] as const) {
      const before = await migrationRows();
      await expectRejected(databaseUrl, code, send);
      expect(await migrationRows()).toEqual(before);
    }
  });

  it('re-embeds the gallery in the worker while the admin follows it, and pauses and resumes on request', async () => {
    const started = await keys['acme-admin'].request(START, { input: { galleryId, to: 'dlib-resnet-128' } });
    expect(started.errors).toBeUndefined();
    const migration = started.data!.startModelMigration;
    expect(migration).toMatchObject({ fromModelId: 'mobilefacenet-128', toModelId: 'dlib-resnet-128', galleryId, status: 'BACKFILLING', progress: { total: 3, done: 0, failed: 0 } });

    const before = await migrationRows();
    await expectRejected(databaseUrl, 'MIGRATION_STATE', () => keys['acme-admin'].request(START, { input: { galleryId, to: 'dlib-resnet-128' } }));
    await expectRejected(databaseUrl, 'NOT_FOUND', () => keys['globex-admin'].request(GET, { id: migration.id }));
    await expectRejected(databaseUrl, 'NOT_FOUND', () => keys['globex-admin'].request(PAUSE, { id: migration.id }));
    expect(await migrationRows()).toEqual(before);

    expect((await keys['acme-admin'].request(PAUSE, { id: migration.id })).data!.pauseModelMigration.status).toBe('PAUSED');
    await expectRejected(databaseUrl, 'MIGRATION_STATE', () => keys['acme-admin'].request(PAUSE, { id: migration.id }));
    expect((await keys['acme-admin'].request(RESUME, { id: migration.id })).data!.resumeModelMigration.status).toBe('BACKFILLING');

    worker = startServer({ DATABASE_URL: databaseUrl, MODEL_DIR, MODEL_MANIFEST_DIR: MANIFEST_DIR, ORT_INTRA_OP_THREADS: '1', LOG_LEVEL: 'warn', ...env }, WORKER_MAIN);
    const poll = async () => (await keys['acme-admin'].request(GET, { id: migration.id })).data!.modelMigration;
    await waitUntil('the backfill', async () => (await poll()).status === 'BACKFILLED');
    const done = await poll();
    expect(done).toMatchObject({ status: 'BACKFILLED', eta: null, backfilledAt: expect.any(String), progress: { total: 3, done: 3, failed: 0 } });
    expect(done.progress.facesPerSecond).toBeGreaterThan(0);
    const [{ n }] = await queryDatabase<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM embeddings WHERE model_version_id = 'dlib-resnet-128'`);
    expect(n).toBe(3);
  }, 300_000);
});
