// Boot-to-ready benchmark: how long the real server (dist/apps/api/src/main.js) takes from spawn
// until /health answers 200 — models loaded, Postgres migrated, index ready — over N faces, once
// with a full rebuild of the index from Postgres and once from the snapshot that rebuild left, with
// the changes made since replayed from the outbox.
//
// THE FACES ARE SYNTHETIC: face-like 128-D embeddings (SyntheticFaces: identities of 1–9 samples,
// same-identity cosine ≈ 0.69) inserted straight into Postgres, each face with a 1×1 placeholder
// crop and no photo. A fixture for timing the index, not for recognition; the server never embeds
// them, so the real embedder's manifest names them.
//
// Prints one JSON object on stdout; progress goes to stderr.
//
//   npm run -s bench:boot [-- --faces 1000000 --changes 1000 --galleries 1 --seed 7]
//
// Postgres: an embedded server in a fresh temporary directory (BENCH_DIR, default the OS temp dir;
// ≈ 1.5 GB at 1M faces), deleted afterwards. Env: MODEL_DIR (default ../shared/models).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource, EntityManager } from 'typeorm';
import { seededRandom } from '../libs/common/src/index.js';
import { loadConfig } from '../libs/config/src/index.js';
import {
  createDataSource, deleteEmbeddings, EmbeddingLabel, encodeEmbedding, ModelVersionRepository, recordIndexChanges, runMigrationsLocked, startEmbeddedPostgres, StoredEmbedding,
} from '../libs/database/src/index.js';
import { readManifest } from '../libs/inference/src/index.js';
import { SyntheticFaces } from '../libs/vector-index/src/synthetic-faces.js';
import { info, parseIntegerFlags } from './bench.util.js';
import { freePort, ServerProcess, startServer, stopServer, waitForHealth } from './server-process.js';

const DEFAULTS = {
  /** Faces (one embedding each) in the fixture. */
  faces: 1_000_000,
  /** Changes made between the two boots, all replayed by the second: nine adds to one removal. */
  changes: 1000,
  /** Galleries the faces are spread over (identities round robin). */
  galleries: 1,
  seed: 7,
};
const DETECTOR = 'yunet-n';
const EMBEDDER = 'mobilefacenet-128';
/** Faces inserted per statement. */
const INSERT_BATCH = 5000;
/** A 1×1 grey PNG: the placeholder crop of every synthetic face. */
const PLACEHOLDER_CROP = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010800000000376ef9240000000a49444154789c636000000002000154a24f5d0000000049454e44ae426082', 'hex');
const MODEL_DIR = resolve(process.env.MODEL_DIR ?? '../shared/models');
const MANIFEST_DIR = resolve('models');

interface FaceBatch {
  galleryIds: string[];
  identityIds: string[];
  vectors: Float32Array[];
}

/** Inserts faces (their identities must exist) with their embeddings; returns the embeddings' labels. */
async function insertFaces(db: DataSource | EntityManager, batch: FaceBatch): Promise<EmbeddingLabel[]> {
  const faceIds = batch.vectors.map(() => randomUUID());
  await db.query(
    `INSERT INTO faces (id, identity_id, gallery_id, box_x, box_y, box_width, box_height, landmarks, detector_score, detector_model_id,
                        source_sha256, source_width, source_height, crop, crop_format, crop_template)
     SELECT f, i, g, 0, 0, 112, 112, array_fill(56::real, ARRAY[10]), 0.9, $4, repeat('0', 64), 112, 112, $5, 'png', $6
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS t(f, i, g)`,
    [faceIds, batch.identityIds, batch.galleryIds, DETECTOR, PLACEHOLDER_CROP, EMBEDDER],
  );
  const rows: { id: string }[] = await db.query(
    `INSERT INTO embeddings (face_id, model_version_id, codes, scale)
     SELECT f, $2, c, s FROM unnest($1::uuid[], $3::bytea[], $4::real[]) AS t(f, c, s) RETURNING id`,
    [faceIds, EMBEDDER, ...transpose(batch.vectors.map(encodeEmbedding))],
  );
  return rows.map((row) => ({ label: Number(row.id), modelVersionId: EMBEDDER }));
}

/** Codes and scales as two parallel arrays, for unnest. */
function transpose(stored: StoredEmbedding[]): [Buffer[], number[]] {
  return [stored.map((e) => e.codes), stored.map((e) => e.scale)];
}

/** The synthetic fixture: `faces` faces of identities with 1–9 samples each, spread over `galleries` galleries. */
async function createFixture(db: DataSource, flags: typeof DEFAULTS, synthetic: SyntheticFaces, random: () => number): Promise<{ identities: string[]; galleries: string[] }> {
  const repository = new ModelVersionRepository(db);
  for (const manifest of [await readManifest(MANIFEST_DIR, DETECTOR, 'detector'), await readManifest(MANIFEST_DIR, EMBEDDER, 'embedder')]) {
    const dimension = manifest.kind === 'embedder' ? manifest.output.dimension : null;
    await repository.upsert({ id: manifest.id, version: manifest.version, kind: manifest.kind, dimension, sha256: manifest.sha256, manifest });
  }
  const galleries: string[] = [];
  for (let g = 0; g < flags.galleries; g++) {
    const [{ id }] = await db.query(`INSERT INTO galleries (tenant_id, name) SELECT id, $1 FROM tenants WHERE name = 'default' RETURNING id`, [`synthetic-${g}`]);
    galleries.push(id);
  }
  const identities: string[] = [];
  const started = performance.now();
  let inserted = 0;
  while (inserted < flags.faces) {
    const batch: FaceBatch = { galleryIds: [], identityIds: [], vectors: [] };
    const newIdentities: { id: string; gallery: string }[] = [];
    while (batch.vectors.length < INSERT_BATCH && inserted + batch.vectors.length < flags.faces) {
      const n = identities.length;
      const identity = { id: randomUUID(), gallery: galleries[n % galleries.length] };
      identities.push(identity.id);
      newIdentities.push(identity);
      const samples = Math.min(1 + Math.floor(random() * 9), flags.faces - inserted - batch.vectors.length);
      for (let s = 0; s < samples; s++) {
        batch.galleryIds.push(identity.gallery);
        batch.identityIds.push(identity.id);
        batch.vectors.push(synthetic.sample(n % synthetic.centres.length));
      }
    }
    await db.query(
      `INSERT INTO identities (id, gallery_id, external_id) SELECT i, g, 'synthetic-' || i FROM unnest($1::uuid[], $2::uuid[]) AS t(i, g)`,
      [newIdentities.map((i) => i.id), newIdentities.map((i) => i.gallery)],
    );
    await insertFaces(db, batch);
    inserted += batch.vectors.length;
    if (inserted % 100_000 < INSERT_BATCH) info(`fixture: ${inserted} faces (${Math.round((inserted / (performance.now() - started)) * 1000)}/s)`);
  }
  await db.query('VACUUM ANALYZE');
  return { identities, galleries };
}

/** What another process would do while this one is down: adds and removals, each recorded in the outbox as the platform does. */
async function changeWhileDown(db: DataSource, count: number, fixture: { identities: string[]; galleries: string[] }, synthetic: SyntheticFaces, random: () => number) {
  const removals = Math.floor(count / 10);
  const adds = count - removals;
  await db.transaction(async (em) => {
    const batch: FaceBatch = { galleryIds: [], identityIds: [], vectors: [] };
    for (let i = 0; i < adds; i++) {
      const n = Math.floor(random() * fixture.identities.length);
      batch.identityIds.push(fixture.identities[n]);
      batch.galleryIds.push(fixture.galleries[n % fixture.galleries.length]);
      batch.vectors.push(synthetic.sample(n % synthetic.centres.length));
    }
    const added = await insertFaces(em, batch);
    const faceIds = (await em.query('SELECT id FROM faces ORDER BY random() LIMIT $1', [removals])).map((row: { id: string }) => row.id);
    const removed = await deleteEmbeddings(em, 'f.id = ANY($1)', [faceIds]);
    await em.query('DELETE FROM faces WHERE id = ANY($1)', [faceIds]);
    await recordIndexChanges(em, 'add', added);
    await recordIndexChanges(em, 'remove', removed);
  });
  return { adds, removals };
}

const match = (server: ServerProcess, pattern: RegExp) => pattern.exec(server.output().replace(/\x1b\[[0-9;]*m/g, ''));

async function waitForLog(server: ServerProcess, pattern: RegExp): Promise<RegExpExecArray> {
  for (;;) {
    const found = match(server, pattern);
    if (found) return found;
    if (server.process.exitCode !== null) throw new Error(`server exited:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Spawns the server and times it to /health; stops it afterwards (it snapshots on the way out). */
async function bootOnce(env: Record<string, string>, during: (server: ServerProcess) => Promise<Record<string, number | string>>) {
  const port = await freePort();
  const started = performance.now();
  const server = startServer({ ...env, PORT: String(port) });
  await waitForHealth(`http://127.0.0.1:${port}`, server, { timeoutMs: 24 * 3600_000 });
  const bootToReadyMs = Math.round(performance.now() - started);
  const models = match(server, /Models ready in (\d+) ms/);
  try {
    return { bootToReadyMs, modelsMs: Number(models?.[1]), ...(await during(server)) };
  } finally {
    const stopping = performance.now();
    await stopServer(server);
    info(`stopped in ${Math.round(performance.now() - stopping)} ms`);
  }
}

async function main(): Promise<void> {
  const flags = parseIntegerFlags(process.argv.slice(2), DEFAULTS);
  // Not mkdtemp: its 0700 directory would shut out the postgres user created when running as root.
  const workDir = join(process.env.BENCH_DIR ?? os.tmpdir(), `facerec-boot-bench-${randomBytes(6).toString('hex')}`);
  await mkdir(workDir, { recursive: true });
  const pgPort = await freePort();
  const postgres = await startEmbeddedPostgres({ dataDir: join(workDir, 'postgres'), port: pgPort, log: info });
  try {
    const db = await createDataSource(postgres.url).initialize();
    await runMigrationsLocked(db);
    await db.query('SET synchronous_commit = off');
    const random = seededRandom(flags.seed);
    const synthetic = new SyntheticFaces(128, Math.max(1, Math.ceil(flags.faces / 5)), flags.seed);
    info(`creating ${flags.faces} synthetic faces in Postgres…`);
    const fixtureStarted = performance.now();
    const fixture = await createFixture(db, flags, synthetic, random);
    const fixtureMs = Math.round(performance.now() - fixtureStarted);

    const env = {
      DATABASE_URL: postgres.url, DATA_DIR: join(workDir, 'data'), MODEL_DIR, MODEL_MANIFEST_DIR: MANIFEST_DIR, LOG_LEVEL: 'log', ORT_INTRA_OP_THREADS: '1',
    };
    info('boot 1: no snapshot, full rebuild from Postgres…');
    const rebuild = await bootOnce(env, async (server) => {
      const index = match(server, /(\d+) faces loaded from Postgres in (\d+) ms/)!;
      info('waiting for the snapshot written after the rebuild…');
      const snapshot = await waitForLog(server, /Index snapshot (snapshot-\d+): \d+ faces, ([\d.]+) MB .* in (\d+) ms, index held (\d+) ms/);
      return { faces: Number(index[1]), indexMs: Number(index[2]), snapshotWriteMs: Number(snapshot[3]), snapshotIndexHeldMs: Number(snapshot[4]), snapshotMB: Number(snapshot[2]) };
    });
    info(`${flags.changes} changes while the server is down…`);
    const changes = await changeWhileDown(db, flags.changes, fixture, synthetic, random);
    await db.destroy();

    info('boot 2: snapshot + replay of the outbox…');
    const fromSnapshot = await bootOnce(env, async (server) => {
      const index = match(server, /(\d+) faces from (snapshot-\d+) \(read in (\d+) ms\), (\d+) later changes replayed and checked against Postgres in (\d+) ms/);
      if (!index) throw new Error(`the snapshot was not used:\n${server.output()}`);
      return { faces: Number(index[1]), snapshotReadMs: Number(index[3]), replayedChanges: Number(index[4]), indexMs: Number(index[5]) };
    });

    process.stdout.write(`${JSON.stringify({
      fixture: {
        synthetic: true,
        note: 'SyntheticFaces embeddings inserted straight into Postgres, 1×1 placeholder crops, no photos',
        faces: flags.faces, identities: fixture.identities.length, galleries: flags.galleries, seed: flags.seed, createMs: fixtureMs,
      },
      index: (({ m, efConstruction, efSearch }) => ({ m, efConstruction, efSearch }))(loadConfig({}).index),
      changesBetweenBoots: changes,
      fullRebuild: rebuild,
      snapshotAndReplay: fromSnapshot,
      speedup: Number((Number(rebuild.bootToReadyMs) / Number(fromSnapshot.bootToReadyMs)).toFixed(1)),
      machine: { cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))), node: process.version },
    }, null, 2)}\n`);
  } finally {
    await postgres.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
