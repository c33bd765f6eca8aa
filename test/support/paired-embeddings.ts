import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDlibResnetOnnx, faceApiWeightsManifest } from '../../libs/inference/src/convert/dlib-resnet.converter.js';
import { readTfjsWeights } from '../../libs/inference/src/convert/tfjs-weights.js';
import { FacePipeline } from '../../libs/inference/src/face.pipeline.js';
import type { PairedFaces } from '../../libs/training/src/index.js';
import { LondonSet, londonPeople, londonPhoto, MANIFEST_DIR, MODEL_DIR } from './shared-data.js';

const silent = { log: () => undefined, warn: () => undefined };

/**
 * Real faces under both shipped embedders: the neutral and smiling London portraits of the first
 * `people` people, each detected once and embedded by MobileFaceNet (`from`, the new model) and by
 * dlib's ResNet (`to`, the old one; built from node_modules into a temporary folder, as
 * `npm run models:build` does, so the test needs no prior build).
 */
export async function londonPairedFaces(people: number): Promise<PairedFaces> {
  const generatedModelDir = await mkdtemp(join(tmpdir(), 'paired-faces-'));
  const pipelines: FacePipeline[] = [];
  try {
    await writeFile(join(generatedModelDir, 'dlib-resnet-128.onnx'), buildDlibResnetOnnx(await readTfjsWeights(faceApiWeightsManifest())).model);
    for (const embedderId of ['mobilefacenet-128', 'dlib-resnet-128']) {
      pipelines.push(await FacePipeline.create(
        {
          modelDir: MODEL_DIR, generatedModelDir, manifestDir: MANIFEST_DIR, detectorId: 'yunet-n', embedderId,
          session: { executionProviders: ['cpu'], intraOpThreads: 1 }, embedBatchSize: 4,
          detection: { scoreThreshold: 0.6, nmsIou: 0.3, maxSide: 640, minSide: 512 },
          limits: { maxBytes: 15 * 1024 * 1024, maxPixels: 40_000_000 },
        },
        silent,
      ));
    }
    const [newModel, oldModel] = pipelines;
    const identities: string[] = [];
    const from: Float32Array[] = [];
    const to: Float32Array[] = [];
    for (const person of londonPeople().slice(0, people)) {
      for (const set of ['neutral_front', 'smiling_front'] as LondonSet[]) {
        const image = await newModel.decode(await readFile(londonPhoto(set, person)));
        const [face] = await newModel.detect(image);
        identities.push(person);
        from.push((await newModel.embedFaces(image, [face]))[0].embedding);
        to.push((await oldModel.embedFaces(image, [face]))[0].embedding);
      }
    }
    return { identities, from, to };
  } finally {
    await Promise.all(pipelines.map((p) => p.release()));
    await rm(generatedModelDir, { recursive: true, force: true });
  }
}
