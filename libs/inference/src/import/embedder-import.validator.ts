import { createHash } from 'node:crypto';
import { l2NormalizeInPlace } from '../../../common/src/index.js';
import { alignFace } from '../alignment/similarity-transform.js';
import { Point } from '../detection/detected-face.js';
import { RgbImage } from '../image/rgb-image.js';
import { writeNchw } from '../image/tensor.js';
import { EmbedderManifest } from '../model.manifest.js';
import { makeBatchDimensionDynamic } from '../onnx/onnx-batch-dimension.js';
import { MODEL_GRAPH, MODEL_IR_VERSION } from '../onnx/onnx-proto.fields.js';
import { WIRE_LEN, WIRE_VARINT, wireFields } from '../onnx/protobuf-wire.js';
import { createOnnxSession, EngineLogger, ort, OnnxSessionOptions } from '../onnx/onnx-session.factory.js';
import { ModelImportError, ModelImportFailure } from './model-import.error.js';

/** A face on a real photo, as the detector found it: aligned here with the imported model's own template. */
export interface ProbeFace {
  name: string;
  image: RgbImage;
  landmarks: Point[];
}

export interface EmbedderImportReport {
  /** sha256 of the file as given (the manifest's), and of the file as stored (after the batch rewrite). */
  sha256: string;
  storedSha256: string;
  fileBytes: number;
  input: { name: string; shape: Array<number | string> };
  output: { name: string; shape: Array<number | string>; dimension: number };
  /** `dynamic`: as given; `made-dynamic`: rewritten from 1 (see `rewritten`); `fixed`: one face per run. */
  batchDimension: 'dynamic' | 'made-dynamic' | 'fixed';
  rewritten: string[];
  executionProvider: string;
  probeFaces: string[];
  /** Largest difference between two runs of the same faces (must be 0). */
  determinismMaxAbsDiff: number;
  /** Largest difference between a batch and single runs, unit embeddings (null when the batch is fixed). */
  batchMaxAbsDiff: number | null;
  /** Squared distances between unit embeddings of different photos. */
  distinctPhotos: { pairs: number; min: number; mean: number };
  durationMs: number;
}

export interface ValidatedEmbedder {
  /** The bytes to store and run: the file itself, or its rewrite with a dynamic batch dimension. */
  model: Uint8Array;
  report: EmbedderImportReport;
}

/** Unit embeddings of a batch may differ from single runs by float rounding only. */
export const BATCH_TOLERANCE = 1e-5;
/**
 * Different photos closer than this (squared L2 between unit vectors, range [0, 4]) count as the
 * same output. Real embedders put different people around 1–2 and even the same person's two
 * photos above 0.1; a graph that ignores its input gives 0.
 */
export const MIN_DISTINCT_SQUARED_DISTANCE = 1e-3;
/** Exporters write ir_version first, and it is small (ONNX 1.16 writes 10): a larger first varint is not an ONNX header. */
const MAX_IR_VERSION = 64;

/**
 * Validates an ONNX embedder against its manifest before the registry keeps it: the bytes are an
 * ONNX model and complete, their sha256 is the manifest's, onnxruntime loads them, the input and
 * output are the manifest's, and on real aligned faces the output has the manifest's dimension,
 * is finite, deterministic, the same batched as one by one, and differs between faces. A fixed
 * batch of 1 is made dynamic (the stored bytes are the rewrite). Throws ModelImportError.
 */
export async function validateEmbedderImport(
  manifest: EmbedderManifest,
  file: Uint8Array,
  probes: ProbeFace[],
  options: { session: OnnxSessionOptions; logger: EngineLogger },
): Promise<ValidatedEmbedder> {
  if (probes.length < 2) throw new Error('Model validation needs at least 2 probe faces');
  const started = performance.now();
  checkOnnxStructure(file);
  const sha256 = sha256Hex(file);
  if (sha256 !== manifest.sha256) {
    throw new ModelImportError(ModelImportFailure.SHA256_MISMATCH, `The file's sha256 is ${sha256}; the manifest expects ${manifest.sha256}`, {
      expected: manifest.sha256, actual: sha256,
    });
  }
  const rewrite = makeBatchDimensionDynamic(file);
  let loaded;
  try {
    loaded = await createOnnxSession(rewrite.model, `import ${manifest.id}`, options.session, options.logger);
  } catch (error) {
    throw new ModelImportError(ModelImportFailure.LOAD_FAILED, `onnxruntime cannot load the model: ${(error as Error).message}`);
  }
  const { session, executionProvider } = loaded;
  try {
    const signature = checkSignature(session, manifest);
    const batchable = typeof signature.input.shape[0] === 'string' && rewrite.batchSpecificReshapes.length === 0;
    const { template, width, height } = manifest.alignment;
    const crops = probes.map((probe) => alignFace(probe.image, probe.landmarks, template, width, height));

    const runner = new ProbeRunner(session, manifest);
    const first = await runner.singles(crops);
    const second = await runner.singles(crops);
    const determinismMaxAbsDiff = maxAbsDiff(first, second);
    if (determinismMaxAbsDiff !== 0) {
      throw new ModelImportError(ModelImportFailure.NON_DETERMINISTIC, `The same face run twice gave different outputs (largest difference ${determinismMaxAbsDiff})`, {
        maxAbsDiff: determinismMaxAbsDiff,
      });
    }
    const singles = first.map((raw) => l2NormalizeInPlace(Float32Array.from(raw)));
    let batchMaxAbsDiff: number | null = null;
    if (batchable) {
      const batched = (await runner.batch(crops)).map((raw) => l2NormalizeInPlace(raw));
      batchMaxAbsDiff = maxAbsDiff(batched, singles);
      if (!(batchMaxAbsDiff <= BATCH_TOLERANCE)) {
        throw new ModelImportError(
          ModelImportFailure.BATCH_INCONSISTENT,
          `A batch of ${crops.length} faces differs from single runs by ${batchMaxAbsDiff} (tolerance ${BATCH_TOLERANCE}): the graph mixes faces of a batch`,
          { batchSize: crops.length, maxAbsDiff: batchMaxAbsDiff, tolerance: BATCH_TOLERANCE },
        );
      }
    }
    const distinctPhotos = checkDistinct(singles, probes);
    const model = rewrite.model;
    return {
      model,
      report: {
        sha256,
        storedSha256: model === file ? sha256 : sha256Hex(model),
        fileBytes: file.length,
        ...signature,
        batchDimension: !batchable ? 'fixed' : rewrite.rewrittenTensors.length ? 'made-dynamic' : 'dynamic',
        rewritten: [...rewrite.rewrittenTensors, ...rewrite.rewrittenReshapes],
        executionProvider,
        probeFaces: probes.map((p) => p.name),
        determinismMaxAbsDiff,
        batchMaxAbsDiff,
        distinctPhotos,
        durationMs: Math.round(performance.now() - started),
      },
    };
  } finally {
    await session.release();
  }
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * NOT_ONNX unless the bytes start as every exporter writes a ModelProto (ir_version, a small varint,
 * first) and parse as protobuf to the end; TRUNCATED when they start so but a field runs past the
 * end, or the graph never comes.
 */
function checkOnnxStructure(file: Uint8Array): void {
  const notOnnx = (why: string) => new ModelImportError(ModelImportFailure.NOT_ONNX, `The file is not an ONNX model: ${why}`, { bytes: file.length });
  const truncated = (why: string) => new ModelImportError(ModelImportFailure.TRUNCATED, `The ONNX file is truncated: ${why}`, { bytes: file.length });
  if (file.length === 0) throw notOnnx('it is empty');
  let sawGraph = false;
  let index = 0;
  try {
    for (const f of wireFields(file)) {
      if (index++ === 0 && !(f.field === MODEL_IR_VERSION && f.wireType === WIRE_VARINT && file[f.valueStart] > 0 && file[f.valueStart] <= MAX_IR_VERSION)) {
        throw notOnnx('it does not start with an ONNX ir_version');
      }
      if (f.field === MODEL_GRAPH && f.wireType === WIRE_LEN) sawGraph = true;
    }
  } catch (error) {
    if (error instanceof ModelImportError) throw error;
    const message = (error as Error).message;
    if (index > 0 && /truncated/.test(message)) throw truncated(`${message} of ${file.length}`);
    throw notOnnx(message);
  }
  if (!sawGraph) throw truncated(`no graph in its ${file.length} bytes`);
}

type Shape = Array<number | string>;

/** Symbolic dims (names, or -1 from some exporters) become strings, so "dynamic" is one test. */
function shapeOf(metadata: ort.InferenceSession.ValueMetadata): Shape | null {
  if (!metadata.isTensor) return null;
  return metadata.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : String(d)));
}

function checkSignature(session: ort.InferenceSession, manifest: EmbedderManifest): Pick<EmbedderImportReport, 'input' | 'output'> {
  const { input, output } = manifest;
  const inputMismatch = (why: string, details: Record<string, unknown>) =>
    new ModelImportError(ModelImportFailure.INPUT_MISMATCH, `The model's input does not match the manifest: ${why}`, details);
  if (session.inputNames.length !== 1 || session.inputNames[0] !== input.name) {
    throw inputMismatch(`the graph takes ${JSON.stringify(session.inputNames)}, the manifest one input ${JSON.stringify(input.name)}`, {
      expected: input.name, inputs: session.inputNames,
    });
  }
  const inputMetadata = session.inputMetadata[0];
  const inputShape = shapeOf(inputMetadata);
  const expectedShape = ['batch', 3, input.height, input.width];
  const fits = inputShape?.length === 4 && inputShape.every((d, i) => typeof d === 'string' || (i > 0 && d === expectedShape[i]));
  if (!inputShape || !fits || (inputMetadata.isTensor && inputMetadata.type !== 'float32')) {
    throw inputMismatch(
      `${input.name} is ${inputMetadata.isTensor ? `${inputMetadata.type} [${inputShape}]` : 'not a tensor'}; the manifest needs float32 [batch, 3, ${input.height}, ${input.width}]`,
      { expectedShape, actualShape: inputShape, type: inputMetadata.isTensor ? inputMetadata.type : null },
    );
  }
  const outputIndex = session.outputNames.indexOf(output.name);
  if (outputIndex < 0) {
    throw new ModelImportError(ModelImportFailure.OUTPUT_MISMATCH, `The graph has no output ${JSON.stringify(output.name)}; its outputs are ${JSON.stringify(session.outputNames)}`, {
      expected: output.name, outputs: session.outputNames,
    });
  }
  const outputShape = shapeOf(session.outputMetadata[outputIndex]) ?? [];
  const perFace = outputShape.slice(1);
  if (perFace.length > 0 && perFace.every((d) => typeof d === 'number')) {
    const declared = (perFace as number[]).reduce((a, b) => a * b, 1);
    if (declared !== output.dimension) throw dimensionMismatch(manifest, declared);
  }
  return { input: { name: input.name, shape: inputShape }, output: { name: output.name, shape: outputShape, dimension: output.dimension } };
}

const dimensionMismatch = (manifest: EmbedderManifest, actual: number) =>
  new ModelImportError(
    ModelImportFailure.OUTPUT_DIMENSION,
    `The model outputs ${actual} values per face; the manifest's output.dimension is ${manifest.output.dimension}`,
    { expected: manifest.output.dimension, actual },
  );

/** Runs aligned crops through the session, checking each output's size and finiteness. */
class ProbeRunner {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly manifest: EmbedderManifest,
  ) {}

  async singles(crops: RgbImage[]): Promise<Float32Array[]> {
    const outputs: Float32Array[] = [];
    for (const crop of crops) outputs.push(...(await this.batch([crop])));
    return outputs;
  }

  async batch(crops: RgbImage[]): Promise<Float32Array[]> {
    const { input, output } = this.manifest;
    const plane = 3 * input.width * input.height;
    const tensor = new Float32Array(crops.length * plane);
    crops.forEach((crop, slot) => writeNchw(crop, input, tensor, slot, input.width, input.height));
    const result = await this.session.run({ [input.name]: new ort.Tensor('float32', tensor, [crops.length, 3, input.height, input.width]) });
    const data = result[output.name].data;
    if (!(data instanceof Float32Array)) {
      throw new ModelImportError(ModelImportFailure.OUTPUT_MISMATCH, `Output ${output.name} is ${result[output.name].type}, not float32`, { type: result[output.name].type });
    }
    if (data.length !== crops.length * output.dimension) throw dimensionMismatch(this.manifest, data.length / crops.length);
    const nonFinite = data.reduce((count, v) => (Number.isFinite(v) ? count : count + 1), 0);
    if (nonFinite > 0) {
      throw new ModelImportError(ModelImportFailure.NON_FINITE, `The model output ${nonFinite} non-finite values (NaN or Infinity) for ${crops.length} real face(s)`, {
        nonFinite, values: data.length,
      });
    }
    return crops.map((_, i) => data.slice(i * output.dimension, (i + 1) * output.dimension));
  }
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let max = 0;
  a.forEach((vector, f) => vector.forEach((v, i) => (max = Math.max(max, Math.abs(v - b[f][i])))));
  return max;
}

function checkDistinct(embeddings: Float32Array[], probes: ProbeFace[]): EmbedderImportReport['distinctPhotos'] {
  let min = Infinity;
  let sum = 0;
  let pairs = 0;
  let closest: [string, string] = ['', ''];
  for (let a = 0; a < embeddings.length; a++) {
    for (let b = a + 1; b < embeddings.length; b++) {
      let d = 0;
      for (let i = 0; i < embeddings[a].length; i++) d += (embeddings[a][i] - embeddings[b][i]) ** 2;
      if (d < min) [min, closest] = [d, [probes[a].name, probes[b].name]];
      sum += d;
      pairs++;
    }
  }
  if (!(min >= MIN_DISTINCT_SQUARED_DISTANCE)) {
    throw new ModelImportError(
      ModelImportFailure.DEGENERATE_OUTPUT,
      `Different faces give the same embedding (${closest.join(' and ')}: squared distance ${min}, at least ${MIN_DISTINCT_SQUARED_DISTANCE} expected)`,
      { photos: closest, squaredDistance: min, minimum: MIN_DISTINCT_SQUARED_DISTANCE },
    );
  }
  return { pairs, min, mean: sum / pairs };
}
