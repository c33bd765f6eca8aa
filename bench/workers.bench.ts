// Worker throughput: the same enrollment batch of London portraits, enrolled by 1, then 2, … worker
// processes (`node dist/apps/worker/src/main.js`) sharing the real API's queue on its embedded
// Postgres. Prints one JSON object on stdout (faces/s per worker count, who did what, the load
// average); progress goes to stderr.
//
//   npm run build --silent && node dist/bench/workers.bench.js [--photos 102 --max-workers 2]
//
// Each count gets a fresh gallery and idle, booted workers; the clock runs from enrollBatch's answer
// to the batch's completion (polled every 100 ms). Workers inherit this process's environment:
// ORT_INTRA_OP_THREADS=1 gives each worker one core, as on machines of its own; the load average
// tells how much else was running. Env: MODEL_DIR, DATASET_DIR (defaults ../shared/...).
import { rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { stopLeftoverPostmaster } from '../libs/database/src/embedded-postgres.js';
import { graphql, londonEnrollItems, startReadyWorker, stopProcesses } from './api-client.js';
import { benchWorkDir, info, parseIntegerFlags } from './bench.util.js';
import { freePort, ServerProcess, startServer, waitForHealth } from './server-process.js';

const DEFAULTS = {
  /** London neutral portraits in the batch (102 at most). */
  photos: 102,
  /** Runs with 1, 2, … this many workers. */
  'max-workers': 2,
};

async function main(): Promise<void> {
  const flags = parseIntegerFlags(process.argv.slice(2), DEFAULTS);
  const items = await londonEnrollItems(flags.photos);
  const dataDir = await benchWorkDir('workers-bench');
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), DATABASE_URL: '', LOG_LEVEL: 'log', MAX_BATCH_ITEMS: String(items.length), WORKER_POLL_INTERVAL_SECONDS: '0.5' };
  const baseUrl = `http://127.0.0.1:${port}`;
  const api = startServer(env);
  const workers: ServerProcess[] = [];
  const runs = [];
  try {
    await waitForHealth(baseUrl, api);
    for (let count = 1; count <= flags['max-workers']; count++) {
      while (workers.length < count) {
        workers.push(await startReadyWorker(env, `worker-${workers.length + 1}`));
      }
      const galleryId = (await graphql(baseUrl, 'mutation($n: String!) { createGallery(input: { name: $n }) { id } }', { n: `bench-${count}` })).createGallery.id;
      const loadBefore = os.loadavg()[0];
      const { enrollBatch } = await graphql(baseUrl, 'mutation($i: EnrollBatchInput!) { enrollBatch(input: $i) { id } }', { i: { galleryId, items } });
      const started = performance.now();
      let batch: Record<string, any>;
      do {
        await new Promise((r) => setTimeout(r, 100));
        batch = (await graphql(baseUrl, 'query($id: ID!) { enrollmentBatch(id: $id) { status done failed } }', { id: enrollBatch.id })).enrollmentBatch;
      } while (batch.status !== 'COMPLETED');
      const seconds = (performance.now() - started) / 1000;
      const run = { workers: count, seconds: Number(seconds.toFixed(1)), facesPerSecond: Number((batch.done / seconds).toFixed(2)), done: batch.done, failed: batch.failed, loadAverage: { before: loadBefore, after: os.loadavg()[0] } };
      info(JSON.stringify(run));
      runs.push(run);
    }
  } finally {
    await stopProcesses([...workers, api]);
    await stopLeftoverPostmaster(join(dataDir, 'postgres'));
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ photos: items.length, cpus: os.cpus().length, ortIntraOpThreads: process.env.ORT_INTRA_OP_THREADS ?? '0 (all cores)', runs }, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
