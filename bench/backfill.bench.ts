// Model-migration backfill throughput: London portraits enrolled with the serving model
// (MobileFaceNet) are re-embedded by dlib-resnet-128 from their stored crops, by 1, then 2, …
// worker processes (`node dist/apps/worker/src/main.js`) sharing the real API's queue on its
// embedded Postgres; beside it, the raw rate of the same model on the same crops in this process
// (decode + re-align + embed, no database, no queue): the ceiling one worker can reach.
//
//   npm run -s bench:backfill [-- --photos 102 --max-workers 2]
//
// Prints one JSON object on stdout; progress goes to stderr. Each worker count migrates its own
// gallery (the same photos), 4 faces per batch; `seconds` runs from startModelMigration's answer to
// BACKFILLED (polled every 100 ms) and includes each worker loading the new model on its first batch
// (`firstFacesAfterSeconds`); `facesPerSecond` is the rate from the first faces done on. Workers inherit this process's environment (ORT_INTRA_OP_THREADS=1 gives each one
// core). Needs dlib-resnet-128.onnx in GENERATED_MODEL_DIR (`npm run models:build`).
import { rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../libs/config/src/index.js';
import { embeddedPostgresUrl, stopLeftoverPostmaster } from '../libs/database/src/embedded-postgres.js';
import { decodeCrop, FACE_ARCHIVE_ALIGNMENT, FaceEmbedder, readManifest, readModelFile, realignCrop } from '../libs/inference/src/index.js';
import { facePipelineOptions } from '../libs/recognition/src/face-pipeline.options.js';
import { graphql, londonEnrollItems, startReadyWorker, stopProcesses } from './api-client.js';
import { benchWorkDir, info, parseIntegerFlags } from './bench.util.js';
import { freePort, ServerProcess, startServer, waitForHealth } from './server-process.js';

const TARGET = 'dlib-resnet-128';
const DEFAULTS = {
  /** London neutral portraits per gallery (102 at most). */
  photos: 102,
  /** Runs with 1, 2, … this many workers. */
  'max-workers': 2,
};

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The model alone on the stored crops: decode, re-align and embed one face at a time, in this process. */
async function rawRate(databaseUrl: string): Promise<{ faces: number; facesPerSecond: number }> {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const options = facePipelineOptions(config);
  const manifest = await readManifest(options.manifestDir, TARGET, 'embedder');
  const embedder = await FaceEmbedder.create(manifest, await readModelFile(options, manifest), options.session, options.embedBatchSize, { log() {}, warn: info });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ crop: Buffer; landmarks: number[] }>(`SELECT crop, landmarks FROM faces WHERE crop_template = $1`, [FACE_ARCHIVE_ALIGNMENT.id]);
    const started = performance.now();
    for (const row of rows) {
      const landmarks = Array.from({ length: 5 }, (_, i) => ({ x: row.landmarks[2 * i], y: row.landmarks[2 * i + 1] }));
      await embedder.embed([realignCrop(await decodeCrop(row.crop), FACE_ARCHIVE_ALIGNMENT, landmarks, manifest.alignment).crop]);
    }
    return { faces: rows.length, facesPerSecond: Number((rows.length / ((performance.now() - started) / 1000)).toFixed(2)) };
  } finally {
    await client.end();
    await embedder.release();
  }
}

async function main(): Promise<void> {
  const flags = parseIntegerFlags(process.argv.slice(2), DEFAULTS);
  const items = await londonEnrollItems(flags.photos);
  const dataDir = await benchWorkDir('backfill-bench');
  const port = await freePort();
  const pgPort = await freePort();
  const env = {
    ...process.env, PORT: String(port), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), DATABASE_URL: '', LOG_LEVEL: 'log',
    MAX_BATCH_ITEMS: String(items.length), WORKER_POLL_INTERVAL_SECONDS: '0.5', BACKFILL_JOBS: String(flags['max-workers']), BACKFILL_BATCH_SIZE: '4',
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const api = startServer(env);
  const workers: ServerProcess[] = [];
  const runs = [];
  let raw;
  try {
    await waitForHealth(baseUrl, api);
    workers.push(await startReadyWorker(env, 'worker-1'));
    const galleries: string[] = [];
    for (let count = 1; count <= flags['max-workers']; count++) {
      const galleryId = (await graphql(baseUrl, 'mutation($n: String!) { createGallery(input: { name: $n }) { id } }', { n: `bench-${count}` })).createGallery.id;
      const { enrollBatch } = await graphql(baseUrl, 'mutation($i: EnrollBatchInput!) { enrollBatch(input: $i) { id } }', { i: { galleryId, items } });
      info(`enrolling ${items.length} portraits into gallery bench-${count}…`);
      await poll(async () => (await graphql(baseUrl, 'query($id: ID!) { enrollmentBatch(id: $id) { status } }', { id: enrollBatch.id })).enrollmentBatch.status, (s) => s === 'COMPLETED');
      galleries.push(galleryId);
    }
    const databaseUrl = embeddedPostgresUrl(pgPort);
    info('raw rate of the model on the stored crops…');
    raw = await rawRate(databaseUrl);
    for (let count = 1; count <= flags['max-workers']; count++) {
      while (workers.length < count) {
        workers.push(await startReadyWorker(env, `worker-${workers.length + 1}`));
      }
      const loadBefore = os.loadavg()[0];
      const { startModelMigration } = await graphql(baseUrl, 'mutation($i: ModelMigrationStartInput!) { startModelMigration(input: $i) { id } }', { i: { galleryId: galleries[count - 1], to: TARGET } });
      const started = performance.now();
      // A worker loads the new model on its first batch: the rate is taken from the first faces done on.
      let first: { at: number; done: number } | undefined;
      const done = await poll(
        async () => (await graphql(baseUrl, 'query($id: ID!) { modelMigration(id: $id) { status progress { total done failed } } }', { id: startModelMigration.id })).modelMigration,
        (m) => {
          if (!first && m.progress.done > 0) first = { at: performance.now(), done: m.progress.done };
          return m.status === 'BACKFILLED';
        },
      );
      const ended = performance.now();
      const seconds = (ended - started) / 1000;
      const steady = first && ended > first.at ? (done.progress.done - first.done) / ((ended - first.at) / 1000) : null;
      const run = {
        workers: count, seconds: Number(seconds.toFixed(1)), firstFacesAfterSeconds: first ? Number(((first.at - started) / 1000).toFixed(1)) : null,
        facesPerSecond: steady === null ? null : Number(steady.toFixed(2)), ...done.progress, loadAverage: { before: loadBefore, after: os.loadavg()[0] },
      };
      info(JSON.stringify(run));
      runs.push(run);
    }
  } finally {
    await stopProcesses([...workers, api]);
    await stopLeftoverPostmaster(join(dataDir, 'postgres'));
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ model: TARGET, photos: items.length, cpus: os.cpus().length, ortIntraOpThreads: process.env.ORT_INTRA_OP_THREADS ?? '0 (all cores)', raw, runs }, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
