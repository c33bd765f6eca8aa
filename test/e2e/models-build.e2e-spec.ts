import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FACE_API_WEIGHTS_MANIFEST, faceApiWeightsManifest } from '../../libs/inference/src/convert/dlib-resnet.converter.js';
import { readManifest, readModelFile } from '../../libs/inference/src/index.js';
import { runBuiltScript } from '../support/built-script.js';
import { MANIFEST_DIR, MODEL_DIR } from '../support/shared-data.js';

/**
 * `npm run models:build` as a user runs it (the build output; `npm test` builds first): dlib's
 * ResNet as ONNX from the face-api package in node_modules, into GENERATED_MODEL_DIR, and what the
 * platform says when that file is missing or stale.
 */
const MANIFEST = 'dlib-resnet-128.manifest.json';
const runBuild = (args: string[], env: Record<string, string>) =>
  runBuiltScript('dist/scripts/build-dlib-onnx.js', args, { ...process.env, ...env });

describe('models:build (end to end)', () => {
  let dir: string;
  let generated: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'models-build-'));
    generated = join(dir, 'generated');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes the file the manifest names, byte-identical on a rerun, and the platform loads it', async () => {
    const first = await runBuild([], { GENERATED_MODEL_DIR: generated });
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/dlib-resnet-128: wrote .*dlib-resnet-128\.onnx \(21\.4 MiB, 5614592 parameters; 29 Conv, /);
    expect(first.stderr).toMatch(/dlib-resnet-128: matches .*dlib-resnet-128\.manifest\.json/);
    const bytes = await readFile(join(generated, 'dlib-resnet-128.onnx'));

    expect((await runBuild([], { GENERATED_MODEL_DIR: generated })).code).toBe(0);
    expect(Buffer.compare(await readFile(join(generated, 'dlib-resnet-128.onnx')), bytes)).toBe(0);

    const manifest = await readManifest(MANIFEST_DIR, 'dlib-resnet-128', 'embedder');
    expect((await readModelFile({ modelDir: MODEL_DIR, generatedModelDir: generated }, manifest)).length).toBe(bytes.length);
  });

  it('tells the user to run the build when the file is missing or stale', async () => {
    const manifest = await readManifest(MANIFEST_DIR, 'dlib-resnet-128', 'embedder');
    const elsewhere = join(dir, 'elsewhere');
    await expect(readModelFile({ modelDir: MODEL_DIR, generatedModelDir: elsewhere }, manifest)).rejects.toThrow(
      /^Model file .*elsewhere\/dlib-resnet-128\.onnx \(dlib-resnet-128\) is missing\. It is built from the tfjs weights in the npm package @vladmandic\/face-api .*: run `npm run models:build`/,
    );
    const evaluation = await runBuiltScript('dist/apps/cli/src/eval.js', ['lfw', '--model', 'dlib-resnet-128', '--no-cache'], {
      ...process.env, GENERATED_MODEL_DIR: elsewhere,
    });
    expect(evaluation.code).toBe(2);
    expect(evaluation.stderr).toMatch(/^eval lfw: Model file .*dlib-resnet-128\.onnx \(dlib-resnet-128\) is missing\. .*`npm run models:build`/m);

    await mkdir(elsewhere, { recursive: true });
    await writeFile(join(elsewhere, 'dlib-resnet-128.onnx'), 'not a model');
    await expect(readModelFile({ modelDir: MODEL_DIR, generatedModelDir: elsewhere }, manifest)).rejects.toThrow(
      /has sha256 [0-9a-f]{64}, manifest dlib-resnet-128 expects [0-9a-f]{64}\. Rebuild it: `npm run models:build`\.$/,
    );
  });

  it('fails with one line and exit code 2 when the weights are missing', async () => {
    const result = await runBuild(['--weights', join(dir, 'nowhere')], { GENERATED_MODEL_DIR: generated });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(
      /^models:build: Cannot read the tfjs weights manifest .*nowhere\/face_recognition_model-weights_manifest\.json: ENOENT[^\n]*$/,
    );
  });

  it('refuses other weights than the manifest records until --update-manifest accepts them', async () => {
    const weights = join(dir, 'weights');
    const manifests = join(dir, 'manifests');
    await mkdir(weights);
    await mkdir(manifests);
    await copyFile(faceApiWeightsManifest(), join(weights, FACE_API_WEIGHTS_MANIFEST));
    const bin = await readFile(join(dirname(faceApiWeightsManifest()), 'face_recognition_model.bin'));
    bin[bin.length - 1] ^= 1; // one quantised value of fc
    await writeFile(join(weights, 'face_recognition_model.bin'), bin);
    const original = await readFile(join(MANIFEST_DIR, MANIFEST), 'utf8');
    await writeFile(join(manifests, MANIFEST), original);
    const env = { GENERATED_MODEL_DIR: generated, MODEL_MANIFEST_DIR: manifests };

    const refused = await runBuild(['--weights', weights], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/models:build: the built model's sha256 differs from .*manifests\/dlib-resnet-128\.manifest\.json/);

    const accepted = await runBuild(['--weights', weights, '--update-manifest'], env);
    expect(accepted.code).toBe(0);
    const sha256 = /sha256 ([0-9a-f]{64}) \(weights/.exec(accepted.stderr)![1];
    const { sha256: previous } = JSON.parse(original) as { sha256: string };
    expect(sha256).not.toBe(previous);
    expect(await readFile(join(manifests, MANIFEST), 'utf8')).toBe(original.replace(previous, sha256));
    expect((await runBuild(['--weights', weights], env)).stderr).toMatch(/dlib-resnet-128: matches /);
  });
});
