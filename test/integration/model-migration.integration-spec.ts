import { readFile } from 'node:fs/promises';
import { INestApplication } from '@nestjs/common';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { ServerProcess, startServer, WORKER_MAIN } from '../../bench/server-process.js';
import { BACKFILL_EMBEDDINGS } from '../../libs/database/src/index.js';
import { dot } from '../../libs/common/src/index.js';
import { decodeEmbedding, StoredEmbedding } from '../../libs/database/src/index.js';
import { decodeCrop, encodeCrop, FACE_ARCHIVE_ALIGNMENT, FacePipeline, readManifest, realignCrop } from '../../libs/inference/src/index.js';
import {
  EnrollmentService, facePipelineOptions, GalleryService, ModelMigrationService, ModelMigrationView, RecognitionModule,
} from '../../libs/recognition/src/index.js';
import { waitUntil } from '../support/enrollment-batches.js';
import { dlibModelDir } from '../support/generated-models.js';
import { londonPeople, londonPhoto, MANIFEST_DIR, MODEL_DIR } from '../support/shared-data.js';
import { bootModule, createTestDatabase, defaultTenantId, queryDatabase, testConfig } from '../support/test-app.js';

const PEOPLE = londonPeople().slice(0, 14);
const TARGET = 'dlib-resnet-128';

/**
 * A model migration's backfill on real faces and real models: London portraits enrolled with
 * MobileFaceNet are re-embedded by dlib's ResNet from their stored archive crops, by two workers
 * sharing the jobs; every face ends with exactly one dlib embedding, equal to what dlib gives from
 * the photo itself, and its index change. Pause stops the workers' progress, resume finishes it, and
 * a face whose stored crop is too narrow for the new model fails alone, with its reason.
 */
describe('model migration backfill (integration, real Postgres, two workers)', () => {
  let databaseUrl: string;
  let env: Record<string, string>;
  let api: INestApplication;
  let tenantId: string;
  const workers: INestApplication[] = [];
  const processes: ServerProcess[] = [];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('model_migration');
    env = {
      GENERATED_MODEL_DIR: await dlibModelDir(), BACKFILL_BATCH_SIZE: '3', BACKFILL_JOBS: '2', WORKER_POLL_INTERVAL_SECONDS: '0.5',
      // Fast crash recovery: a lost job expires after 10 s and is swept within 1 s.
      JOB_EXPIRE_SECONDS: '10', JOB_MAINTENANCE_INTERVAL_SECONDS: '1', JOB_RETRY_DELAY_SECONDS: '0',
    };
    api = await bootModule(RecognitionModule, testConfig(databaseUrl, env));
    await api.init();
    tenantId = await defaultTenantId(api);
  }, 120_000);

  afterAll(async () => {
    for (const child of processes) child.process.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    for (const worker of workers) await worker.close();
    await api?.close();
  });

  const enrollGallery = async (name: string, people: string[]) => {
    const galleryId = (await api.get(GalleryService).createGallery(tenantId, name)).id;
    for (const person of people) {
      await api.get(EnrollmentService).enrollFace({ tenantId, galleryId, externalId: `person-${person}`, image: await readFile(londonPhoto('neutral_front', person)) });
    }
    return galleryId;
  };

  const startWorkers = async () => {
    for (const name of ['worker-a', 'worker-b']) {
      const worker = await bootModule(WorkerModule, testConfig(databaseUrl, { ...env, WORKER_NAME: name }));
      await worker.init();
      workers.push(worker);
    }
  };

  /** A worker process as `npm run start:worker` runs it. */
  const startWorkerProcess = (name: string) => {
    const child = startServer(
      { DATABASE_URL: databaseUrl, MODEL_DIR, MODEL_MANIFEST_DIR: MANIFEST_DIR, ORT_INTRA_OP_THREADS: '1', LOG_LEVEL: 'log', WORKER_NAME: name, ...env },
      WORKER_MAIN,
    );
    processes.push(child);
    return child;
  };

  const migrations = () => api.get(ModelMigrationService);
  const statusOf = async (id: string) => (await migrations().get(tenantId, id)).status;

  /** Per face of the gallery: its embeddings in the target space and their index changes. */
  const targetEmbeddings = (galleryId: string) =>
    queryDatabase<StoredEmbedding & { face_id: string; external_id: string; embeddings: number; changes: number }>(
      databaseUrl,
      `SELECT f.id AS face_id, i.external_id, count(e.id)::int AS embeddings, min(e.codes) AS codes, min(e.scale) AS scale,
              (SELECT count(*) FROM index_changes c WHERE c.embedding_id = min(e.id) AND c.op = 'add' AND c.model_version_id = $2)::int AS changes
         FROM faces f JOIN identities i ON i.id = f.identity_id LEFT JOIN embeddings e ON e.face_id = f.id AND e.model_version_id = $2
        WHERE f.gallery_id = $1 GROUP BY f.id, i.external_id ORDER BY i.external_id`,
      [galleryId, TARGET],
    );

  it('re-embeds every face once with the new model, as the new model embeds the photo, with two workers running', async () => {
    const galleryId = await enrollGallery('staff', PEOPLE);
    let migration: ModelMigrationView = await migrations().start({ tenantId, galleryId, toModelId: TARGET });
    expect(migration).toMatchObject({ fromModelId: 'mobilefacenet-128', toModelId: TARGET, galleryId, status: 'backfilling', progress: { total: PEOPLE.length, done: 0, failed: 0 } });
    // One open migration per scope: a second is refused and writes nothing.
    await expect(migrations().start({ tenantId, galleryId, toModelId: TARGET })).rejects.toMatchObject({ code: 'MIGRATION_STATE' });
    expect(await queryDatabase(databaseUrl, 'SELECT id FROM model_migrations')).toEqual([{ id: migration.id }]);

    await startWorkers();
    await waitUntil('the backfill', async () => (await statusOf(migration.id)) === 'backfilled');
    migration = await migrations().get(tenantId, migration.id);
    expect(migration.progress).toMatchObject({ total: PEOPLE.length, done: PEOPLE.length, failed: 0 });
    expect(migration.progress.facesPerSecond).toBeGreaterThan(0);

    const rows = await targetEmbeddings(galleryId);
    expect(rows.map((r) => [r.embeddings, r.changes])).toEqual(PEOPLE.map(() => [1, 1]));
    // The reference: dlib's own pipeline on each photo.
    const pipeline = await FacePipeline.create({ ...facePipelineOptions(testConfig(databaseUrl, env)), embedderId: TARGET }, { log() {}, warn() {} });
    try {
      for (const [i, person] of PEOPLE.entries()) {
        const { faces } = await pipeline.analyze(await readFile(londonPhoto('neutral_front', person)));
        expect(dot(faces[0].embedding, decodeEmbedding(rows[i]))).toBeGreaterThan(0.98);
      }
    } finally {
      await pipeline.release();
    }

    // Dual write: a face enrolled while the migration is open gets its new-model embedding at once.
    const newcomer = londonPeople()[PEOPLE.length];
    await api.get(EnrollmentService).enrollFace({ tenantId, galleryId, externalId: `person-${newcomer}`, image: await readFile(londonPhoto('neutral_front', newcomer)) });
    expect((await targetEmbeddings(galleryId)).map((r) => [r.embeddings, r.changes])).toEqual([...PEOPLE, newcomer].map(() => [1, 1]));
    expect((await migrations().get(tenantId, migration.id)).progress).toMatchObject({ total: PEOPLE.length + 1, done: PEOPLE.length + 1 });
  }, 300_000);

  it('pauses and resumes; a face whose stored crop is too narrow for the new model fails alone, with its reason', async () => {
    const galleryId = await enrollGallery('visitors', PEOPLE.slice(0, 5));
    // A face stored before archive crops: MobileFaceNet's own 112×112 crop, narrower than dlib's chip.
    const [legacy] = await queryDatabase<{ id: string; crop: Buffer; landmarks: number[] }>(
      databaseUrl, `SELECT f.id, f.crop, f.landmarks FROM faces f WHERE f.gallery_id = $1 ORDER BY f.id LIMIT 1`, [galleryId],
    );
    const landmarks = Array.from({ length: 5 }, (_, i) => ({ x: legacy.landmarks[2 * i], y: legacy.landmarks[2 * i + 1] }));
    const mobileFaceNet = (await readManifest(MANIFEST_DIR, 'mobilefacenet-128', 'embedder')).alignment;
    const { crop } = realignCrop(await decodeCrop(legacy.crop), FACE_ARCHIVE_ALIGNMENT, landmarks, mobileFaceNet);
    await queryDatabase(databaseUrl, `UPDATE faces SET crop = $2, crop_template = 'mobilefacenet-128' WHERE id = $1`, [legacy.id, await encodeCrop(crop)]);

    // Started and paused at once: the queued jobs find it paused and do nothing.
    const started = await migrations().start({ tenantId, galleryId, toModelId: TARGET });
    expect((await migrations().pause(tenantId, started.id)).status).toBe('paused');
    await expect(migrations().pause(tenantId, started.id)).rejects.toMatchObject({ code: 'MIGRATION_STATE' });
    await new Promise((r) => setTimeout(r, 3000));
    expect((await migrations().get(tenantId, started.id)).progress).toMatchObject({ total: 5, done: 0, failed: 0 });

    expect((await migrations().resume(tenantId, started.id)).status).toBe('backfilling');
    await waitUntil('the backfill', async () => (await statusOf(started.id)) === 'backfilled');
    expect((await migrations().get(tenantId, started.id)).progress).toMatchObject({ total: 5, done: 4, failed: 1 });
    const [failure] = await queryDatabase<{ face_id: string; reason: string }>(databaseUrl, 'SELECT face_id, reason FROM model_migration_failures WHERE migration_id = $1', [started.id]);
    expect(failure).toEqual({ face_id: legacy.id, reason: expect.stringMatching(/^CROP_TOO_NARROW: the stored mobilefacenet-128 crop covers \d+\.\d% of dlib-resnet-128's crop$/) });
    expect((await targetEmbeddings(galleryId)).map((r) => r.embeddings).sort()).toEqual([0, 1, 1, 1, 1]);
  }, 300_000);

  it('a worker process SIGKILLed mid-backfill: a restarted one finishes it, each face embedded once, the lost job retried for nothing', async () => {
    // The in-process workers stop first: only the process below works this migration.
    while (workers.length) await workers.pop()!.close();
    const galleryId = await enrollGallery('lobby', PEOPLE);
    const migration = await migrations().start({ tenantId, galleryId, toModelId: TARGET });
    const doneSoFar = async () => (await migrations().get(tenantId, migration.id)).progress.done;

    const first = startWorkerProcess('process-a');
    await waitUntil('process-a at work', async () => (await doneSoFar()) >= 3);
    first.process.kill('SIGKILL');
    await first.exited;
    expect(await doneSoFar()).toBeLessThan(PEOPLE.length);

    startWorkerProcess('process-b');
    await waitUntil('the backfill', async () => (await statusOf(migration.id)) === 'backfilled');
    expect((await targetEmbeddings(galleryId)).map((r) => [r.embeddings, r.changes])).toEqual(PEOPLE.map(() => [1, 1]));
    // The job process-a held expired and ran again, adding nothing.
    await waitUntil('the lost job to be retried', async () => {
      const [{ retried }] = await queryDatabase<{ retried: number }>(
        databaseUrl, `SELECT count(*)::int AS retried FROM pgboss.job WHERE name = $1 AND retry_count > 0 AND state = 'completed'`, [BACKFILL_EMBEDDINGS],
      );
      return retried >= 1;
    }, 60_000);
    expect((await targetEmbeddings(galleryId)).map((r) => r.embeddings)).toEqual(PEOPLE.map(() => 1));
  }, 300_000);
});
