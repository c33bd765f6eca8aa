// Crash proof (issue 6): clients enroll London photos concurrently through the real API while the
// server is killed with SIGKILL at seeded random moments, mid-request, and restarted. Afterwards:
// every enrollment a client saw acknowledged is in Postgres and identify finds it; nothing
// unacknowledged is half-present; the index equals the database. Exits 1 on any violation.
//
//   npm run -s proof:crash -- [--kills 20] [--concurrency 4] [--seed 1] [--json]
//
// Runs `node dist/apps/api/src/main.js` on its embedded defaults (a fresh DATA_DIR, free ports), or
// against DATABASE_URL when it is set (then only this run's galleries are checked row by row).
// API_KEY, when set, is sent as a bearer token. The server inherits this process's environment
// (MODEL_DIR, ORT_INTRA_OP_THREADS...). Env: DATASET_DIR (default ../shared/datasets).
// Progress goes to stderr; stdout carries the summary, or with --json one JSON object.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { seededRandom } from '../libs/common/src/index.js';
import { embeddedPostgresUrl, stopLeftoverPostmaster } from '../libs/database/src/embedded-postgres.js';
import { info, parseIntegerFlags, shuffled } from './bench.util.js';
import { freePort, ServerProcess, startServer, waitForHealth } from './server-process.js';

const DEFAULTS = {
  /** SIGKILLs, each followed by a restart. */
  kills: 20,
  /** Clients enrolling at the same time. */
  concurrency: 4,
  /** Seed of the kill moments and of the photo order. */
  seed: 1,
};
/** A kill comes this long after the clients start on a freshly booted server (uniform, then at the next moment a request is in flight). */
const KILL_DELAY_MS = { min: 50, max: 2000 };
/** Enrollments after the last restart, with no kill: they check the index as enrollments update it live, not only as rebuilt at boot. */
const SETTLED_ENROLLMENTS_PER_CLIENT = 2;
const LONDON_SETS = ['neutral_front', 'smiling_front'];

export interface CrashProofOptions {
  kills: number;
  concurrency: number;
  seed: number;
  /** Postgres the server uses; an embedded one in a fresh data directory when absent. */
  databaseUrl?: string;
  /** Sent as `Authorization: Bearer` when the server requires it. */
  apiKey?: string;
  /** Server environment over this process's own. */
  serverEnv?: Record<string, string>;
}

export interface CrashProofReport {
  kills: number;
  concurrency: number;
  seed: number;
  database: 'embedded' | 'DATABASE_URL';
  enrollments: {
    attempted: number;
    acknowledged: number;
    /** Answered with an error: must have written nothing. */
    rejected: number;
    /** Cut off by a kill before their answer: each either fully stored or not at all. */
    inFlightAtKill: number;
    /** Of those cut off, how many had committed (present after the restart). */
    inFlightLanded: number;
  };
  /** From spawning the server after a kill to its first 200 on /health, ms. */
  bootToReadyMs: { min: number; median: number; max: number };
  /** Faces found by identify, each as the top match (identity and face) for its own photo. */
  identified: number;
  /** /health after the last enrollments next to the active model's embedding rows. */
  index: { indexedFaces: number; embeddings: number };
  durationS: number;
  violations: string[];
}

interface Photo {
  externalId: string;
  base64: string;
}

interface Attempt {
  galleryId: string;
  photo: Photo;
  /** answered: data or errors came back; cut: the connection died at a kill; lost: it died with no kill. */
  outcome: 'pending' | 'acknowledged' | 'rejected' | 'cut' | 'lost';
  identityId?: string;
  faceId?: string;
}

/** One life of the server: the gallery its enrollments go to, and whether it has been killed. */
interface Life {
  galleryId: string;
  photos: IterableIterator<Photo>;
  inFlight: Set<Attempt>;
  killed: boolean;
}

const ENROLL = `mutation($i: FaceEnrollInput!) { enrollFace(input: $i) { identity { id } faces { id } } }`;
const IDENTIFY = `query($i: IdentifyInput!) { identify(input: $i) { faces { candidates { identity { id } faceId } } } }`;

interface GraphqlAnswer {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

class Api {
  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string>,
  ) {}

  async request(query: string, variables: Record<string, unknown>): Promise<GraphqlAnswer> {
    const response = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: { ...this.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphqlAnswer;
  }

  /** The data of a request that must succeed. */
  async data(query: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
    const answer = await this.request(query, variables);
    if (answer.errors?.length || !answer.data) throw new Error(`GraphQL request failed: ${JSON.stringify(answer.errors)}`);
    return answer.data;
  }
}

async function londonPhotos(datasetDir: string): Promise<Photo[]> {
  const photos: Photo[] = [];
  for (const set of LONDON_SETS) {
    const dir = join(datasetDir, 'london', set);
    const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.jpg')).sort();
    if (names.length === 0) throw new Error(`The crash proof needs the London photos in ${dir} (or set DATASET_DIR)`);
    for (const name of names) photos.push({ externalId: `${set}/${name}`, base64: (await readFile(join(dir, name))).toString('base64') });
  }
  return photos;
}

async function withDatabase<T>(url: string, use: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return await use(db);
  } finally {
    await db.end();
  }
}

async function embeddingCount(db: pg.Client, modelVersionId: string): Promise<number> {
  const { rows } = await db.query('SELECT count(*)::int AS count FROM embeddings WHERE model_version_id = $1', [modelVersionId]);
  return rows[0].count;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Enrolls the life's photos one after the other until the server is killed or the photos run out. */
async function enrollWhileAlive(api: Api, life: Life, attempts: Attempt[]): Promise<void> {
  for (let next = life.photos.next(); !next.done && !life.killed; next = life.photos.next()) {
    const attempt: Attempt = { galleryId: life.galleryId, photo: next.value, outcome: 'pending' };
    attempts.push(attempt);
    life.inFlight.add(attempt);
    try {
      const answer = await api.request(ENROLL, { i: { galleryId: life.galleryId, externalId: next.value.externalId, imageBase64: next.value.base64 } });
      const enrolled = answer.data?.enrollFace;
      attempt.outcome = enrolled ? 'acknowledged' : 'rejected';
      attempt.identityId = enrolled?.identity.id;
      attempt.faceId = enrolled?.faces[0]?.id;
    } catch {
      attempt.outcome = life.killed ? 'cut' : 'lost';
    } finally {
      life.inFlight.delete(attempt);
    }
  }
}

interface IdentityRow {
  id: string;
  gallery_id: string;
  external_id: string;
}

interface FaceRow {
  id: string;
  identity_id: string;
  gallery_id: string;
  identity_gallery_id: string;
  crop_bytes: number;
  embeddings: number;
}

interface ConsistencyCheck {
  violations: string[];
  inFlightLanded: number;
  identified: number;
}

/**
 * Row by row over this run's galleries: acknowledged enrollments complete, rejected ones absent,
 * cut ones complete or absent, no identity without its one face, no face without its embedding of
 * the active model, no row no request made. Then identify finds every stored face as itself, so
 * each embedding row has its label in the index; with the index's size equal to the row count
 * (checked by the caller), the index holds no label without a row either.
 */
async function checkConsistency(db: pg.Client, api: Api, attempts: Attempt[], modelVersionId: string, concurrency: number): Promise<ConsistencyCheck> {
  const violations: string[] = [];
  const galleryIds = [...new Set(attempts.map((a) => a.galleryId))];
  const identities = (
    await db.query<IdentityRow>('SELECT id, gallery_id, external_id FROM identities WHERE gallery_id = ANY($1)', [galleryIds])
  ).rows;
  const faces = (
    await db.query<FaceRow>(
      `SELECT f.id, f.identity_id, f.gallery_id, i.gallery_id AS identity_gallery_id, octet_length(f.crop) AS crop_bytes,
              (SELECT count(*) FROM embeddings e WHERE e.face_id = f.id AND e.model_version_id = $2)::int AS embeddings
         FROM faces f JOIN identities i ON i.id = f.identity_id
        WHERE f.gallery_id = ANY($1)`,
      [galleryIds, modelVersionId],
    )
  ).rows;
  const [{ count: unknownFaceEmbeddings }] = (
    await db.query('SELECT count(*)::int AS count FROM embeddings e WHERE NOT EXISTS (SELECT 1 FROM faces f WHERE f.id = e.face_id)')
  ).rows;
  if (unknownFaceEmbeddings > 0) violations.push(`${unknownFaceEmbeddings} embeddings of faces that do not exist`);

  const key = (galleryId: string, externalId: string) => `${galleryId}\n${externalId}`;
  const identityByKey = new Map(identities.map((i) => [key(i.gallery_id, i.external_id), i]));
  const faceCountByIdentity = new Map<string, number>();
  for (const face of faces) faceCountByIdentity.set(face.identity_id, (faceCountByIdentity.get(face.identity_id) ?? 0) + 1);
  const attemptByKey = new Map(attempts.map((a) => [key(a.galleryId, a.photo.externalId), a]));

  for (const face of faces) {
    if (face.embeddings !== 1) violations.push(`face ${face.id} has ${face.embeddings} embeddings of ${modelVersionId} (orphan crop)`);
    if (!(face.crop_bytes > 0)) violations.push(`face ${face.id} has no crop`);
    if (face.gallery_id !== face.identity_gallery_id) violations.push(`face ${face.id} is in another gallery than its identity`);
  }
  for (const identity of identities) {
    const faceCount = faceCountByIdentity.get(identity.id) ?? 0;
    if (faceCount !== 1) violations.push(`identity ${identity.external_id} (${identity.id}) has ${faceCount} faces, enrolled once`);
    if (!attemptByKey.has(key(identity.gallery_id, identity.external_id))) violations.push(`identity ${identity.external_id} (${identity.id}) was enrolled by no request`);
  }

  let inFlightLanded = 0;
  for (const attempt of attempts) {
    const identity = identityByKey.get(key(attempt.galleryId, attempt.photo.externalId));
    const what = `${attempt.outcome} enrollment ${attempt.photo.externalId} in gallery ${attempt.galleryId}`;
    if (attempt.outcome === 'lost') violations.push(`${what}: the connection died without a kill`);
    if (attempt.outcome === 'rejected' && identity) violations.push(`${what}: stored although answered with an error`);
    if (attempt.outcome === 'cut' && identity) inFlightLanded++;
    if (attempt.outcome === 'acknowledged') {
      const face = faces.find((f) => f.id === attempt.faceId);
      if (identity?.id !== attempt.identityId) violations.push(`${what}: identity ${attempt.identityId} missing`);
      else if (face?.identity_id !== attempt.identityId) violations.push(`${what}: face ${attempt.faceId} missing`);
    }
  }

  // Each stored face, identified with the photo it was enrolled from, must come back as the best match.
  const toIdentify = faces.flatMap((face) => {
    const identity = identities.find((i) => i.id === face.identity_id)!;
    const attempt = attemptByKey.get(key(identity.gallery_id, identity.external_id));
    return attempt ? [{ face, attempt }] : [];
  });
  let identified = 0;
  const queue = toIdentify.values();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (const { face, attempt } of queue) {
        const data = await api.data(IDENTIFY, { i: { galleryId: face.gallery_id, imageBase64: attempt.photo.base64, k: 1 } });
        const best = data.identify.faces[0]?.candidates[0];
        if (best?.identity.id === face.identity_id && best.faceId === face.id) identified++;
        else violations.push(`identify of ${attempt.photo.externalId} found ${JSON.stringify(best ?? null)}, not face ${face.id} of identity ${face.identity_id}`);
      }
    }),
  );
  return { violations, inFlightLanded, identified };
}

function minMedianMax(values: number[]): { min: number; median: number; max: number } {
  if (values.length === 0) return { min: 0, median: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { min: sorted[0], median: Math.round(median), max: sorted[sorted.length - 1] };
}

export async function runCrashProof(options: CrashProofOptions): Promise<CrashProofReport> {
  const started = performance.now();
  const random = seededRandom(options.seed);
  const photos = await londonPhotos(resolve(process.env.DATASET_DIR ?? '../shared/datasets'));
  const runId = randomBytes(4).toString('hex');
  // Not mkdtemp: its 0700 directory would shut out the postgres user created when running as root.
  const dataDir = join(tmpdir(), `facerec-crash-proof-${runId}`);
  const pgDataDir = join(dataDir, 'postgres');
  const port = await freePort();
  const pgPort = await freePort();
  const databaseUrl = options.databaseUrl ?? embeddedPostgresUrl(pgPort);
  const env = {
    ...process.env,
    ...options.serverEnv,
    PORT: String(port),
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(pgPort),
    DATABASE_URL: options.databaseUrl ?? '', // empty: embedded, whatever this process's environment says
  };
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const api = new Api(`http://127.0.0.1:${port}`, headers);
  const attempts: Attempt[] = [];
  const bootTimes: number[] = [];
  const violations: string[] = [];
  let server: ServerProcess | undefined;

  /** Boots the server, checks its rebuilt index against Postgres, and opens a gallery for this life's photos. */
  async function boot(life: number, photoCount = photos.length): Promise<Life> {
    const bootStarted = performance.now();
    server = startServer(env);
    const health = await waitForHealth(api.baseUrl, server, { headers });
    if (life > 0) bootTimes.push(Math.round(performance.now() - bootStarted));
    const embeddings = await withDatabase(databaseUrl, (db) => embeddingCount(db, String(health.model)));
    if (health.indexedFaces !== embeddings) violations.push(`boot ${life}: index holds ${health.indexedFaces} faces, Postgres ${embeddings} embeddings`);
    const gallery = await api.data('mutation($i: GalleryCreateInput!) { createGallery(input: $i) { id } }', { i: { name: `crash-proof-${runId}-${life}` } });
    return { galleryId: gallery.createGallery.id, photos: shuffled(photos, random).slice(0, photoCount).values(), inFlight: new Set(), killed: false };
  }

  const enrollers = (life: Life) => Promise.all(Array.from({ length: options.concurrency }, () => enrollWhileAlive(api, life, attempts)));

  await mkdir(dataDir, { mode: 0o755 });
  try {
    for (let kill = 1; kill <= options.kills; kill++) {
      const life = await boot(kill - 1);
      let photosLeft = true;
      const enrolling = enrollers(life).then(() => (photosLeft = false));
      await sleep(KILL_DELAY_MS.min + random() * (KILL_DELAY_MS.max - KILL_DELAY_MS.min));
      while (life.inFlight.size === 0 && photosLeft) await sleep(1);
      life.killed = true;
      const cut = life.inFlight.size;
      server!.process.kill('SIGKILL');
      await Promise.all([enrolling, server!.exited]);
      info(`kill ${kill}/${options.kills}: ${cut} requests cut, ${attempts.filter((a) => a.outcome === 'acknowledged').length} acknowledged so far`);
    }
    await enrollers(await boot(options.kills, SETTLED_ENROLLMENTS_PER_CLIENT * options.concurrency));

    const health = await waitForHealth(api.baseUrl, server!, { headers });
    const modelVersionId = String(health.model);
    const { embeddings, check } = await withDatabase(databaseUrl, async (db) => ({
      embeddings: await embeddingCount(db, modelVersionId),
      check: await checkConsistency(db, api, attempts, modelVersionId, options.concurrency),
    }));
    violations.push(...check.violations);
    if (health.indexedFaces !== embeddings) violations.push(`index holds ${health.indexedFaces} faces, Postgres ${embeddings} embeddings of ${modelVersionId}`);
    const count = (outcome: Attempt['outcome']) => attempts.filter((a) => a.outcome === outcome).length;
    return {
      kills: options.kills,
      concurrency: options.concurrency,
      seed: options.seed,
      database: options.databaseUrl ? 'DATABASE_URL' : 'embedded',
      enrollments: {
        attempted: attempts.length,
        acknowledged: count('acknowledged'),
        rejected: count('rejected'),
        inFlightAtKill: count('cut'),
        inFlightLanded: check.inFlightLanded,
      },
      bootToReadyMs: minMedianMax(bootTimes),
      identified: check.identified,
      index: { indexedFaces: Number(health.indexedFaces), embeddings },
      durationS: Math.round((performance.now() - started) / 1000),
      violations,
    };
  } finally {
    if (server && server.process.exitCode === null && server.process.signalCode === null) {
      server.process.kill('SIGTERM');
      await server.exited;
    }
    if (!options.databaseUrl) await stopLeftoverPostmaster(pgDataDir);
    await rm(dataDir, { recursive: true, force: true });
  }
}

function summary(report: CrashProofReport): string {
  const { enrollments: e, bootToReadyMs: boot } = report;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    `Crash proof: ${report.kills} SIGKILLs, ${report.concurrency} concurrent clients, seed ${report.seed}, ${report.database} Postgres, ${report.durationS} s`,
    `Enrollments: ${e.attempted} attempted, ${e.acknowledged} acknowledged, ${e.rejected} rejected, ${e.inFlightAtKill} in flight at a kill (${e.inFlightLanded} of them landed)`,
    `Boot to ready after a kill: min ${seconds(boot.min)}, median ${seconds(boot.median)}, max ${seconds(boot.max)}`,
    `Identify found ${report.identified} stored faces as themselves; index ${report.index.indexedFaces} faces, Postgres ${report.index.embeddings} embeddings`,
    `Violations: ${report.violations.length}`,
    ...report.violations.map((v) => `  - ${v}`),
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const flags = parseIntegerFlags(argv.filter((arg) => arg !== '--json'), DEFAULTS);
  if (flags.concurrency < 1) throw new Error('--concurrency must be at least 1');
  const report = await runCrashProof({ ...flags, databaseUrl: process.env.DATABASE_URL || undefined, apiKey: process.env.API_KEY || undefined });
  process.stdout.write(`${json ? JSON.stringify(report) : summary(report)}\n`);
  if (report.violations.length > 0) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
