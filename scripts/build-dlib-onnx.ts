// Builds dlib-resnet-128.onnx (dlib's ResNet face recogniser) from the tfjs weights inside the npm
// package @vladmandic/face-api, a dev dependency: offline, from node_modules alone. Writes it to
// GENERATED_MODEL_DIR (default ./data/models) and checks its sha256 against the manifest.
//
//   npm run models:build [-- --weights DIR] [--update-manifest]
//
// --weights DIR: the folder holding face_recognition_model-weights_manifest.json and its .bin
// (default: the installed package's model/). --update-manifest: record the built file's sha256 in
// models/dlib-resnet-128.manifest.json instead of failing when it differs (the weights changed).
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../libs/config/src/index.js';
import { buildDlibResnetOnnx, FACE_API_WEIGHTS_MANIFEST, faceApiWeightsManifest } from '../libs/inference/src/convert/dlib-resnet.converter.js';
import { readTfjsWeights, TfjsWeightsError } from '../libs/inference/src/convert/tfjs-weights.js';
import { ModelFileError, readManifest } from '../libs/inference/src/index.js';

const MODEL_ID = 'dlib-resnet-128';

class BuildError extends Error {}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { weights: { type: 'string' }, 'update-manifest': { type: 'boolean' } } });
  const weightsManifest = values.weights ? join(values.weights, FACE_API_WEIGHTS_MANIFEST) : faceApiWeightsManifest();
  const config = loadConfig();
  const manifestPath = join(config.models.manifestDir, `${MODEL_ID}.manifest.json`);
  const manifest = await readManifest(config.models.manifestDir, MODEL_ID, 'embedder');

  const started = performance.now();
  const weights = await readTfjsWeights(weightsManifest);
  const { model, ops, parameters } = buildDlibResnetOnnx(weights);
  const sha256 = createHash('sha256').update(model).digest('hex');

  const out = join(config.models.generatedDir, manifest.file);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(`${out}.part`, model);
  await rename(`${out}.part`, out);
  const opList = Object.entries(ops).map(([op, n]) => `${n} ${op}`).join(', ');
  console.error(
    `${MODEL_ID}: wrote ${out} (${(model.length / 2 ** 20).toFixed(1)} MiB, ${parameters} parameters; ${opList}) ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)} s\n  sha256 ${sha256} (weights sha256 ${weights.sha256})`,
  );

  if (sha256 === manifest.sha256) {
    console.error(`${MODEL_ID}: matches ${manifestPath}`);
  } else if (values['update-manifest']) {
    const text = await readFile(manifestPath, 'utf8');
    await writeFile(manifestPath, text.replace(/("sha256"\s*:\s*")[0-9a-f]{64}"/, `$1${sha256}"`));
    console.error(`${MODEL_ID}: sha256 recorded in ${manifestPath} (was ${manifest.sha256})`);
  } else {
    throw new BuildError(
      `the built model's sha256 differs from ${manifestPath} (${manifest.sha256}): other weights than the manifest was made for. ` +
        'The platform will refuse the file; after checking the equivalence test, accept it with --update-manifest.',
    );
  }
}

main().catch((error: unknown) => {
  const known = error instanceof BuildError || error instanceof TfjsWeightsError || error instanceof ModelFileError ||
    String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
  console.error(known ? `models:build: ${(error as Error).message}` : error);
  process.exit(known ? 2 : 1);
});
