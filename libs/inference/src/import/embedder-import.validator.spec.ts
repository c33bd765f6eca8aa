import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundledManifest, EmbedderFault, generatedEmbedder, manifestFor, sha256Of } from '../../../../test/support/generated-embedders.js';
import { dlibModelDir } from '../../../../test/support/generated-models.js';
import { GENERATED_MODEL_DIR, londonPhoto, MANIFEST_DIR, MODEL_DIR, sharedPath } from '../../../../test/support/shared-data.js';
import { FacePipeline } from '../face.pipeline.js';
import { EmbedderManifest } from '../model.manifest.js';
import { ProbeFace, validateEmbedderImport } from './embedder-import.validator.js';
import { parseEmbedderManifest } from './embedder-manifest.parser.js';
import { ModelImportError, ModelImportFailure } from './model-import.error.js';

const silent = { log: () => undefined, warn: () => undefined };
const options = { session: { executionProviders: ['cpu'], intraOpThreads: 1 }, logger: silent };

/** Six different people's front portraits, detected by YuNet: the faces every import is run on. */
async function londonProbes(): Promise<ProbeFace[]> {
  const pipeline = await FacePipeline.create(
    {
      modelDir: MODEL_DIR, generatedModelDir: GENERATED_MODEL_DIR, manifestDir: MANIFEST_DIR, detectorId: 'yunet-n', embedderId: 'mobilefacenet-128',
      session: options.session, embedBatchSize: 1, detection: { scoreThreshold: 0.6, nmsIou: 0.3, maxSide: 640, minSide: 0 },
      limits: { maxBytes: 15 * 1024 * 1024, maxPixels: 40_000_000 },
    },
    silent,
  );
  try {
    const probes: ProbeFace[] = [];
    for (const person of [1, 2, 3, 4, 5, 6]) {
      const image = await pipeline.decode(await readFile(londonPhoto('neutral_front', person)));
      const [face] = await pipeline.detect(image);
      probes.push({ name: `neutral_front/${person}`, image, landmarks: face.landmarks });
    }
    return probes;
  } finally {
    await pipeline.release();
  }
}

async function refusal(manifest: EmbedderManifest, file: Uint8Array, probes: ProbeFace[]): Promise<ModelImportError> {
  const error = await validateEmbedderImport(manifest, file, probes, options).then(
    () => new Error('the import was accepted'),
    (e: unknown) => e,
  );
  if (!(error instanceof ModelImportError)) throw error;
  return error;
}

describe('validateEmbedderImport on real models and real aligned faces', () => {
  let probes: ProbeFace[];
  let mobilefacenet: Uint8Array;

  beforeAll(async () => {
    probes = await londonProbes();
    mobilefacenet = await readFile(sharedPath(MODEL_DIR, 'mobilefacenet-128.onnx'));
  });

  it('accepts mobilefacenet-128, making its fixed batch of 1 dynamic (inputs, outputs and the final Reshape)', async () => {
    const manifest = bundledManifest('mobilefacenet-128');
    const { model, report } = await validateEmbedderImport(manifest, mobilefacenet, probes, options);
    expect(report).toMatchObject({
      sha256: manifest.sha256,
      batchDimension: 'made-dynamic',
      rewritten: ['input0', 'output0', '/Reshape'],
      input: { name: 'input0', shape: ['batch', 3, 112, 112] },
      output: { name: 'output0', dimension: 128 },
      determinismMaxAbsDiff: 0,
      probeFaces: probes.map((p) => p.name),
    });
    expect(report.batchMaxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(report.storedSha256).toBe(sha256Of(model));
    expect(report.storedSha256).not.toBe(manifest.sha256);
    // Six different people: far apart, as a face embedder puts them.
    expect(report.distinctPhotos.pairs).toBe(15);
    expect(report.distinctPhotos.min).toBeGreaterThan(0.5);
  });

  it('accepts dlib-resnet-128 (built by npm run models:build), already dynamic, stored as given', async () => {
    const manifest = bundledManifest('dlib-resnet-128');
    delete manifest.build;
    const file = await readFile(join(await dlibModelDir(), 'dlib-resnet-128.onnx'));
    const { model, report } = await validateEmbedderImport(manifest, file, probes, options);
    expect(model).toBe(file);
    expect(report).toMatchObject({ batchDimension: 'dynamic', rewritten: [], storedSha256: manifest.sha256, output: { dimension: 128 } });
    expect(report.input.shape).toEqual(['batch', 3, 150, 150]);
    expect(report.batchMaxAbsDiff).toBeLessThanOrEqual(1e-5);
  });

  it('accepts a generated 512-D embedder with a pinned batch, dimension 512', async () => {
    const file = generatedEmbedder(512);
    const { model, report } = await validateEmbedderImport(manifestFor(file, 'generated-512', 512), file, probes, options);
    expect(report).toMatchObject({ batchDimension: 'made-dynamic', rewritten: ['input', 'embedding', 'flatten'], output: { dimension: 512, shape: ['batch', 512] } });
    expect(report.batchMaxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(sha256Of(model)).toBe(report.storedSha256);
  });

  const refusals: Array<[string, ModelImportFailure, () => [EmbedderManifest, Uint8Array]]> = [
    ['an empty file', ModelImportFailure.NOT_ONNX, () => withManifest(new Uint8Array(0))],
    ['random bytes', ModelImportFailure.NOT_ONNX, () => withManifest(Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24 || 0x11))],
    ['a JPEG', ModelImportFailure.NOT_ONNX, () => withManifest(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]))],
    ['the first half of mobilefacenet-128', ModelImportFailure.TRUNCATED, () => withManifest(mobilefacenet.subarray(0, mobilefacenet.length >> 1))],
    ['mobilefacenet-128 cut before its graph', ModelImportFailure.TRUNCATED, () => withManifest(mobilefacenet.subarray(0, 2))],
    ['a file whose sha256 is not the manifest\'s', ModelImportFailure.SHA256_MISMATCH, () => [{ ...bundledManifest('mobilefacenet-128'), sha256: '0'.repeat(64) }, mobilefacenet]],
    ['a manifest claiming 512 dimensions for a 128-D model', ModelImportFailure.OUTPUT_DIMENSION, () => {
      const manifest = bundledManifest('mobilefacenet-128');
      return [{ ...manifest, output: { ...manifest.output, dimension: 512 } }, mobilefacenet];
    }],
    ['a manifest with a 96×96 input for a 112×112 model', ModelImportFailure.INPUT_MISMATCH, () => {
      const manifest = bundledManifest('mobilefacenet-128');
      const template = manifest.alignment.template.map(([x, y]) => [(x * 96) / 112, (y * 96) / 112] as [number, number]);
      return [{ ...manifest, input: { ...manifest.input, width: 96, height: 96 }, alignment: { width: 96, height: 96, template } }, mobilefacenet];
    }],
    ['a manifest naming another input', ModelImportFailure.INPUT_MISMATCH, () => {
      const manifest = bundledManifest('mobilefacenet-128');
      return [{ ...manifest, input: { ...manifest.input, name: 'data' } }, mobilefacenet];
    }],
    ['a manifest naming another output', ModelImportFailure.OUTPUT_MISMATCH, () => {
      const manifest = bundledManifest('mobilefacenet-128');
      return [{ ...manifest, output: { ...manifest.output, name: 'fc1' } }, mobilefacenet];
    }],
    ...(
      [
        ['an operator onnxruntime does not know', ModelImportFailure.LOAD_FAILED, 'unknown-op'],
        ['NaN in its output', ModelImportFailure.NON_FINITE, 'nan'],
        ['a random term (RandomUniformLike)', ModelImportFailure.NON_DETERMINISTIC, 'random'],
        ['faces of a batch mixed (minus the batch mean)', ModelImportFailure.BATCH_INCONSISTENT, 'batch-mixing'],
        ['the same output for every face', ModelImportFailure.DEGENERATE_OUTPUT, 'constant'],
      ] as Array<[string, ModelImportFailure, EmbedderFault]>
    ).map(([what, failure, fault]): [string, ModelImportFailure, () => [EmbedderManifest, Uint8Array]] => [
      `a 512-D model with ${what}`, failure, () => {
        const file = generatedEmbedder(512, fault);
        return [manifestFor(file, `faulty-${fault}`, 512), file];
      },
    ]),
  ];

  /** The file with a manifest that matches its sha256, so the check under test is the one that refuses it. */
  const withManifest = (file: Uint8Array): [EmbedderManifest, Uint8Array] => [{ ...bundledManifest('mobilefacenet-128'), sha256: sha256Of(file) }, file];

  it.each(refusals)('refuses %s with %s and a message', async (_, failure, build) => {
    const [manifest, file] = build();
    const error = await refusal(manifest, file, probes);
    expect(error.failure).toBe(failure);
    expect(error.message.length).toBeGreaterThan(20);
  });

  it('reports the dimensions of a wrong output dimension', async () => {
    const manifest = bundledManifest('mobilefacenet-128');
    const error = await refusal({ ...manifest, output: { ...manifest.output, dimension: 512 } }, mobilefacenet, probes);
    expect(error.details).toEqual({ expected: 512, actual: 128 });
    expect(error.message).toBe("The model outputs 128 values per face; the manifest's output.dimension is 512");
  });
});

describe('parseEmbedderManifest', () => {
  it('accepts the bundled embedder manifests without their build entry, keeping only the fields the platform reads', () => {
    for (const id of ['mobilefacenet-128', 'dlib-resnet-128']) {
      const { build, ...manifest } = bundledManifest(id);
      expect(build === undefined).toBe(id === 'mobilefacenet-128');
      expect(parseEmbedderManifest({ ...manifest, comment: 'ignored' })).toEqual(manifest);
    }
  });

  it('lists every problem at once with MANIFEST', () => {
    const manifest = bundledManifest('mobilefacenet-128');
    let error: unknown;
    try {
      parseEmbedderManifest({ ...manifest, id: 'Bad Id', kind: 'detector', sha256: 'abc', output: { name: 'o', dimension: 0 }, threshold: { squaredDistance: 5, source: 'x' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelImportError);
    const { failure, details } = error as ModelImportError;
    expect(failure).toBe(ModelImportFailure.MANIFEST);
    expect(details.problems).toEqual([
      'id must be 1–100 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
      'kind must be "embedder" (got "detector"): only embedders can be imported',
      'sha256 must be 64 lower-case hex digits (the sha256 of the ONNX file)',
      'threshold.squaredDistance must be in (0, 4]: a squared L2 distance between unit vectors',
      'output.dimension must be an integer from 1 to 8192',
    ]);
  });

  it('refuses what is not an object', () => {
    expect(() => parseEmbedderManifest('{"id": "x"}')).toThrow(ModelImportError);
    expect(() => parseEmbedderManifest(null)).toThrow('manifest must be an object');
  });
});
