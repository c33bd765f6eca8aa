import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { EnvironmentVariables, validateEnvironment } from './environment.js';

/** Typed, validated runtime configuration; built once at boot from the environment. */
export class AppConfig {
  readonly http: { port: number; host: string };
  readonly database: { url?: string; embeddedDataDir: string; embeddedPort: number };
  readonly models: {
    dir: string; generatedDir: string; manifestDir: string; detector: string; embedder: string;
    executionProviders: string[]; intraOpThreads: number; embedBatchSize: number;
    /** Model registry: stored imports, the folder `path` imports come from, and the faces imports are validated on. */
    storeDir: string; importDir: string; validationFacesDir: string; validationFaces: number;
  };
  /** Where cross-model adapters are stored (ADAPTER_DIR). */
  readonly adapters: { dir: string };
  readonly detection: { scoreThreshold: number; nmsIou: number; maxSide: number; minSide: number };
  readonly limits: { maxUploadBytes: number; maxImagePixels: number; maxK: number; maxBatchItems: number };
  /** False-accept rate of the default decision threshold. */
  readonly defaultFar: number;
  readonly index: {
    /** `pgvectorUrl`: where the pgvector backend keeps the index (PGVECTOR_URL, else DATABASE_URL). */
    backend: 'hnsw' | 'pgvector'; pgvectorUrl?: string;
    m: number; efConstruction: number; efSearch: number; exactSearchMaxFaces: number; compactDeletedFraction: number; pollIntervalMs: number;
    changeRetentionDays: number;
    /** `intervalMs` 0: no snapshots. */
    snapshots: { dir: string; intervalMs: number; everyChanges: number; verifySample: number };
  };
  readonly quality: {
    minInterocularDistance: number; minSharpness: number; maxYaw: number; maxPitch: number; maxRoll: number; minDetectorScore: number;
  };
  readonly logLevel: string;
  /** Whether requests without an API key are refused (AUTH_MODE resolved against HOST). */
  readonly auth: { mode: string; required: boolean };
  readonly rateLimit: { limit: number; windowMs: number };
  readonly graphql: { maxDepth: number; maxComplexity: number };
  readonly requestTimeoutMs: number;
  readonly audit: { retentionDays: number };
  readonly jobs: {
    retryLimit: number; retryDelaySeconds: number; expireSeconds: number; maintenanceIntervalSeconds: number;
  };
  readonly worker: { name: string; concurrency: number; batchSize: number; pollIntervalSeconds: number };
  readonly backfill: { batchSize: number; jobs: number; minCropCoverage: number };

  constructor(env: EnvironmentVariables) {
    this.http = { port: env.PORT, host: env.HOST };
    this.database = {
      url: env.DATABASE_URL,
      embeddedDataDir: resolve(env.DATA_DIR, 'postgres'),
      embeddedPort: env.EMBEDDED_PG_PORT,
    };
    this.models = {
      dir: resolve(env.MODEL_DIR),
      generatedDir: resolve(env.GENERATED_MODEL_DIR),
      manifestDir: resolve(env.MODEL_MANIFEST_DIR),
      detector: env.DETECTOR_MODEL,
      embedder: env.EMBEDDER_MODEL,
      executionProviders: env.ORT_EXECUTION_PROVIDERS,
      intraOpThreads: env.ORT_INTRA_OP_THREADS,
      embedBatchSize: env.EMBED_BATCH_SIZE,
      storeDir: resolve(env.MODEL_STORE_DIR),
      importDir: resolve(env.MODEL_IMPORT_DIR),
      validationFacesDir: resolve(env.MODEL_VALIDATION_FACES_DIR),
      validationFaces: env.MODEL_VALIDATION_FACES,
    };
    this.adapters = { dir: resolve(env.ADAPTER_DIR) };
    this.detection = { scoreThreshold: env.DETECTOR_SCORE_THRESHOLD, nmsIou: env.DETECTOR_NMS_IOU, maxSide: env.DETECTOR_MAX_SIDE, minSide: env.DETECTOR_MIN_SIDE };
    this.limits = { maxUploadBytes: env.MAX_UPLOAD_BYTES, maxImagePixels: env.MAX_IMAGE_PIXELS, maxK: env.IDENTIFY_MAX_K, maxBatchItems: env.MAX_BATCH_ITEMS };
    this.defaultFar = env.DEFAULT_FAR;
    this.index = {
      backend: env.INDEX_BACKEND as 'hnsw' | 'pgvector', pgvectorUrl: env.PGVECTOR_URL ?? env.DATABASE_URL,
      m: env.HNSW_M, efConstruction: env.HNSW_EF_CONSTRUCTION, efSearch: env.HNSW_EF_SEARCH,
      exactSearchMaxFaces: env.EXACT_SEARCH_MAX_FACES, compactDeletedFraction: env.INDEX_COMPACT_DELETED_FRACTION, pollIntervalMs: env.INDEX_POLL_INTERVAL_MS,
      changeRetentionDays: env.INDEX_CHANGES_RETENTION_DAYS,
      snapshots: {
        dir: resolve(env.DATA_DIR, 'index-snapshots'), intervalMs: env.INDEX_SNAPSHOT_INTERVAL_SECONDS * 1000,
        everyChanges: env.INDEX_SNAPSHOT_EVERY_CHANGES, verifySample: env.INDEX_SNAPSHOT_VERIFY_SAMPLE,
      },
    };
    this.quality = {
      minInterocularDistance: env.QUALITY_MIN_INTEROCULAR, minSharpness: env.QUALITY_MIN_SHARPNESS,
      maxYaw: env.QUALITY_MAX_YAW, maxPitch: env.QUALITY_MAX_PITCH, maxRoll: env.QUALITY_MAX_ROLL,
      minDetectorScore: env.QUALITY_MIN_DETECTOR_SCORE,
    };
    this.logLevel = env.LOG_LEVEL;
    this.auth = { mode: env.AUTH_MODE, required: env.AUTH_MODE === 'required' || (env.AUTH_MODE === 'auto' && !isLoopback(env.HOST)) };
    this.rateLimit = { limit: env.RATE_LIMIT, windowMs: env.RATE_LIMIT_WINDOW_SECONDS * 1000 };
    this.graphql = { maxDepth: env.GRAPHQL_MAX_DEPTH, maxComplexity: env.GRAPHQL_MAX_COMPLEXITY };
    this.requestTimeoutMs = env.REQUEST_TIMEOUT_MS;
    this.audit = { retentionDays: env.AUDIT_RETENTION_DAYS };
    this.jobs = {
      retryLimit: env.JOB_RETRY_LIMIT, retryDelaySeconds: env.JOB_RETRY_DELAY_SECONDS, expireSeconds: env.JOB_EXPIRE_SECONDS,
      maintenanceIntervalSeconds: env.JOB_MAINTENANCE_INTERVAL_SECONDS,
    };
    this.worker = {
      name: env.WORKER_NAME || `${hostname()}:${process.pid}`,
      concurrency: env.WORKER_CONCURRENCY, batchSize: env.WORKER_BATCH_SIZE, pollIntervalSeconds: env.WORKER_POLL_INTERVAL_SECONDS,
    };
    this.backfill = { batchSize: env.BACKFILL_BATCH_SIZE, jobs: env.BACKFILL_JOBS, minCropCoverage: env.BACKFILL_MIN_CROP_COVERAGE };
  }
}

/** Addresses only this machine can reach. */
export const isLoopback = (host: string) => /^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(host);

export const loadConfig = (env: Record<string, string | undefined> = process.env): AppConfig =>
  new AppConfig(validateEnvironment(env));

const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;

/** Nest's logger levels for LOG_LEVEL: that level and every more severe one. */
export const logLevels = (level: string) => LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level as (typeof LOG_LEVELS)[number]) + 1);
