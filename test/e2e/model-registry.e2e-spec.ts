import { copyFile, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { ApiKeyService } from '../../libs/access/src/index.js';
import { startApiServer } from '../support/api-server.js';
import { bundledManifest, generatedEmbedder, manifestFor } from '../support/generated-embedders.js';
import { errorCode, GraphqlClient, GraphqlResponse } from '../support/graphql-client.js';
import { londonPhoto, MODEL_DIR, sharedPath } from '../support/shared-data.js';
import { createTestDatabase, queryDatabase, testConfig } from '../support/test-app.js';

const MODEL_FIELDS = 'id kind dimension source status serving sha256 storedSha256 pinnedGalleries validationReport threshold { squaredDistance far falseAcceptRates { far squaredDistance tar } }';
const REGISTER = `mutation($input: ModelRegisterInput!) { registerModel(input: $input) { ${MODEL_FIELDS} } }`;
const MODELS = `{ models { ${MODEL_FIELDS} } }`;
const MODEL = `query($id: ID!) { model(id: $id) { id status dimension } }`;
const ACTIVATE = 'mutation($input: ModelActivateInput!) { setActiveModel(input: $input) { galleryId servedNow model { id status pinnedGalleries } } }';
const MAX_UPLOAD_BYTES = 2 * 1024 * 1024;

/**
 * The model registry over GraphQL with API keys required: an admin imports an embedder by upload
 * or by a path in MODEL_IMPORT_DIR, lists it and makes it active where its embeddings cover the
 * faces; other roles are FORBIDDEN; refused imports store no row and no file.
 */
describe('model registry over GraphQL (end to end)', () => {
  let app: INestApplication;
  let databaseUrl: string;
  let storeDir: string;
  let importDir: string;
  const clients: Record<'admin' | 'operator' | 'reader' | 'platform', GraphqlClient> = {} as never;
  const generated = generatedEmbedder(512);
  const manifest = manifestFor(generated, 'arcface-like-512', 512);

  const register = (client: GraphqlClient, input: Record<string, unknown>, file?: Uint8Array) =>
    file ? client.upload(REGISTER, { input }, [{ variablePath: 'input.file', bytes: file, filename: 'model.onnx' }]) : client.request(REGISTER, { input });
  const state = async () => ({
    models: (await queryDatabase<{ id: string }>(databaseUrl, 'SELECT id FROM model_versions ORDER BY id')).map((r) => r.id),
    pins: await queryDatabase(databaseUrl, 'SELECT * FROM gallery_models'),
    active: await queryDatabase(databaseUrl, "SELECT id FROM model_versions WHERE status = 'active'"),
    files: await readdir(storeDir).catch(() => []),
  });
  /** Refused with `code` (and `reason`), changing no model row, pin or stored file. */
  const expectRefused = async (code: string, reason: string | undefined, send: () => Promise<GraphqlResponse>) => {
    const before = await state();
    const response = await send();
    expect({ code: errorCode(response), reason: (response.errors?.[0]?.extensions?.details as { reason?: string })?.reason }).toEqual({ code, reason });
    expect(response.errors![0].message.length).toBeGreaterThan(10);
    expect(await state()).toEqual(before);
  };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('registry_e2e');
    storeDir = join(await mkdtemp(join(tmpdir(), 'model-store-')), 'store');
    importDir = await mkdtemp(join(tmpdir(), 'model-imports-'));
    const config = testConfig(databaseUrl, {
      AUTH_MODE: 'required', MODEL_STORE_DIR: storeDir, MODEL_IMPORT_DIR: importDir, MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), MODEL_VALIDATION_FACES: '4',
    });
    let api: GraphqlClient;
    ({ app, api } = await startApiServer(config));
    for (const role of ['admin', 'operator', 'reader'] as const) {
      clients[role] = api.withKey((await app.get(ApiKeyService).createKey({ tenant: 'acme', role, name: role })).key);
    }
    clients.platform = api.withKey((await app.get(ApiKeyService).createKey({ tenant: 'default', role: 'admin', name: 'platform admin' })).key);
  });

  afterAll(() => app?.close());

  it('an admin imports a 512-D embedder by multipart upload; it is listed with its report and thresholds', async () => {
    const response = await register(clients.admin, { manifest }, generated);
    expect(response.errors).toBeUndefined();
    expect(response.data!.registerModel).toMatchObject({
      id: 'arcface-like-512', kind: 'embedder', dimension: 512, source: 'imported', status: 'validated', serving: false, sha256: manifest.sha256,
      pinnedGalleries: 0,
      threshold: {
        squaredDistance: manifest.threshold.squaredDistance, far: manifest.threshold.far,
        falseAcceptRates: Object.entries(manifest.threshold.falseAcceptRates!).map(([far, rate]) => ({ far: Number(far), ...rate })).reverse(),
      },
      validationReport: { batchDimension: 'made-dynamic', output: { dimension: 512 }, probeFaces: expect.any(Array) },
    });
    expect(await readdir(storeDir)).toHaveLength(1);

    const models = (await clients.admin.request(MODELS)).data!.models as Array<{ id: string; status: string; serving: boolean; dimension: number | null }>;
    expect(models.map(({ id, status, serving, dimension }) => ({ id, status, serving, dimension }))).toEqual([
      { id: 'yunet-n', status: 'validated', serving: true, dimension: null },
      { id: 'mobilefacenet-128', status: 'validated', serving: true, dimension: 128 },
      { id: 'arcface-like-512', status: 'validated', serving: false, dimension: 512 },
    ]);
    expect((await clients.admin.request(MODEL, { id: 'arcface-like-512' })).data!.model).toEqual({ id: 'arcface-like-512', status: 'validated', dimension: 512 });
    expect(errorCode(await clients.admin.request(MODEL, { id: 'missing' }))).toBe('NOT_FOUND');
    const [entry] = await queryDatabase<{ outcome: string; details: unknown }>(databaseUrl, "SELECT outcome, details FROM audit_log WHERE action = 'registerModel'");
    expect(entry).toEqual({ outcome: 'ok', details: { modelId: 'arcface-like-512' } });
  });

  it('imports a model larger than MAX_UPLOAD_BYTES from MODEL_IMPORT_DIR by path', async () => {
    await copyFile(sharedPath(MODEL_DIR, 'mobilefacenet-128.onnx'), join(importDir, 'mfn.onnx'));
    const response = await register(clients.admin, { manifest: { ...bundledManifest('mobilefacenet-128'), id: 'mfn-copy' }, path: 'mfn.onnx' });
    expect(response.errors).toBeUndefined();
    expect(response.data!.registerModel).toMatchObject({ id: 'mfn-copy', dimension: 128, validationReport: { batchDimension: 'made-dynamic' } });
  });

  it('refuses readers and operators with FORBIDDEN', async () => {
    for (const role of ['reader', 'operator'] as const) {
      await expectRefused('FORBIDDEN', undefined, () => register(clients[role], { manifest: { ...manifest, id: `by-${role}` } }, generated));
      await expectRefused('FORBIDDEN', undefined, () => clients[role].request(MODELS));
      await expectRefused('FORBIDDEN', undefined, () => clients[role].request(ACTIVATE, { input: { modelId: 'arcface-like-512' } }));
    }
    await expectRefused('UNAUTHENTICATED', undefined, () => register(new GraphqlClient(clients.admin.baseUrl), { manifest }, generated));
  });

  it('refuses bad uploads with MODEL_INVALID and its reason, storing no row and no file', async () => {
    const mobilefacenet = await readFile(sharedPath(MODEL_DIR, 'mobilefacenet-128.onnx'));
    const random = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7919) % 253);
    const truncated = generated.subarray(0, generated.length - 1000);
    const cases: Array<[string, string | undefined, () => Promise<GraphqlResponse>]> = [
      ['MODEL_INVALID', 'NOT_ONNX', () => register(clients.admin, { manifest: { ...manifest, id: 'random' } }, random)],
      ['MODEL_INVALID', 'SHA256_MISMATCH', () => register(clients.admin, { manifest: { ...manifest, id: 'other-sha', sha256: 'b'.repeat(64) } }, generated)],
      ['MODEL_INVALID', 'TRUNCATED', () => register(clients.admin, { manifest: manifestFor(truncated, 'truncated', 512) }, truncated)],
      ['MODEL_INVALID', 'OUTPUT_DIMENSION', () => register(clients.admin, { manifest: { ...manifest, id: 'wrong-dim', output: { ...manifest.output, dimension: 128 } } }, generated)],
      ['MODEL_INVALID', 'NON_DETERMINISTIC', () => {
        const noisy = generatedEmbedder(512, 'random');
        return register(clients.admin, { manifest: manifestFor(noisy, 'noisy', 512) }, noisy);
      }],
      ['MODEL_INVALID', 'MANIFEST', () => register(clients.admin, { manifest: { ...manifest, id: 'no-threshold', threshold: undefined } }, generated)],
      ['MODEL_INVALID', 'TOO_LARGE', () => register(clients.admin, { manifest: { ...bundledManifest('mobilefacenet-128'), id: 'too-large' } }, mobilefacenet)],
      ['MODEL_INVALID', 'UNREADABLE', () => register(clients.admin, { manifest: { ...manifest, id: 'nowhere' }, path: 'nowhere.onnx' })],
      ['VALIDATION', undefined, () => register(clients.admin, { manifest: { ...manifest, id: 'escape' }, path: '../../etc/passwd' })],
      ['VALIDATION', undefined, () => register(clients.admin, { manifest: { ...manifest, id: 'neither' } })],
      ['VALIDATION', undefined, () => register(clients.admin, { manifest: { ...manifest, id: 'both' }, path: 'mfn.onnx' }, generated)],
      ['VALIDATION', undefined, () => clients.admin.request('mutation { registerModel(input: { manifest: "not an object", path: "x" }) { id } }')],
      ['ALREADY_EXISTS', undefined, () => register(clients.admin, { manifest }, generated)],
      ['ALREADY_EXISTS', undefined, () => register(clients.admin, { manifest: bundledManifest('mobilefacenet-128') }, mobilefacenet.subarray(0, 100))],
    ];
    for (const [code, reason, send] of cases) await expectRefused(code, reason, send);
  });

  it('refuses setActiveModel with MODEL_NOT_READY while the faces it would serve have no embedding in its space', async () => {
    const operator = clients.operator;
    const galleryId = (await operator.request('mutation { createGallery(input: { name: "staff" }) { id } }')).data!.createGallery.id;
    const imageBase64 = (await readFile(londonPhoto('neutral_front', 1))).toString('base64');
    const enrolled = await operator.request('mutation($input: FaceEnrollInput!) { enrollFace(input: $input) { faces { id } } }', { input: { galleryId, externalId: 'p1', imageBase64 } });
    expect(enrolled.errors).toBeUndefined();

    await expectRefused('FORBIDDEN', undefined, () => clients.admin.request(ACTIVATE, { input: { modelId: 'arcface-like-512' } }));
    await expectRefused('MODEL_NOT_READY', undefined, () => clients.platform.request(ACTIVATE, { input: { modelId: 'arcface-like-512' } }));
    const refused = await clients.admin.request(ACTIVATE, { input: { modelId: 'arcface-like-512', galleryId } });
    expect(refused.errors![0].extensions).toEqual({ code: 'MODEL_NOT_READY', details: { modelId: 'arcface-like-512', galleryId, faces: 1, missingFaces: 1 } });
    await expectRefused('NOT_FOUND', undefined, () => clients.platform.request(ACTIVATE, { input: { modelId: 'missing' } }));

    const emptyId = (await operator.request('mutation { createGallery(input: { name: "empty" }) { id } }')).data!.createGallery.id;
    const pinned = await clients.admin.request(ACTIVATE, { input: { modelId: 'arcface-like-512', galleryId: emptyId } });
    expect(pinned.data!.setActiveModel).toEqual({ galleryId: emptyId, servedNow: false, model: { id: 'arcface-like-512', status: 'validated', pinnedGalleries: 1 } });
  });
});
