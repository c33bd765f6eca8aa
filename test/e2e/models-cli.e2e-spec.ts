import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBuiltScript } from '../support/built-script.js';
import { generatedEmbedder, manifestFor } from '../support/generated-embedders.js';
import { MANIFEST_DIR, MODEL_DIR } from '../support/shared-data.js';
import { createTestDatabase, queryDatabase } from '../support/test-app.js';

/** `npm run cli -- models …` as a person runs it (the build output; `npm test` builds first). */
describe('models CLI (end to end)', () => {
  let dir: string;
  let databaseUrl: string;
  let env: NodeJS.ProcessEnv;
  const models = (...args: string[]) => runBuiltScript('dist/apps/cli/src/main.js', ['models', ...args], env);
  const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
  const state = async () => ({
    rows: await queryDatabase(databaseUrl, 'SELECT id, status FROM model_versions ORDER BY id'),
    files: await readdir(join(dir, 'store')).catch(() => []),
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'models-cli-'));
    const model = generatedEmbedder(512);
    await writeFile(join(dir, 'gen-512.onnx'), model);
    await writeFile(join(dir, 'gen-512.manifest.json'), JSON.stringify(manifestFor(model, 'gen-512', 512)));
    await writeFile(join(dir, 'wrong-dim.manifest.json'), JSON.stringify({ ...manifestFor(model, 'wrong-dim', 128), file: 'gen-512.onnx' }));
    databaseUrl = await createTestDatabase('e2e_models_cli');
    env = {
      PATH: process.env.PATH, DATABASE_URL: databaseUrl, MODEL_DIR, MODEL_MANIFEST_DIR: MANIFEST_DIR, MODEL_STORE_DIR: join(dir, 'store'),
      MODEL_VALIDATION_FACES: '4', ORT_INTRA_OP_THREADS: '1', LOG_LEVEL: 'warn',
    };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('imports an embedder from its manifest (the ONNX file beside it), lists it, refuses a bad one, activates it', async () => {
    const registered = await models('register', '--manifest', join(dir, 'gen-512.manifest.json'));
    expect(registered.code).toBe(0);
    expect(lastJson(registered.stdout)).toMatchObject({
      id: 'gen-512', kind: 'embedder', source: 'imported', status: 'validated', dimension: 512, validationReport: { batchDimension: 'made-dynamic' },
    });

    const before = await state();
    expect(before.files).toHaveLength(1);
    const refused = await models('register', '--manifest', join(dir, 'wrong-dim.manifest.json'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("models: The model outputs 512 values per face; the manifest's output.dimension is 128");
    const missing = await models('register', '--manifest', join(dir, 'gen-512.manifest.json'), '--file', join(dir, 'absent.onnx'));
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('absent.onnx')]);
    expect([(await models('activate')).code, (await models('frobnicate')).code]).toEqual([2, 2]);
    expect(await models('activate', 'nope')).toMatchObject({ code: 2, stderr: expect.stringContaining('Model "nope" not found') });
    expect(await state()).toEqual(before);

    const activated = await models('activate', 'gen-512');
    expect(activated.code).toBe(0);
    expect(activated.stderr).toContain('gen-512 is active');
    // This run boots on the active imported model, read from the model store.
    const listed = await models('list');
    expect(listed.code).toBe(0);
    expect(lastJson(listed.stdout).map((m: { id: string; status: string; dimension: number | null }) => [m.id, m.status, m.dimension])).toEqual([
      ['yunet-n', 'validated', null],
      ['mobilefacenet-128', 'validated', 128],
      ['gen-512', 'active', 512],
    ]);
  });
});
