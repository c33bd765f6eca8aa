import type * as TfjsCore from '@tensorflow/tfjs-core';
import * as faceapi from '@vladmandic/face-api';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { l2NormalizeInPlace } from '../../../common/src/index.js';
import { londonPeople, londonPhoto, MANIFEST_DIR, MODEL_DIR } from '../../../../test/support/shared-data.js';
import { dlibFaceChipTemplate } from '../alignment/dlib-face-chip.js';
import { FacePipeline } from '../face.pipeline.js';
import { RgbImage } from '../image/rgb-image.js';
import { writeNchw } from '../image/tensor.js';
import { EmbedderManifest, readManifest } from '../model.manifest.js';
import {
  buildDlibResnetOnnx, DLIB_RESNET_INPUT, DLIB_RESNET_MEAN_RGB, DLIB_RESNET_OUTPUT, DLIB_RESNET_SIZE, DlibResnetOnnx,
  faceApiWeightsManifest,
} from './dlib-resnet.converter.js';
import { readTfjsWeights, TfjsWeights } from './tfjs-weights.js';

/** London portraits (first neutral-front people), aligned by the platform's pipeline to dlib's chip. */
const FACES = 5;
const silent = { log: () => undefined, warn: () => undefined };
// face-api's tfjs, i.e. tfjs-core with the CPU backend (test/support/tfjs-node-cpu.cjs); its own
// type declarations cover only part of tfjs-core's API.
const tf = faceapi.tf as unknown as typeof TfjsCore;

describe('dlib-resnet-128: ONNX converted from @vladmandic/face-api vs the package itself', () => {
  let weights: TfjsWeights;
  let built: DlibResnetOnnx;
  let manifest: EmbedderManifest;
  let generatedDir: string;
  let pipeline: FacePipeline;
  let crops: RgbImage[];
  /** face-api's descriptors of the crops, computed once (tfjs on the CPU takes seconds a face). */
  let reference: Promise<Float32Array[]> | undefined;
  const referenceDescriptors = () => (reference ??= faceApiDescriptors(crops));

  beforeAll(async () => {
    weights = await readTfjsWeights(faceApiWeightsManifest());
    built = buildDlibResnetOnnx(weights);
    manifest = await readManifest(MANIFEST_DIR, 'dlib-resnet-128', 'embedder');
    generatedDir = await mkdtemp(join(tmpdir(), 'dlib-resnet-'));
    await writeFile(join(generatedDir, manifest.file), built.model);
    pipeline = await FacePipeline.create(
      {
        modelDir: MODEL_DIR, generatedModelDir: generatedDir, manifestDir: MANIFEST_DIR, detectorId: 'yunet-n', embedderId: manifest.id,
        session: { executionProviders: ['cpu'], intraOpThreads: 1 }, embedBatchSize: 4,
        detection: { scoreThreshold: 0.6, nmsIou: 0.3, maxSide: 640, minSide: 512 },
        limits: { maxBytes: 15 * 1024 * 1024, maxPixels: 40_000_000 },
      },
      silent,
    );
    crops = [];
    for (const person of londonPeople().slice(0, FACES)) {
      const { faces } = await pipeline.analyze(await readFile(londonPhoto('neutral_front', person)));
      expect(faces).toHaveLength(1);
      crops.push(faces[0].crop);
    }
  });

  afterAll(async () => {
    await pipeline?.release();
    if (generatedDir) await rm(generatedDir, { recursive: true, force: true });
  });

  it('builds byte-identical files from the same weights, with the sha256 the manifest records', () => {
    const again = buildDlibResnetOnnx(weights).model;
    expect(Buffer.compare(again, built.model)).toBe(0);
    expect(createHash('sha256').update(built.model).digest('hex')).toBe(manifest.sha256);
  });

  it('has a dynamic batch: input [batch, 3, 150, 150] → embedding [batch, 128]', async () => {
    const session = await ort.InferenceSession.create(built.model);
    try {
      const [input] = session.inputMetadata;
      const [output] = session.outputMetadata;
      expect(input.isTensor && [input.name, input.shape]).toEqual([DLIB_RESNET_INPUT, ['batch', 3, 150, 150]]);
      expect(output.isTensor && [output.name, output.shape]).toEqual([DLIB_RESNET_OUTPUT, ['batch', 128]]);
    } finally {
      await session.release();
    }
  });

  it('describes its pre-processing and alignment in the manifest', () => {
    expect(manifest.input).toMatchObject({
      name: DLIB_RESNET_INPUT, width: DLIB_RESNET_SIZE, height: DLIB_RESNET_SIZE, colorOrder: 'RGB', scale: 1, mean: DLIB_RESNET_MEAN_RGB, std: [255, 255, 255],
    });
    expect(manifest.output).toEqual({ name: DLIB_RESNET_OUTPUT, dimension: 128, normalized: false });
    const derived = dlibFaceChipTemplate(DLIB_RESNET_SIZE, 0.25).map((p) => p.map((v) => Math.round(v * 1e4) / 1e4));
    expect(manifest.alignment).toEqual({ width: DLIB_RESNET_SIZE, height: DLIB_RESNET_SIZE, template: derived });
  });

  it('dequantises every tensor to the same float32 bits as tfjs-core', async () => {
    const [group] = JSON.parse(await readFile(faceApiWeightsManifest(), 'utf8')) as TfjsCore.io.WeightsManifestConfig;
    const bin = await readFile(join(dirname(faceApiWeightsManifest()), group.paths[0]));
    const reference = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), group.weights);
    expect([...weights.tensors.keys()]).toEqual(Object.keys(reference));
    for (const [name, tensor] of weights.tensors) {
      const expected = reference[name].dataSync() as Float32Array;
      expect([name, Buffer.compare(Buffer.from(tensor.values.buffer), Buffer.from(expected.buffer))]).toEqual([name, 0]);
    }
    tf.dispose(Object.values(reference));
  });

  it("equals face-api's own forward pass (tfjs-core CPU backend) on real aligned faces, max abs diff < 1e-4", async () => {
    const expected = await referenceDescriptors();

    const { input } = manifest;
    const plane = 3 * input.width * input.height;
    const batch = new Float32Array(crops.length * plane);
    crops.forEach((crop, slot) => writeNchw(crop, input, batch, slot, input.width, input.height));
    const session = await ort.InferenceSession.create(built.model);
    let actual: Float32Array;
    try {
      const outputs = await session.run({ [input.name]: new ort.Tensor('float32', batch, [crops.length, 3, input.height, input.width]) });
      actual = outputs[manifest.output.name].data as Float32Array;
    } finally {
      await session.release();
    }

    let maxAbsDiff = 0;
    let maxAbs = 0;
    expected.forEach((descriptor, face) => {
      descriptor.forEach((v, i) => {
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(actual[face * 128 + i] - v));
        maxAbs = Math.max(maxAbs, Math.abs(v));
      });
    });
    console.log(
      `dlib-resnet-128 ONNX (onnxruntime) vs face-api FaceRecognitionNet (tfjs-core CPU): max abs diff ${maxAbsDiff.toExponential(2)} ` +
        `over ${crops.length} London faces × 128 (largest |value| ${maxAbs.toFixed(3)})`,
    );
    expect(maxAbsDiff).toBeLessThan(1e-4);
  });

  it("gives the pipeline's embeddings: the reference descriptors, flip-augmented as the manifest says, normalised", async () => {
    const mirrored = manifest.flipAugmentation === 'sum';
    const plain = await referenceDescriptors();
    const flipped = mirrored ? await faceApiDescriptors(crops, true) : undefined;
    const embeddings = await pipeline.embedder.embed(crops);
    embeddings.forEach((embedding, face) => {
      const expected = l2NormalizeInPlace(plain[face].map((v, i) => v + (flipped?.[face][i] ?? 0)));
      let maxAbsDiff = 0;
      embedding.forEach((v, i) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - expected[i]))));
      expect(maxAbsDiff).toBeLessThan(1e-4);
    });
  });
});

/** face-api's FaceRecognitionNet, loaded by the package from its own files, on each crop (HWC RGB). */
async function faceApiDescriptors(crops: RgbImage[], mirror = false): Promise<Float32Array[]> {
  await tf.setBackend('cpu');
  const net = new faceapi.FaceRecognitionNet();
  await net.loadFromDisk(dirname(faceApiWeightsManifest()));
  const inputs = crops.map((crop) =>
    tf.tidy(() => {
      const image = tf.tensor3d(Float32Array.from(crop.data), [crop.height, crop.width, 3]);
      return mirror ? tf.reverse(image, 1) : image;
    }),
  );
  try {
    return (await net.computeFaceDescriptor(inputs as unknown as faceapi.TNetInput)) as Float32Array[];
  } finally {
    tf.dispose(inputs);
    net.dispose();
  }
}
