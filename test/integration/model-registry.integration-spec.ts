import { jest } from '@jest/globals';
import { mkdtemp, readdir, readFile, symlink, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication, Logger } from '@nestjs/common';
import { DomainException } from '../../libs/common/src/index.js';
import { AppConfig } from '../../libs/config/src/index.js';
import { EmbeddingRepository, ModelVersionRepository, TenantRepository } from '../../libs/database/src/index.js';
import {
  EnrollmentService, FaceAnalysisService, GalleryService, ModelMigrationService, ModelRegistryService, RecognitionModule, SearchService,
} from '../../libs/recognition/src/index.js';
import { bundledManifest, generatedEmbedder, manifestFor, sha256Of } from '../support/generated-embedders.js';
import { dlibModelDir } from '../support/generated-models.js';
import { londonPhoto } from '../support/shared-data.js';
import { bootModule, createTestDatabase, defaultTenantId, queryDatabase, testConfig } from '../support/test-app.js';

/** What a refused call threw: its code and details, for comparison. */
async function refusal(call: Promise<unknown>): Promise<{ code: string; details?: Record<string, unknown> }> {
  const error = await call.then(() => new Error('the call succeeded'), (e: unknown) => e);
  if (!(error instanceof DomainException)) throw error;
  return { code: error.code, details: error.details };
}

/**
 * The model registry on real Postgres, real models and the London faces: imports are validated and
 * stored (row and file together, or neither), listed, and made active globally or per gallery only
 * when their embeddings cover the faces they would serve; a restart then runs the active model.
 */
describe('model registry (integration)', () => {
  let databaseUrl: string;
  let config: AppConfig;
  let app: INestApplication;
  let registry: ModelRegistryService;
  let storeDir: string;
  let importDir: string;
  let tenantId: string;
  const generated = generatedEmbedder(512);
  const generatedManifest = manifestFor(generated, 'generated-512', 512);

  const boot = async () => {
    app = await bootModule(RecognitionModule, config);
    await app.init();
    registry = app.get(ModelRegistryService);
  };
  const storedFiles = () => readdir(storeDir).catch(() => [] as string[]);
  const modelIds = async () => (await queryDatabase<{ id: string }>(databaseUrl, 'SELECT id FROM model_versions ORDER BY id')).map((r) => r.id);

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('registry');
    storeDir = join(await mkdtemp(join(tmpdir(), 'model-store-')), 'store');
    importDir = await mkdtemp(join(tmpdir(), 'model-imports-'));
    config = testConfig(databaseUrl, { MODEL_STORE_DIR: storeDir, MODEL_IMPORT_DIR: importDir });
    await boot();
    tenantId = await defaultTenantId(app);
  });

  afterAll(() => app?.close());

  it('imports a 512-D embedder sent as bytes: validated on 8 London faces, stored with its report', async () => {
    const model = await registry.register(JSON.parse(JSON.stringify(generatedManifest)), { bytes: generated });
    expect(model).toMatchObject({
      id: 'generated-512', kind: 'embedder', dimension: 512, source: 'imported', status: 'validated', sha256: generatedManifest.sha256,
      serving: false, pinnedGalleries: 0, threshold: { squaredDistance: 1.1932 }, activatedAt: null,
      validationReport: { batchDimension: 'made-dynamic', output: { dimension: 512 }, determinismMaxAbsDiff: 0 },
    });
    expect(model.validatedAt).toBeInstanceOf(Date);
    expect((model.validationReport!.probeFaces as string[])).toHaveLength(8);
    const [file] = await storedFiles();
    expect(file).toBe(model.storedFile);
    expect(sha256Of(await readFile(join(storeDir, file)))).toBe(model.storedSha256);
    expect(model.storedSha256).not.toBe(model.sha256);
  });

  it('imports dlib-resnet-128 under another id from a file in MODEL_IMPORT_DIR, stored as given (already dynamic)', async () => {
    await copyFile(join(await dlibModelDir(), 'dlib-resnet-128.onnx'), join(importDir, 'dlib.onnx'));
    const { build, ...manifest } = bundledManifest('dlib-resnet-128');
    expect(build).toBeDefined();
    const model = await registry.register({ ...manifest, id: 'dlib-imported' }, { importPath: 'dlib.onnx' });
    expect(model).toMatchObject({ id: 'dlib-imported', dimension: 128, storedSha256: manifest.sha256, validationReport: { batchDimension: 'dynamic' } });
  });

  it('lists bundled and imported models with status, dimension, thresholds and what this process serves', async () => {
    const models = await registry.list();
    expect(models.map((m) => [m.id, m.kind, m.source, m.status, m.dimension, m.serving])).toEqual([
      ['yunet-n', 'detector', 'bundled', 'validated', null, true],
      ['mobilefacenet-128', 'embedder', 'bundled', 'validated', 128, true],
      ['generated-512', 'embedder', 'imported', 'validated', 512, false],
      ['dlib-imported', 'embedder', 'imported', 'validated', 128, false],
    ]);
    const { threshold } = bundledManifest('mobilefacenet-128');
    expect(models[1].threshold).toEqual({
      squaredDistance: 1.1932, far: 0.0001, accuracyOptimal: 1.4409, source: threshold.source,
      falseAcceptRates: [{ far: 0.0001, squaredDistance: 1.1932, tar: 0.9644 }, { far: 0.001, squaredDistance: 1.3313, tar: 0.9836 }, { far: 0.01, squaredDistance: 1.4982, tar: 0.9936 }],
    });
    expect(models[0].threshold).toBeNull();
    expect(await refusal(registry.get('nope'))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses bad imports with a coded error, leaving no row and no file', async () => {
    const before = { ids: await modelIds(), files: await storedFiles() };
    const truncated = generated.subarray(0, 3000);
    const nan = generatedEmbedder(512, 'nan');
    const outside = join(storeDir, '..', 'outside.onnx');
    await writeFile(outside, generated);
    await symlink(outside, join(importDir, 'link-out.onnx'));
    const cases: Array<[Promise<unknown>, { code: string; details?: Record<string, unknown> }]> = [
      [registry.register({ ...generatedManifest, id: 'truncated', sha256: sha256Of(truncated) }, { bytes: truncated }), { code: 'MODEL_INVALID', details: expect.objectContaining({ reason: 'TRUNCATED' }) }],
      [registry.register({ ...generatedManifest, id: 'random' }, { bytes: Uint8Array.from({ length: 999 }, (_, i) => (i * 7919) % 251) }), { code: 'MODEL_INVALID', details: expect.objectContaining({ reason: 'NOT_ONNX' }) }],
      [registry.register({ ...generatedManifest, id: 'wrong-sha', sha256: 'a'.repeat(64) }, { bytes: generated }), { code: 'MODEL_INVALID', details: expect.objectContaining({ reason: 'SHA256_MISMATCH' }) }],
      [registry.register({ ...generatedManifest, id: 'wrong-dim', output: { ...generatedManifest.output, dimension: 128 } }, { bytes: generated }), { code: 'MODEL_INVALID', details: { reason: 'OUTPUT_DIMENSION', expected: 128, actual: 512 } }],
      [registry.register(manifestFor(nan, 'nan', 512), { bytes: nan }), { code: 'MODEL_INVALID', details: expect.objectContaining({ reason: 'NON_FINITE' }) }],
      [registry.register({ id: 'no-fields' }, { bytes: generated }), { code: 'MODEL_INVALID', details: expect.objectContaining({ reason: 'MANIFEST' }) }],
      [registry.register(generatedManifest, { bytes: generated }), { code: 'ALREADY_EXISTS', details: { id: 'generated-512' } }],
      [registry.register({ ...bundledManifest('mobilefacenet-128') }, { bytes: generated }), { code: 'ALREADY_EXISTS', details: { id: 'mobilefacenet-128' } }],
      [registry.register({ ...generatedManifest, id: 'escape' }, { importPath: '../outside.onnx' }), { code: 'VALIDATION', details: { field: 'path' } }],
      [registry.register({ ...generatedManifest, id: 'absolute' }, { importPath: outside }), { code: 'VALIDATION', details: { field: 'path' } }],
      [registry.register({ ...generatedManifest, id: 'link' }, { importPath: 'link-out.onnx' }), { code: 'VALIDATION', details: { field: 'path' } }],
      [registry.register({ ...generatedManifest, id: 'missing' }, { importPath: 'missing.onnx' }), { code: 'MODEL_INVALID', details: { reason: 'UNREADABLE', path: 'missing.onnx' } }],
    ];
    for (const [call, expected] of cases) expect(await refusal(call)).toEqual(expected);
    expect({ ids: await modelIds(), files: await storedFiles() }).toEqual(before);
  });

  it('refuses to make a model active while its embeddings do not cover the faces it would serve, then pins and activates', async () => {
    const galleries = app.get(GalleryService);
    const staff = await galleries.createGallery(tenantId, 'staff');
    await app.get(EnrollmentService).enrollFace({ tenantId, galleryId: staff.id, externalId: 'p1', image: await readFile(londonPhoto('neutral_front', 1)) });

    expect(await refusal(registry.activate('generated-512', tenantId, null))).toEqual({
      code: 'MODEL_NOT_READY', details: { modelId: 'generated-512', faces: 1, missingFaces: 1 },
    });
    expect(await refusal(registry.activate('generated-512', tenantId, staff.id))).toEqual({
      code: 'MODEL_NOT_READY', details: { modelId: 'generated-512', galleryId: staff.id, faces: 1, missingFaces: 1 },
    });
    expect(await refusal(registry.activate('yunet-n', tenantId, null))).toMatchObject({ code: 'VALIDATION' });
    expect(await refusal(registry.activate('nope', tenantId, null))).toMatchObject({ code: 'NOT_FOUND' });
    const other = await app.get(TenantRepository).create('other');
    const foreign = await galleries.createGallery(other.id, 'foreign');
    expect(await refusal(registry.activate('generated-512', tenantId, foreign.id))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await queryDatabase(databaseUrl, "SELECT id FROM model_versions WHERE status = 'active' UNION ALL SELECT gallery_id::text FROM gallery_models")).toEqual([]);

    // An empty gallery is covered by any space; staff is covered by the one it was enrolled in.
    const empty = await galleries.createGallery(tenantId, 'empty');
    expect(await registry.activate('generated-512', tenantId, empty.id)).toMatchObject({ galleryId: empty.id, servedNow: false, model: { pinnedGalleries: 1, status: 'validated' } });
    expect(await registry.activate('mobilefacenet-128', tenantId, staff.id)).toMatchObject({ galleryId: staff.id, servedNow: true });
    // Now no face follows the global model without an embedding of generated-512's space.
    const activation = await registry.activate('generated-512', tenantId, null);
    expect(activation).toMatchObject({ galleryId: null, servedNow: false, model: { status: 'active' } });
    expect(activation.model.activatedAt).toBeInstanceOf(Date);
    const dlib = await registry.activate('dlib-imported', tenantId, null);
    expect(dlib.model.status).toBe('active');
    expect((await registry.get('generated-512')).status).toBe('validated');
    await registry.activate('generated-512', tenantId, null);
    expect(await queryDatabase(databaseUrl, "SELECT id FROM model_versions WHERE status = 'active'")).toEqual([{ id: 'generated-512' }]);
  });

  it('makes an imported model a model migration target: once the backfill covers a gallery, the gallery can be pinned to it', async () => {
    const [staff] = await queryDatabase<{ id: string }>(databaseUrl, "SELECT id FROM galleries WHERE name = 'staff'");
    const migrations = app.get(ModelMigrationService);
    const migration = await migrations.start({ tenantId, fromModelId: 'mobilefacenet-128', toModelId: 'dlib-imported', galleryId: staff.id });
    while ((await migrations.backfillBatch(migration.id, 'test')) > 0);
    expect(await migrations.finishBackfill(migration.id)).toBe(true);
    expect(await app.get(EmbeddingRepository).forGallery(staff.id, 'dlib-imported')).toHaveLength(1);
    expect(await registry.activate('dlib-imported', tenantId, staff.id)).toMatchObject({ galleryId: staff.id, model: { id: 'dlib-imported', pinnedGalleries: 1 } });
    const other = await app.get(TenantRepository).getByName('other');
    expect(await refusal(registry.activate('dlib-imported', other.id, null))).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('runs the active imported model after a restart: 512-D embeddings, found again by identify', async () => {
    // Enrolled by this process, still running mobilefacenet-128: missing from the new space, and the boot says so.
    const late = await app.get(GalleryService).createGallery(tenantId, 'late');
    await app.get(EnrollmentService).enrollFace({ tenantId, galleryId: late.id, externalId: 'p3', image: await readFile(londonPhoto('neutral_front', 3)) });
    await app.close();
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      await boot();
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^1 faces have no generated-512 embedding/));
    } finally {
      warn.mockRestore();
    }
    expect(await app.get(ModelVersionRepository).uncoveredFaces('generated-512')).toBe(1);
    const analysis = app.get(FaceAnalysisService);
    expect([analysis.embedderId, analysis.dimension]).toEqual(['generated-512', 512]);
    expect((await registry.get('generated-512')).serving).toBe(true);
    const gallery = await app.get(GalleryService).createGallery(tenantId, 'after-switch');
    await app.get(EnrollmentService).enrollFace({ tenantId, galleryId: gallery.id, externalId: 'p2', image: await readFile(londonPhoto('neutral_front', 2)) });
    const stored = await app.get(EmbeddingRepository).forGallery(gallery.id, 'generated-512');
    expect(stored.map((e) => e.vector.length)).toEqual([512]);
    const result = await app.get(SearchService).identify({ tenantId, galleryId: gallery.id, image: await readFile(londonPhoto('neutral_front', 2)), k: 1 });
    expect(result.modelVersion).toBe('generated-512');
    expect(result.faces[0].candidates[0].identity.externalId).toBe('p2');
  });
});
