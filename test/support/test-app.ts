import { randomBytes } from 'node:crypto';
import { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { errorCode, GraphqlResponse } from './graphql-client.js';
import { AppConfig, loadConfig } from '../../libs/config/src/index.js';
import { DEFAULT_TENANT, TenantRepository } from '../../libs/database/src/index.js';
import { FaceIndex, FaceIndexService } from '../../libs/recognition/src/index.js';
import { MANIFEST_DIR, MODEL_DIR } from './shared-data.js';

/** A fresh, empty database on the test run's Postgres (see global-setup). */
export async function createTestDatabase(prefix: string): Promise<string> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  if (!adminUrl) throw new Error('TEST_PG_ADMIN_URL is unset: run tests through `npm test` (jest globalSetup starts Postgres)');
  const name = `${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Configuration for a test app: real models from ../shared, the given database, one ONNX thread, and
 * no index snapshots (they would land in ./data) unless a test turns them on with a DATA_DIR.
 */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    MODEL_DIR,
    MODEL_MANIFEST_DIR: MANIFEST_DIR,
    ORT_INTRA_OP_THREADS: '1',
    LOG_LEVEL: 'warn',
    INDEX_SNAPSHOT_INTERVAL_SECONDS: '0',
    ...env,
  });
}

/** Boots `module` as the app would (lifecycle hooks included) with `config` in place of the environment's. */
export async function bootModule(module: Type, config: AppConfig): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).overrideProvider(AppConfig).useValue(config).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  return app;
}

/** The app's face index when it is the in-memory one (INDEX_BACKEND=hnsw), for tests of its replica mechanics. */
export function hnswIndex(app: INestApplication): FaceIndexService {
  const index = app.get(FaceIndex);
  if (!(index instanceof FaceIndexService)) throw new Error(`Expected the hnsw face index, found ${index.constructor.name}`);
  return index;
}

/** Id of the tenant that owns galleries when authentication is off (created by the migrations). */
export async function defaultTenantId(app: INestApplication): Promise<string> {
  return (await app.get(TenantRepository).getByName(DEFAULT_TENANT)).id;
}

/** Row counts of every table that enrollment writes, to prove a failed request wrote nothing. */
export async function rowCounts(databaseUrl: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(`
      SELECT (SELECT count(*) FROM galleries)::int AS galleries, (SELECT count(*) FROM identities)::int AS identities,
             (SELECT count(*) FROM faces)::int AS faces, (SELECT count(*) FROM embeddings)::int AS embeddings`);
    return rows[0];
  } finally {
    await client.end();
  }
}

export async function queryDatabase<T = Record<string, unknown>>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Sends a request that must fail with `code` (and a message) and leave every table as it was. */
export async function expectRejected(databaseUrl: string, code: string, send: () => Promise<GraphqlResponse>): Promise<GraphqlResponse> {
  const before = await rowCounts(databaseUrl);
  const response = await send();
  expect({ code: errorCode(response), message: response.errors?.[0]?.message }).toEqual({ code, message: expect.any(String) });
  expect(await rowCounts(databaseUrl)).toEqual(before);
  return response;
}
