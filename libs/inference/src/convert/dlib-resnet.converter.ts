// Builds an ONNX graph of dlib's ResNet face recogniser (dlib_face_recognition_resnet_model_v1)
// from the tfjs weights that @vladmandic/face-api ships, mirroring that package's
// FaceRecognitionNet (src/faceRecognitionNet/*.ts) op for op, so the converted model can be checked
// against the package's own forward pass. face-api works in NHWC; the graph is NCHW, as onnxruntime
// and the rest of the platform expect.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { encodeOnnxModel, OnnxAttribute, OnnxNode, OnnxTensor } from '../onnx/onnx-model.encoder.js';
import { DecodedTensor, TfjsWeights, TfjsWeightsError } from './tfjs-weights.js';

const FACE_API_PACKAGE = '@vladmandic/face-api';
/** FaceRecognitionNet's tfjs weights manifest, in face-api's model/ folder. */
export const FACE_API_WEIGHTS_MANIFEST = 'face_recognition_model-weights_manifest.json';

export const DLIB_RESNET_INPUT = 'input';
export const DLIB_RESNET_OUTPUT = 'embedding';
export const DLIB_RESNET_SIZE = 150;
/**
 * face-api's input normalisation (FaceRecognitionNet.forwardInput): RGB minus this mean, divided
 * by 255. It stays outside the graph, in the manifest, like every other model's pre-processing.
 */
export const DLIB_RESNET_MEAN_RGB: [number, number, number] = [122.782, 117.001, 104.298];
/** opset 13 (onnxruntime ≥ 1.6) has every op used here, with Pad's pads as an input. */
const OPSET = 13;
const IR_VERSION = 7;

/** The weights manifest of FaceRecognitionNet inside the installed face-api package (a dev dependency). */
export function faceApiWeightsManifest(): string {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve(`${FACE_API_PACKAGE}/package.json`);
  } catch {
    throw new TfjsWeightsError(`${FACE_API_PACKAGE} is not installed. It is a dev dependency: run \`npm ci\` (without --omit=dev).`);
  }
  return join(dirname(packageJson), 'model', FACE_API_WEIGHTS_MANIFEST);
}

/** A feature map as the converter tracks it: its name in the graph, channels, and square side. */
interface FeatureMap {
  name: string;
  channels: number;
  size: number;
}

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly unused: Set<string>;

  constructor(private readonly weights: Map<string, DecodedTensor>) {
    this.unused = new Set(weights.keys());
  }

  /** A tfjs tensor, checked against the shape this layer needs, each used exactly once. */
  weight(name: string, shape: number[]): Float32Array {
    const tensor = this.weights.get(name);
    if (!tensor) throw new TfjsWeightsError(`the weights lack ${name}, which face-api's FaceRecognitionNet needs`);
    if (tensor.shape.join() !== shape.join()) {
      throw new TfjsWeightsError(`${name} has shape [${tensor.shape}], expected [${shape}]`);
    }
    this.unused.delete(name);
    return tensor.values;
  }

  constant(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  node(opType: string, name: string, inputs: string[], attributes?: OnnxAttribute[]): string {
    this.nodes.push({ name, opType, inputs, outputs: [name], attributes });
    return name;
  }

  checkAllUsed(): void {
    if (this.unused.size > 0) throw new TfjsWeightsError(`the weights hold tensors FaceRecognitionNet does not use: ${[...this.unused].join(', ')}`);
  }
}

/** tfjs conv filters [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
function hwioToOihw(hwio: Float32Array, k: number, inC: number, outC: number): Float32Array {
  const oihw = new Float32Array(hwio.length);
  for (let h = 0; h < k; h++) {
    for (let w = 0; w < k; w++) {
      for (let i = 0; i < inC; i++) {
        for (let o = 0; o < outC; o++) oihw[((o * inC + i) * k + h) * k + w] = hwio[((h * k + w) * inC + i) * outC + o];
      }
    }
  }
  return oihw;
}

const int64s = (values: number[]) => BigInt64Array.from(values.map(BigInt));

/**
 * face-api's convLayer: conv2d + bias, then its scale layer (·weights + biases per channel), then
 * ReLU if asked. 'same' is only used with stride 1 here, where TensorFlow pads (k−1)/2 each side.
 */
function convLayer(
  g: GraphBuilder, x: FeatureMap, prefix: string, k: number, outC: number, stride: number, relu: boolean, padding: 'same' | 'valid',
): FeatureMap {
  if (padding === 'same' && stride !== 1) throw new Error(`${prefix}: 'same' padding is only mirrored for stride 1`);
  const filters = g.weight(`${prefix}/conv/filters`, [k, k, x.channels, outC]);
  const w = g.constant(`${prefix}/conv/filters`, [outC, x.channels, k, k], hwioToOihw(filters, k, x.channels, outC));
  const b = g.constant(`${prefix}/conv/bias`, [outC], g.weight(`${prefix}/conv/bias`, [outC]));
  const pad = padding === 'same' ? (k - 1) / 2 : 0;
  let out = g.node('Conv', `${prefix}/conv`, [x.name, w, b], [
    { name: 'kernel_shape', ints: [k, k] },
    { name: 'strides', ints: [stride, stride] },
    { name: 'pads', ints: [pad, pad, pad, pad] },
  ]);
  // Per-channel constants shaped [1, C, 1, 1] broadcast over NCHW as face-api's [C] do over NHWC.
  const scale = g.constant(`${prefix}/scale/weights`, [1, outC, 1, 1], g.weight(`${prefix}/scale/weights`, [outC]));
  const shift = g.constant(`${prefix}/scale/biases`, [1, outC, 1, 1], g.weight(`${prefix}/scale/biases`, [outC]));
  out = g.node('Mul', `${prefix}/scale/mul`, [out, scale]);
  out = g.node('Add', `${prefix}/scale/add`, [out, shift]);
  if (relu) out = g.node('Relu', `${prefix}/relu`, [out]);
  const size = padding === 'same' ? x.size : Math.floor((x.size - k) / stride) + 1;
  return { name: out, channels: outC, size };
}

/** face-api's residual: conv → conv (no ReLU) → + input → ReLU. */
function residual(g: GraphBuilder, x: FeatureMap, prefix: string): FeatureMap {
  const a = convLayer(g, x, `${prefix}/conv1`, 3, x.channels, 1, true, 'same');
  const b = convLayer(g, a, `${prefix}/conv2`, 3, x.channels, 1, false, 'same');
  const sum = g.node('Add', `${prefix}/add`, [b.name, x.name]);
  return { ...b, name: g.node('Relu', `${prefix}/relu`, [sum]) };
}

/**
 * face-api's residualDown: a stride-2 'valid' conv → conv, added to a 2×2 average pool of the
 * input. Where the conv path comes out one pixel smaller (8 → 3 vs 4, 4 → 1 vs 2) face-api appends
 * a zero row and column to it; where the pool has fewer channels it appends as many zero channels.
 * Both become Pad nodes, after the scale layer as in face-api.
 */
function residualDown(g: GraphBuilder, x: FeatureMap, prefix: string, outC: number): FeatureMap {
  const a = convLayer(g, x, `${prefix}/conv1`, 3, outC, 2, true, 'valid');
  let b = convLayer(g, a, `${prefix}/conv2`, 3, outC, 1, false, 'same');
  let pooled: FeatureMap = {
    name: g.node('AveragePool', `${prefix}/avgpool`, [x.name], [{ name: 'kernel_shape', ints: [2, 2] }, { name: 'strides', ints: [2, 2] }]),
    channels: x.channels,
    size: Math.floor(x.size / 2),
  };
  if (b.size !== pooled.size) {
    if (b.size + 1 !== pooled.size) throw new Error(`${prefix}: conv path ${b.size}² vs pool ${pooled.size}², face-api pads by one only`);
    const pads = g.constant(`${prefix}/pad_hw`, [8], int64s([0, 0, 0, 0, 0, 0, 1, 1]));
    b = { ...b, name: g.node('Pad', `${prefix}/conv_pad`, [b.name, pads]), size: pooled.size };
  }
  if (pooled.channels !== b.channels) {
    if (2 * pooled.channels !== b.channels) throw new Error(`${prefix}: face-api doubles channels with zeros, not ${pooled.channels} → ${b.channels}`);
    const pads = g.constant(`${prefix}/pad_c`, [8], int64s([0, 0, 0, 0, 0, pooled.channels, 0, 0]));
    pooled = { ...pooled, name: g.node('Pad', `${prefix}/pool_pad`, [pooled.name, pads]), channels: b.channels };
  }
  const sum = g.node('Add', `${prefix}/add`, [pooled.name, b.name]);
  return { ...b, name: g.node('Relu', `${prefix}/relu`, [sum]) };
}

export interface DlibResnetOnnx {
  model: Uint8Array;
  /** Node count per op type, for the build log. */
  ops: Record<string, number>;
  parameters: number;
}

/**
 * The ONNX model: input `input` float32 [batch, 3, 150, 150] (RGB, (pixel − DLIB_RESNET_MEAN_RGB)
 * / 255), output `embedding` float32 [batch, 128], not normalised. Deterministic: the same weights
 * give the same bytes.
 */
export function buildDlibResnetOnnx(weights: TfjsWeights): DlibResnetOnnx {
  const g = new GraphBuilder(weights.tensors);
  let x: FeatureMap = { name: DLIB_RESNET_INPUT, channels: 3, size: DLIB_RESNET_SIZE };
  x = convLayer(g, x, 'conv32_down', 7, 32, 2, true, 'valid');
  x = {
    ...x,
    name: g.node('MaxPool', 'maxpool', [x.name], [{ name: 'kernel_shape', ints: [3, 3] }, { name: 'strides', ints: [2, 2] }]),
    size: Math.floor((x.size - 3) / 2) + 1,
  };
  for (const block of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(g, x, block);
  x = residualDown(g, x, 'conv64_down', 64);
  for (const block of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(g, x, block);
  x = residualDown(g, x, 'conv128_down', 128);
  for (const block of ['conv128_1', 'conv128_2']) x = residual(g, x, block);
  x = residualDown(g, x, 'conv256_down', 256);
  for (const block of ['conv256_1', 'conv256_2']) x = residual(g, x, block);
  x = residualDown(g, x, 'conv256_down_out', 256);
  // face-api: out.mean([1, 2]) then matMul with fc [256, 128].
  const pooled = g.node('GlobalAveragePool', 'global_avgpool', [x.name]);
  const flat = g.node('Flatten', 'flatten', [pooled]);
  const fc = g.constant('fc', [256, 128], g.weight('fc', [256, 128]));
  g.nodes.push({ name: 'fc', opType: 'MatMul', inputs: [flat, fc], outputs: [DLIB_RESNET_OUTPUT] });
  g.checkAllUsed();

  const model = encodeOnnxModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET,
    producerName: 'facerec build-dlib-onnx',
    producerVersion: '1',
    docString:
      "dlib's ResNet face recogniser (dlib_face_recognition_resnet_model_v1, weights in the public domain), converted from the " +
      `tfjs weights of @vladmandic/face-api. Input: RGB ${DLIB_RESNET_SIZE}×${DLIB_RESNET_SIZE} dlib face chip (padding 0.25), ` +
      `(pixel − [${DLIB_RESNET_MEAN_RGB}]) / 255, NCHW. Output: 128-D descriptor, not normalised.`,
    metadata: [['weights_sha256', weights.sha256]],
    graph: {
      name: 'dlib_resnet_128',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: DLIB_RESNET_INPUT, shape: ['batch', 3, DLIB_RESNET_SIZE, DLIB_RESNET_SIZE] }],
      outputs: [{ name: DLIB_RESNET_OUTPUT, shape: ['batch', 128] }],
    },
  });
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  const parameters = [...weights.tensors.values()].reduce((sum, t) => sum + t.values.length, 0);
  return { model, ops, parameters };
}
