import { INestApplication } from '@nestjs/common';
import { loadConfig } from '../../libs/config/src/index.js';
import { FaceRepository } from '../../libs/database/src/index.js';
import { FaceAnalysisService, FaceIndex, GalleryService, PgvectorFaceIndexService, RecognitionModule } from '../../libs/recognition/src/index.js';
import { SyntheticFaces } from '../../libs/vector-index/src/synthetic-faces.js';
import { PgvectorServer, startPgvectorServer } from '../../bench/pglite-pgvector.server.js';
import { bootModule, createTestDatabase, defaultTenantId, queryDatabase, testConfig } from '../support/test-app.js';
import { describeFaceIndexContract, syntheticFace } from './face-index.contract.js';

let pgvector: PgvectorServer;

beforeAll(async () => {
  pgvector = await startPgvectorServer();
});

afterAll(() => pgvector?.stop());

/** The face index contract on Postgres + pgvector (INDEX_BACKEND=pgvector), here PGlite with its vector extension. */
describeFaceIndexContract({ name: 'pgvector', env: () => ({ INDEX_BACKEND: 'pgvector', PGVECTOR_URL: pgvector.url }) });

/** What only a shared store has: its own schema, its watermark, and when it must be rebuilt. */
describe('pgvector face index store (PGlite)', () => {
  let databaseUrl: string;
  const faces = new SyntheticFaces(128, 10, 7);
  const boot = async (env: Record<string, string> = {}) => {
    const app = await bootModule(RecognitionModule, testConfig(databaseUrl, { INDEX_BACKEND: 'pgvector', PGVECTOR_URL: pgvector.url, ...env }));
    await app.init();
    return app;
  };
  const service = (app: INestApplication) => app.get(FaceIndex) as PgvectorFaceIndexService;
  const store = (sql: string, params: unknown[] = []) => queryDatabase(pgvector.url, sql, params);

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('pgvector_store');
  });

  it('keeps its index and watermark in the store, in step with the outbox, and reuses them at the next boot', async () => {
    let app = await boot();
    expect(service(app).boot).toMatchObject({ source: 'postgres', rebuildReason: expect.stringMatching(/databaseId|no index/) });
    const tenantId = await defaultTenantId(app);
    const galleryId = (await app.get(GalleryService).createGallery(tenantId, 'kept')).id;
    const enrolled = await app.get(FaceRepository).enroll({
      tenantId, galleryId, externalId: 'x', face: syntheticFace(app.get(FaceAnalysisService).detectorId, 1), embedding: { modelVersionId: service(app).modelVersionId, vector: faces.sample(1) },
    });
    await service(app).catchUp(enrolled.changeId);
    const [state] = await store('SELECT watermark, faces FROM face_index_state WHERE model_version_id = $1', [service(app).modelVersionId]);
    expect(state).toEqual({ watermark: String(enrolled.changeId), faces: '1' });
    await app.close();

    app = await boot();
    expect(service(app).boot).toMatchObject({ source: 'store', faces: 1, replayedChanges: 0 });
    await app.close();
  });

  it('rebuilds from Postgres when the graph settings changed or the outbox no longer holds the changes after its watermark', async () => {
    let app = await boot({ HNSW_M: '8' });
    expect(service(app).boot).toMatchObject({ source: 'postgres', rebuildReason: `it was built with m ${loadConfig({}).index.m}, now 8`, faces: 1 });
    await app.close();

    await queryDatabase(databaseUrl, 'UPDATE index_change_state SET pruned_through = (SELECT max(id) + 1 FROM index_changes)');
    app = await boot({ HNSW_M: '8' });
    expect(service(app).boot).toMatchObject({ source: 'postgres', rebuildReason: expect.stringMatching(/outbox retention/), faces: 1 });
    await app.close();
  });

  it('fails fast, saying why, when the server has no pgvector', async () => {
    // The embedded Postgres of the test run has no pgvector extension.
    const app = await bootModule(RecognitionModule, testConfig(databaseUrl, { INDEX_BACKEND: 'pgvector', PGVECTOR_URL: databaseUrl }));
    await expect(app.init()).rejects.toThrow(/no pgvector extension.*INDEX_BACKEND=hnsw/);
    await app.close();
  });
});
