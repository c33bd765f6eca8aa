import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDlibResnetOnnx, faceApiWeightsManifest } from '../../libs/inference/src/convert/dlib-resnet.converter.js';
import { readTfjsWeights } from '../../libs/inference/src/convert/tfjs-weights.js';
import { readManifest } from '../../libs/inference/src/index.js';
import { GENERATED_MODEL_DIR, MANIFEST_DIR } from './shared-data.js';

/**
 * A GENERATED_MODEL_DIR holding dlib-resnet-128.onnx: the repository's data/models when
 * `npm run models:build` has filled it, else one this test run builds the model into (from the npm
 * package's weights, as models:build does; a few seconds) and later test files reuse.
 */
export async function dlibModelDir(): Promise<string> {
  const manifest = await readManifest(MANIFEST_DIR, 'dlib-resnet-128', 'embedder');
  for (const dir of [GENERATED_MODEL_DIR, join(tmpdir(), `facerec-test-models-${manifest.sha256.slice(0, 12)}`)]) {
    const path = join(dir, manifest.file);
    if (existsSync(path) && createHash('sha256').update(await readFile(path)).digest('hex') === manifest.sha256) return dir;
  }
  const dir = join(tmpdir(), `facerec-test-models-${manifest.sha256.slice(0, 12)}`);
  const { model } = buildDlibResnetOnnx(await readTfjsWeights(faceApiWeightsManifest()));
  await mkdir(dir, { recursive: true });
  const part = join(dir, `${manifest.file}.${process.pid}.part`);
  await writeFile(part, model);
  await rename(part, join(dir, manifest.file));
  return dir;
}
