import { INestApplication } from '@nestjs/common';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { startServer, ServerProcess, WORKER_MAIN } from '../../bench/server-process.js';
import { ENROLL_BATCH_ITEM, ENROLL_BATCH_ITEM_GIVEN_UP, JobQueue } from '../../libs/database/src/index.js';
import { BatchItemOutcome, EnrollmentBatchService, EnrollmentService, GalleryService, RecognitionModule } from '../../libs/recognition/src/index.js';
import {
  batchFacts, BatchPhoto, expectEnrolledOnce, londonBatch, pendingItems, settledByWorker, waitUntil,
} from '../support/enrollment-batches.js';
import { MANIFEST_DIR, MODEL_DIR } from '../support/shared-data.js';
import { bootModule, createTestDatabase, defaultTenantId, queryDatabase, testConfig } from '../support/test-app.js';

/** Fast crash recovery for the test: a lost job expires after 10 s, is swept within 1 s and retried at once. */
const JOB_ENV = { JOB_EXPIRE_SECONDS: '10', JOB_MAINTENANCE_INTERVAL_SECONDS: '1', JOB_RETRY_DELAY_SECONDS: '0', WORKER_POLL_INTERVAL_SECONDS: '0.5' };

/**
 * Workers share enrollment batches through the pg-boss queue in the app's Postgres: real models,
 * real photos, two workers at once (Nest contexts in this process, then real processes, one of
 * them killed mid-batch and restarted, one stopped with SIGTERM). Every portrait must be enrolled
 * exactly once, whoever ran its job and however often.
 */
describe('enrollment batches worked by several workers (integration)', () => {
  let databaseUrl: string;
  let api: INestApplication;
  let tenantId: string;
  let photos: BatchPhoto[];
  const workers: INestApplication[] = [];
  const processes: ServerProcess[] = [];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('workers');
    api = await bootModule(RecognitionModule, testConfig(databaseUrl, JOB_ENV));
    await api.init();
    tenantId = await defaultTenantId(api);
    photos = await londonBatch(16);
  });

  afterAll(async () => {
    for (const child of processes) child.process.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    for (const worker of workers) await worker.close();
    await api?.close();
  });

  const submit = async (gallery: string) => {
    const galleryId = (await api.get(GalleryService).createGallery(tenantId, gallery)).id;
    return api.get(EnrollmentBatchService).submit({ tenantId, galleryId }, photos);
  };

  const queueStatus = () => api.get(JobQueue).getStatus(ENROLL_BATCH_ITEM);

  /** A worker process as `npm run start:worker` runs it, on the test's database. */
  const startWorker = (name: string) => {
    const child = startServer(
      { DATABASE_URL: databaseUrl, MODEL_DIR, MODEL_MANIFEST_DIR: MANIFEST_DIR, ORT_INTRA_OP_THREADS: '1', LOG_LEVEL: 'log', WORKER_NAME: name, ...JOB_ENV },
      WORKER_MAIN,
    );
    processes.push(child);
    return child;
  };

  it('runs of the same item at once (two workers, or a retry beside the original) settle it once; later runs change nothing', async () => {
    const batch = await api.get(EnrollmentBatchService).submit(
      { tenantId, galleryId: (await api.get(GalleryService).createGallery(tenantId, 'twice')).id },
      [photos[0], photos[1], photos.find((p) => p.externalId === 'no-face')!],
    );
    const items = await queryDatabase<{ id: string }>(databaseUrl, 'SELECT id FROM enrollment_batch_items WHERE batch_id = $1 ORDER BY position', [batch.id]);
    const enrollment = api.get(EnrollmentService);
    // No worker runs yet: both runs find each item pending, analyse it, and race to settle it.
    const outcomes = await Promise.all(items.map(({ id }) => Promise.all([enrollment.enrollBatchItem(id, 'run-1'), enrollment.enrollBatchItem(id, 'run-2')])));
    const settled = (expected: BatchItemOutcome) => (pair: BatchItemOutcome[]) => [...pair].sort().join() === [expected, 'skipped'].sort().join();
    expect(outcomes.map((pair, i) => settled(i < 2 ? 'done' : 'failed')(pair))).toEqual([true, true, true]);
    expect(await Promise.all(items.map(({ id }) => enrollment.enrollBatchItem(id, 'run-3')))).toEqual(['skipped', 'skipped', 'skipped']);
    const facts = await batchFacts(databaseUrl, batch.id);
    expectEnrolledOnce(facts);
    expect(facts.map((f) => f.worker)).not.toContain('run-3');
  }, 120_000);

  it('two workers in one process share a batch: each portrait enrolled once, bad photos failed with their code, no photo kept', async () => {
    for (const name of ['context-a', 'context-b']) {
      const worker = await bootModule(WorkerModule, testConfig(databaseUrl, { ...JOB_ENV, WORKER_NAME: name }));
      await worker.init();
      workers.push(worker);
    }
    const batch = await submit('contexts');
    expect(batch).toMatchObject({ total: photos.length, pending: photos.length, status: 'QUEUED' });

    await waitUntil('the batch', async () => (await api.get(EnrollmentBatchService).get(tenantId, batch.id)).status === 'COMPLETED');
    const facts = await batchFacts(databaseUrl, batch.id);
    expectEnrolledOnce(facts);
    const byWorker = await settledByWorker(databaseUrl, batch.id);
    expect(Object.keys(byWorker).sort()).toEqual(['context-a', 'context-b']);
    expect(await api.get(EnrollmentBatchService).get(tenantId, batch.id)).toMatchObject({ done: photos.length - 2, failed: 2, pending: 0, finishedAt: expect.any(Date) });
    expect(await queueStatus()).toMatchObject({ created: 0, retry: 0, active: 0, failed: 0 });

    for (const worker of workers.splice(0)) await worker.close();
  }, 300_000);

  it('two worker processes, one SIGKILLed mid-batch and restarted: the batch completes, each portrait enrolled once', async () => {
    startWorker('process-a');
    const b = startWorker('process-b');
    const batch = await submit('processes');

    // Kill A while it holds a job: it has settled items and keeps fetching the next at once.
    await waitUntil('process-a at work', async () => ((await settledByWorker(databaseUrl, batch.id))['process-a'] ?? 0) >= 2);
    processes[0].process.kill('SIGKILL');
    await processes[0].exited;
    const restarted = startWorker('process-a-restarted');

    await waitUntil('the batch', async () => (await pendingItems(databaseUrl, batch.id)) === 0);
    expectEnrolledOnce(await batchFacts(databaseUrl, batch.id));
    const byWorker = await settledByWorker(databaseUrl, batch.id);
    expect(byWorker['process-a']).toBeGreaterThanOrEqual(2);
    expect(byWorker['process-b']).toBeGreaterThan(0);

    // The job A held expired and ran again (on B or the restarted A), without a second enrollment.
    const [{ retried }] = await queryDatabase<{ retried: number }>(
      databaseUrl,
      `SELECT count(*)::int AS retried FROM pgboss.job WHERE name = $1 AND retry_count > 0`,
      [ENROLL_BATCH_ITEM],
    );
    expect(retried).toBeGreaterThanOrEqual(1);
    await waitUntil('the retried job to complete', async () => (await queueStatus()).active === 0);
    expect(await queueStatus()).toMatchObject({ created: 0, retry: 0, active: 0, failed: 0 });
    expect((await api.get(JobQueue).getStatus(ENROLL_BATCH_ITEM_GIVEN_UP)).created).toBe(0);

    for (const child of [b, restarted]) child.process.kill('SIGTERM');
    await Promise.all([b.exited, restarted.exited]);
  }, 300_000);

  it('SIGTERM: a worker finishes the job in hand, then exits; nothing is left active or failed by the shutdown', async () => {
    const worker = startWorker('process-c');
    const batch = await submit('sigterm');
    await waitUntil('process-c at work', async () => ((await settledByWorker(databaseUrl, batch.id))['process-c'] ?? 0) >= 2);
    worker.process.kill('SIGTERM');
    await worker.exited;
    expect(worker.process.signalCode).toBe('SIGTERM');

    const settled = photos.length - (await pendingItems(databaseUrl, batch.id));
    const status = await queueStatus();
    // Every job it took completed (none cut short into retry), and it settled exactly those items.
    expect(status).toMatchObject({ active: 0, retry: 0, failed: 0 });
    expect(status.created).toBe(photos.length - settled);
    expect(worker.output()).not.toMatch(/ERROR/);

    // Whatever it left is still queued: a new worker finishes the batch.
    startWorker('process-d');
    await waitUntil('the batch', async () => (await pendingItems(databaseUrl, batch.id)) === 0);
    expectEnrolledOnce(await batchFacts(databaseUrl, batch.id));
  }, 300_000);
});
