import { resolve } from 'node:path';
import { loadConfig } from './app.config.js';
import { InvalidEnvironmentError } from './environment.js';

describe('configuration validation', () => {
  it('uses documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ port: 3000, host: '127.0.0.1' });
    expect(config.database.url).toBeUndefined();
    expect(config.models.executionProviders).toEqual(['cpu']);
    expect(config.index).toMatchObject({ m: 32, efConstruction: 200, efSearch: 64, compactDeletedFraction: 0.25 });
    expect(config.adapters.dir).toBe(resolve('data/adapters'));
    expect(loadConfig({ ADAPTER_DIR: '/srv/adapters' }).adapters.dir).toBe('/srv/adapters');
  });

  it('parses numbers and lists from strings', () => {
    const config = loadConfig({ PORT: '8080', ORT_EXECUTION_PROVIDERS: 'cuda, cpu', HNSW_EF_SEARCH: '128', INDEX_COMPACT_DELETED_FRACTION: '0' });
    expect(config.http.port).toBe(8080);
    expect(config.models.executionProviders).toEqual(['cuda', 'cpu']);
    expect(config.index.efSearch).toBe(128);
    expect(config.index.compactDeletedFraction).toBe(0);
  });

  it('fails fast with every invalid variable named', () => {
    const attempt = () =>
      loadConfig({ PORT: 'eighty', DETECTOR_SCORE_THRESHOLD: '1.5', ORT_EXECUTION_PROVIDERS: 'gpu', DATABASE_URL: 'mysql://x', INDEX_COMPACT_DELETED_FRACTION: '1.5' });
    expect(attempt).toThrow(InvalidEnvironmentError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/^Invalid environment variables:/);
      for (const name of ['PORT', 'DETECTOR_SCORE_THRESHOLD', 'ORT_EXECUTION_PROVIDERS', 'DATABASE_URL', 'INDEX_COMPACT_DELETED_FRACTION']) expect(message).toContain(name);
    }
  });

  it('selects the index backend; pgvector needs a Postgres other than the embedded one', () => {
    expect(loadConfig({}).index).toMatchObject({ backend: 'hnsw', pgvectorUrl: undefined });
    expect(loadConfig({ INDEX_BACKEND: 'pgvector', DATABASE_URL: 'postgres://app' }).index).toMatchObject({ backend: 'pgvector', pgvectorUrl: 'postgres://app' });
    expect(loadConfig({ INDEX_BACKEND: 'pgvector', DATABASE_URL: 'postgres://app', PGVECTOR_URL: 'postgres://vectors' }).index.pgvectorUrl).toBe('postgres://vectors');
    expect(() => loadConfig({ INDEX_BACKEND: 'pgvector' })).toThrow(/PGVECTOR_URL.*embedded Postgres has no pgvector/);
    expect(() => loadConfig({ INDEX_BACKEND: 'faiss' })).toThrow(/INDEX_BACKEND/);
    expect(() => loadConfig({ INDEX_BACKEND: 'pgvector', DATABASE_URL: 'postgres://app', PGVECTOR_URL: 'mysql://x' })).toThrow(/PGVECTOR_URL must start with postgres/);
  });

  it('requires API keys unless the server binds to loopback or AUTH_MODE says otherwise', () => {
    expect(loadConfig({}).auth).toEqual({ mode: 'auto', required: false });
    expect(loadConfig({ HOST: '::1' }).auth.required).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0' }).auth.required).toBe(true);
    expect(loadConfig({ HOST: '192.168.1.20' }).auth.required).toBe(true);
    expect(loadConfig({ AUTH_MODE: 'required' }).auth.required).toBe(true);
    expect(loadConfig({ HOST: '0.0.0.0', AUTH_MODE: 'disabled' }).auth.required).toBe(false);
    expect(() => loadConfig({ AUTH_MODE: 'off' })).toThrow(/AUTH_MODE/);
  });

  it('names a worker by host and pid unless WORKER_NAME says otherwise, and bounds the job settings', () => {
    expect(loadConfig({}).worker).toMatchObject({ name: expect.stringMatching(new RegExp(`:${process.pid}$`)), concurrency: 1, batchSize: 1 });
    expect(loadConfig({ WORKER_NAME: 'gpu-box-1' }).worker.name).toBe('gpu-box-1');
    expect(loadConfig({}).jobs).toEqual({ retryLimit: 3, retryDelaySeconds: 10, expireSeconds: 120, maintenanceIntervalSeconds: 30 });
    expect(() => loadConfig({ WORKER_POLL_INTERVAL_SECONDS: '0.1' })).toThrow(/WORKER_POLL_INTERVAL_SECONDS/);
    expect(() => loadConfig({ JOB_EXPIRE_SECONDS: '0' })).toThrow(/JOB_EXPIRE_SECONDS/);
  });

  it('ignores variables it does not own', () => {
    expect(() => loadConfig({ PATH: '/usr/bin', HOME: '/root' })).not.toThrow();
  });
});
