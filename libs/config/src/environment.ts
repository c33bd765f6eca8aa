import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsDefined, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, ValidateIf, validateSync,
} from 'class-validator';

const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;

/**
 * Every environment variable the platform reads, with its default and why it has that default.
 * Validated once at boot (`loadConfig`); an invalid value stops the process with a readable list.
 */
export class EnvironmentVariables {
  /** HTTP port of the API. */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  /** Bind address. Loopback by default, where AUTH_MODE=auto lets unauthenticated local use through. */
  @IsString()
  HOST = '127.0.0.1';

  /**
   * `required`: every GraphQL request needs `Authorization: Bearer <key>`. `disabled`: requests without
   * a key act as an admin of the `default` tenant (local development only; keys sent are still checked).
   * `auto`: `disabled` when HOST is a loopback address, `required` otherwise.
   */
  @IsIn(['auto', 'required', 'disabled'])
  AUTH_MODE = 'auto';

  /** Requests per API key (per client address without a key) per RATE_LIMIT_WINDOW_SECONDS; 0 turns the limit off. */
  @Type(() => Number) @IsInt() @Min(0)
  RATE_LIMIT = 600;

  /** Length of the rate-limit window. 600 per 60 s is 10/s sustained: above what one CPU core embeds. */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  /** Deepest GraphQL selection accepted (introspection excluded). The schema's deepest useful query is 5. */
  @Type(() => Number) @IsInt() @Min(2) @Max(64)
  GRAPHQL_MAX_DEPTH = 10;

  /**
   * Largest cost of one GraphQL operation: each selected field costs 1, each field that runs the
   * models (enroll, identify, verify, detect, cluster) costs 100. 1000 admits a handful of
   * model calls per request, so aliases cannot multiply the work behind one rate-limit token.
   */
  @Type(() => Number) @IsInt() @Min(100)
  GRAPHQL_MAX_COMPLEXITY = 1000;

  /**
   * Longest a query may run before it is answered with TIMEOUT (mutations always finish: their
   * outcome must be the answer). Also bounds how long a client may take to send its request.
   */
  @Type(() => Number) @IsInt() @Min(1000)
  REQUEST_TIMEOUT_MS = 30_000;

  /** Days audit entries are kept; older ones are deleted hourly. 0 keeps them forever. */
  @Type(() => Number) @IsInt() @Min(0)
  AUDIT_RETENTION_DAYS = 365;

  /** Postgres connection string. When unset, an embedded Postgres is started under DATA_DIR. */
  @IsOptional() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must start with postgres:// or postgresql://' })
  DATABASE_URL?: string;

  /** Local state: the embedded Postgres's files (`postgres/`) and index snapshots (`index-snapshots/`, one directory may serve several processes). */
  @IsString()
  DATA_DIR = './data';

  /** Port of the embedded Postgres (only used without DATABASE_URL). */
  @Type(() => Number) @IsInt() @Min(1) @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  /** Directory holding the ONNX files named by the manifests. */
  @IsString()
  MODEL_DIR = '../shared/models';

  /**
   * Directory of the models this project builds itself (manifests with a `build` entry, e.g.
   * dlib-resnet-128 from `npm run models:build`): where the build writes them and the API loads them.
   */
  @IsString()
  GENERATED_MODEL_DIR = './data/models';

  /**
   * Cross-model adapters (`npm run train -- adapter`): one JSON file per trained map from a new
   * embedding space into an old one, so a new model's queries can search a gallery enrolled with the
   * old model before it is re-embedded. Files, not Postgres, until adapters join the model registry.
   */
  @IsString()
  ADAPTER_DIR = './data/adapters';

  /** Directory holding the model manifests (`<id>.manifest.json`). */
  @IsString()
  MODEL_MANIFEST_DIR = './models';

  /**
   * Where the model registry keeps imported ONNX embedders (registerModel), one file per model
   * version, as validated (a fixed batch of 1 rewritten to dynamic). Every process that may run an
   * imported model (API, workers, CLI) must see the same folder.
   */
  @IsString()
  MODEL_STORE_DIR = './data/model-store';

  /**
   * The only folder whose files registerModel(input: { path }) may import: the way to bring a model
   * larger than MAX_UPLOAD_BYTES (an ArcFace R100 is 250 MB), copied onto the server first. Paths
   * leading outside it are refused, so an API key cannot make the server read other files.
   */
  @IsString()
  MODEL_IMPORT_DIR = './data/model-imports';

  /**
   * Photos of different people, one face each, that an imported embedder is run on before it is
   * accepted (aligned with its own template). The London set by default, beside the project as
   * the models are; any folder of front portraits works.
   */
  @IsString()
  MODEL_VALIDATION_FACES_DIR = '../shared/datasets/london/neutral_front';

  /** How many of those photos (the first, by name) the validation uses: enough to catch batch mixing and constant output, cheap for a 250 MB model. */
  @Type(() => Number) @IsInt() @Min(2) @Max(64)
  MODEL_VALIDATION_FACES = 8;

  /** Detector manifest id. */
  @IsString()
  DETECTOR_MODEL = 'yunet-n';

  /**
   * Embedder manifest id: the embedding space new enrollments and searches use, until a model is
   * made active in the registry (setActiveModel); from then on processes load that one at boot.
   */
  @IsString()
  EMBEDDER_MODEL = 'mobilefacenet-128';

  /** onnxruntime execution providers in order of preference, e.g. `cuda,cpu` (falls back, logs the one used). */
  @Transform(toList) @IsIn(['cpu', 'cuda', 'tensorrt', 'dml', 'coreml'], { each: true })
  ORT_EXECUTION_PROVIDERS: string[] = ['cpu'];

  /** Threads per ONNX session for one operator; 0 lets onnxruntime choose (all cores). */
  @Type(() => Number) @IsInt() @Min(0) @Max(256)
  ORT_INTRA_OP_THREADS = 0;

  /** Faces embedded per ONNX call (each face runs twice: as is and mirrored). */
  @Type(() => Number) @IsInt() @Min(1) @Max(256)
  EMBED_BATCH_SIZE = 16;

  /** Minimum YuNet score sqrt(cls·obj) for a face. 0.6 keeps profile and small faces; raise it for fewer false faces. */
  @Type(() => Number) @IsNumber() @Min(0) @Max(1)
  DETECTOR_SCORE_THRESHOLD = 0.6;

  /** IoU above which overlapping detections are merged by non-maximum suppression. */
  @Type(() => Number) @IsNumber() @Min(0) @Max(1)
  DETECTOR_NMS_IOU = 0.3;

  /** Longest side the image is downscaled to for detection (never upscaled). Larger finds smaller faces, slower. */
  @Type(() => Number) @IsInt() @Min(64) @Max(4096)
  DETECTOR_MAX_SIDE = 640;

  /**
   * Longest side a smaller image is enlarged to for detection only (0: never); alignment still
   * samples the original pixels. Finer landmarks on small photos: LFW (250×250) 10-fold accuracy
   * 99.23% → 99.45% at 512, for about 4× the detector time on such images.
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(4096)
  DETECTOR_MIN_SIDE = 512;

  /** Largest accepted upload (bytes), for multipart files and decoded base64 alike. */
  @Type(() => Number) @IsInt() @Min(1024)
  MAX_UPLOAD_BYTES = 15 * 1024 * 1024;

  /** Largest accepted decoded image (width × height), checked from the header before decoding: stops decompression bombs. */
  @Type(() => Number) @IsInt() @Min(1)
  MAX_IMAGE_PIXELS = 40_000_000;

  /** Most items one `enrollBatch` may carry. The JSON body limit (two images' base64) also bounds a batch's bytes. */
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000)
  MAX_BATCH_ITEMS = 100;

  /*
   * Background jobs (pg-boss in the app's Postgres, schema `pgboss`). The job settings are stamped on
   * each job by the process that enqueues it (the API); the worker settings apply to each worker.
   */

  /** Jobs one worker process runs at once. 1 keeps a job's ONNX work on one core; more overlap decoding and Postgres round trips. */
  @Type(() => Number) @IsInt() @Min(1) @Max(64)
  WORKER_CONCURRENCY = 1;

  /** Jobs a worker takes per fetch. 1 spreads a batch evenly over the workers; more saves round trips when jobs are short. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100)
  WORKER_BATCH_SIZE = 1;

  /** How often an idle worker looks for jobs (pg-boss polls; its minimum is 0.5). A busy one fetches again as soon as it is done. */
  @Type(() => Number) @IsNumber() @Min(0.5) @Max(60)
  WORKER_POLL_INTERVAL_SECONDS = 2;

  /** Name a worker records on the items it processes; host:pid when unset. */
  @IsString()
  WORKER_NAME = '';

  /** Retries of a job that failed unexpectedly (a coded failure such as NO_FACE is an outcome, not retried); then its item fails with INTERNAL. */
  @Type(() => Number) @IsInt() @Min(0) @Max(100)
  JOB_RETRY_LIMIT = 3;

  /** Wait before a failed job runs again. */
  @Type(() => Number) @IsInt() @Min(0) @Max(86_400)
  JOB_RETRY_DELAY_SECONDS = 10;

  /**
   * A job still active this long is taken for lost (its worker died) and retried. It must exceed one
   * fetch's work (WORKER_BATCH_SIZE items, about a second each on a busy core); a job cut short by
   * it is harmless, as an item is enrolled at most once, but it wastes the work.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(86_400)
  JOB_EXPIRE_SECONDS = 120;

  /** How often some process sweeps for expired jobs (every worker and API takes part; one sweeps each time). */
  @Type(() => Number) @IsInt() @Min(1) @Max(3600)
  JOB_MAINTENANCE_INTERVAL_SECONDS = 30;

  /*
   * Model migrations: a worker re-embeds the stored crops of the faces being moved to a new model.
   */

  /** Faces a backfill batch claims and embeds in one transaction (their rows stay locked meanwhile). */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  BACKFILL_BATCH_SIZE = 16;

  /** Backfill jobs queued per migration: how many workers (or WORKER_CONCURRENCY loops) can share one. */
  @Type(() => Number) @IsInt() @Min(1) @Max(64)
  BACKFILL_JOBS = 2;

  /**
   * Fraction of the new model's crop that a stored crop must cover; a face below it fails its backfill
   * (the rest would be black). Archive crops cover every shipped model fully; crops stored before
   * them (an embedder's own, narrower crop) may not.
   */
  @Type(() => Number) @IsNumber() @Min(0) @Max(1)
  BACKFILL_MIN_CROP_COVERAGE = 0.9;

  /**
   * HNSW graph degree. hnswlib's default 16 loses recall on face data as galleries grow (1M: recall@1
   * 0.92 at efSearch 64, docs/vector-index-facts); 32 reaches at efSearch 32 what 16 needs 64 for
   * (100k: recall@1 0.998 against 0.993, more queries/s; `npm run bench:index`), at ≈ 930 B per face
   * instead of ≈ 870. 48 would pass 1 KiB per face. Changing it rebuilds the index at the next boot.
   */
  @Type(() => Number) @IsInt() @Min(4) @Max(128)
  HNSW_M = 32;

  /** HNSW build-time candidate list; higher builds slower and searches better. */
  @Type(() => Number) @IsInt() @Min(8) @Max(2048)
  HNSW_EF_CONSTRUCTION = 200;

  /** HNSW search-time candidate list (at least k). With M 32, 64 gives recall@1 ≈ 1.0 at 100k face-like vectors (32: 0.998). */
  @Type(() => Number) @IsInt() @Min(8) @Max(4096)
  HNSW_EF_SEARCH = 64;

  /** Galleries with at most this many faces are searched exactly; the graph pays off above it. */
  @Type(() => Number) @IsInt() @Min(0)
  EXACT_SEARCH_MAX_FACES = 2000;

  /**
   * Where the face index lives. `hnsw`: each API process holds its own in-memory replica (fastest;
   * bounded by one machine's RAM). `pgvector`: one shared index in Postgres + pgvector (PGVECTOR_URL),
   * for galleries that outgrow one machine: a Postgres that can be sharded (e.g. Citus, distributed by
   * gallery) or a managed service. Both follow the same outbox and answer the same searches.
   */
  @IsIn(['hnsw', 'pgvector'])
  INDEX_BACKEND = 'hnsw';

  /**
   * Postgres with the pgvector extension holding the index when INDEX_BACKEND=pgvector; defaults to
   * DATABASE_URL (the embedded Postgres has no pgvector, so one of the two is required then). Its
   * tables are created and versioned by the index itself, so it may be a separate server.
   */
  @ValidateIf((env: EnvironmentVariables) => env.PGVECTOR_URL !== undefined || (env.INDEX_BACKEND === 'pgvector' && !env.DATABASE_URL))
  @IsDefined({ message: 'INDEX_BACKEND=pgvector needs PGVECTOR_URL or DATABASE_URL: the embedded Postgres has no pgvector' })
  @Matches(/^postgres(ql)?:\/\//, { message: 'PGVECTOR_URL must start with postgres:// or postgresql://' })
  PGVECTOR_URL?: string;

  /**
   * A gallery's graph is rebuilt from its live faces (in slices, the old graph serving meanwhile) once
   * removed faces' slots not yet reused by enrollments pass this fraction of its slots; 0 never does.
   * Removed slots are reused first, so this only happens when deletions outrun enrollments; until
   * then they cost memory and search time (the graph still walks through them).
   */
  @Type(() => Number) @IsNumber() @Min(0) @Max(1)
  INDEX_COMPACT_DELETED_FRACTION = 0.25;

  /*
   * Several API processes may share one Postgres: each holds its own index and follows the others'
   * enrollments and deletions through the `index_changes` outbox (woken by NOTIFY, polling as a
   * fallback). Index snapshots under DATA_DIR/index-snapshots let a restart load the index and replay
   * only the changes made since, instead of rebuilding it from every embedding (minutes at 1M faces).
   */

  /** How often each process polls the outbox for other processes' changes; bounds their delay when a notification is lost. */
  @Type(() => Number) @IsInt() @Min(50) @Max(60_000)
  INDEX_POLL_INTERVAL_MS = 500;

  /**
   * How often an index that changed is snapshotted (also on shutdown, and right after a full rebuild);
   * 0 turns snapshots off, so every boot rebuilds from Postgres. An erased face's vector leaves the
   * snapshot files at the next snapshot, so this also bounds how long it stays on disk there. At 1M
   * faces a snapshot takes ≈ 10 s (705 MB), enrollments and deletions waiting ≈ 6 s of it.
   */
  @Type(() => Number) @IsInt() @Min(0)
  INDEX_SNAPSHOT_INTERVAL_SECONDS = 600;

  /** Changes applied since the last snapshot that trigger the next one before the interval is up. */
  @Type(() => Number) @IsInt() @Min(1)
  INDEX_SNAPSHOT_EVERY_CHANGES = 10_000;

  /**
   * Faces checked against Postgres (owner ids and vector) when a snapshot is loaded, plus as many
   * embeddings of Postgres looked up in the index, on top of comparing the counts.
   */
  @Type(() => Number) @IsInt() @Min(0)
  INDEX_SNAPSHOT_VERIFY_SAMPLE = 1000;

  /**
   * Days outbox changes are kept (deleted hourly). A snapshot older than that cannot be replayed and
   * is replaced by a full rebuild, so keep it above how long a process may stay down.
   */
  @Type(() => Number) @IsNumber() @Min(0.01)
  INDEX_CHANGES_RETENTION_DAYS = 7;

  /**
   * False-accept rate whose calibrated threshold decides MATCH / same when a request names neither
   * `threshold` nor `far`. 1e-4: in identification each enrolled identity is one more chance to
   * falsely match a stranger, so the per-comparison rate must be small.
   */
  @Type(() => Number) @IsNumber() @Min(0) @Max(1)
  DEFAULT_FAR = 0.0001;

  /** Upper bound of `k` in identify. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  IDENTIFY_MAX_K = 100;

  /*
   * Enrollment quality gate: a face failing any of these is refused with LOW_QUALITY (identify and
   * detectFaces only report the reasons). The defaults refuse only clearly bad faces: 0.7% of the
   * 7,701 LFW images of pairs.txt, whose pairs then err 8× more often than the rest, and none of the
   * London portraits (`npm run cli -- quality-report` measures it).
   */

  /** Smallest distance between the eye landmarks, pixels of the photo (SMALL_FACE). The embedder's crop has 35; the 7 LFW images under 20 are near-profile. */
  @Type(() => Number) @IsNumber() @Min(0)
  QUALITY_MIN_INTEROCULAR = 20;

  /** Smallest variance of the Laplacian of the aligned 112×112 grey crop (BLURRY). LFW: median 132, 0.1% quantile 17.5; the 7 images under 15 are visibly out of focus or smeared. */
  @Type(() => Number) @IsNumber() @Min(0)
  QUALITY_MIN_SHARPNESS = 15;

  /** Largest head turn, degrees, estimated from the landmarks (EXTREME_POSE). 45: beyond it the far eye starts to hide (0.6% of LFW). */
  @Type(() => Number) @IsNumber() @Min(0) @Max(90)
  QUALITY_MAX_YAW = 45;

  /** Largest nod up or down, degrees, estimated from the landmarks (EXTREME_POSE). Above every LFW (27) and London (14) face. */
  @Type(() => Number) @IsNumber() @Min(0) @Max(90)
  QUALITY_MAX_PITCH = 35;

  /** Largest tilt of the eye line, degrees (EXTREME_POSE). Alignment undoes roll; beyond 45 the landmarks themselves get unreliable. */
  @Type(() => Number) @IsNumber() @Min(0) @Max(180)
  QUALITY_MAX_ROLL = 45;

  /** Smallest detector score (LOW_CONFIDENCE): between DETECTOR_SCORE_THRESHOLD and this, a face is reported but not enrolled. LFW's lowest is 0.88. */
  @Type(() => Number) @IsNumber() @Min(0) @Max(1)
  QUALITY_MIN_DETECTOR_SCORE = 0.75;

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL = 'log';
}

export class InvalidEnvironmentError extends Error {}

export function validateEnvironment(env: Record<string, string | undefined>): EnvironmentVariables {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => value !== undefined && value !== '' && key in new EnvironmentVariables()),
  );
  // Variables without a default are not own properties, so `key in` misses them.
  for (const key of ['DATABASE_URL', 'PGVECTOR_URL']) if (env[key]) defined[key] = env[key];
  const parsed = plainToInstance(EnvironmentVariables, defined);
  const errors = validateSync(parsed, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const lines = errors.map((e) => ` - ${e.property}=${JSON.stringify(defined[e.property])}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new InvalidEnvironmentError(`Invalid environment variables:\n${lines.join('\n')}`);
  }
  return parsed;
}
