import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { makeBatchDimensionDynamic } from './onnx-batch-dimension.js';

// The shared models sit beside the repository (../shared/models), never inside it.
const MODEL_DIR = process.env.MODEL_DIR ?? fileURLToPath(new URL('../../../../../shared/models/', import.meta.url));
const FACE_SIZE = 3 * 112 * 112;
// Errors only: the cases below trigger onnxruntime warnings on purpose (shape mismatch, weight as input).
const QUIET: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3 };

function readModel(file: string): Uint8Array {
  const path = join(MODEL_DIR, file);
  if (!existsSync(path)) throw new Error(`test model missing: ${path} (set MODEL_DIR to the folder holding ${file})`);
  return readFileSync(path);
}

/** Deterministic inputs (mulberry32) in roughly the range of ImageNet-normalised pixels. */
function seededInput(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 4 - 2;
  });
}

function tensorShape(metadata: ort.InferenceSession.ValueMetadata): ReadonlyArray<number | string> {
  if (!metadata.isTensor) throw new Error(`${metadata.name} is not a tensor`);
  return metadata.shape;
}

async function embed(session: ort.InferenceSession, faces: Float32Array, batch: number): Promise<ort.Tensor> {
  const outputs = await session.run({ input0: new ort.Tensor('float32', faces, [batch, 3, 112, 112]) });
  return outputs.output0;
}

/** mobilefacenet-128's final Reshape target [first, -1] as stored: raw_data (field 9, 16 bytes). */
const reshapeTarget = (first: number) => Buffer.from([0x4a, 0x10, first, 0, 0, 0, 0, 0, 0, 0, ...new Array<number>(8).fill(0xff)]);

describe('makeBatchDimensionDynamic on mobilefacenet-128 (input0 [1,3,112,112] → output0 [1,128])', () => {
  const original = readModel('mobilefacenet-128.onnx');
  const rewrite = makeBatchDimensionDynamic(original);

  it('makes dim 0 of input0 and output0 symbolic', async () => {
    expect(rewrite.rewrittenTensors).toEqual(['input0', 'output0']);
    const session = await ort.InferenceSession.create(rewrite.model);
    try {
      expect(tensorShape(session.inputMetadata[0])).toEqual(['batch', 3, 112, 112]);
    } finally {
      await session.release();
    }
  });

  it('rewrites the final Reshape target [1, -1] to [0, -1] in place, leaving nothing batch-specific', () => {
    expect(rewrite.rewrittenReshapes).toEqual(['/Reshape']);
    expect(rewrite.batchSpecificReshapes).toEqual([]);
    const edited = Buffer.from(rewrite.model);
    expect(Buffer.from(original).indexOf(reshapeTarget(1))).toBeGreaterThan(0);
    expect(edited.indexOf(reshapeTarget(1))).toBe(-1);
    const at = edited.indexOf(reshapeTarget(0));
    expect(at).toBeGreaterThan(0);
    expect(edited.indexOf(reshapeTarget(0), at + 1)).toBe(-1);
  });

  it('runs a batch of 3 that equals 3 batch-1 runs of the original', async () => {
    const faces = seededInput(3 * FACE_SIZE, 42);
    const single = await ort.InferenceSession.create(original);
    const batched = await ort.InferenceSession.create(rewrite.model);
    try {
      const batchOutput = await embed(batched, faces, 3);
      expect(batchOutput.dims).toEqual([3, 128]);
      let maxAbsDiff = 0;
      for (let face = 0; face < 3; face++) {
        const expected = (await embed(single, faces.slice(face * FACE_SIZE, (face + 1) * FACE_SIZE), 1)).data as Float32Array;
        const actual = (batchOutput.data as Float32Array).subarray(face * 128, (face + 1) * 128);
        for (let i = 0; i < 128; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(actual[i] - expected[i]));
      }
      expect(maxAbsDiff).toBeLessThan(1e-4);
    } finally {
      await Promise.all([single.release(), batched.release()]);
    }
  });
});

describe('makeBatchDimensionDynamic on models that are already dynamic', () => {
  it('returns yunet_n_dynamic (input [batch,3,height,width]) unchanged', () => {
    const yunet = readModel('yunet_n_dynamic.onnx');
    const rewrite = makeBatchDimensionDynamic(yunet);
    expect(rewrite.model).toBe(yunet);
    expect(rewrite.rewrittenTensors).toEqual([]);
    expect(rewrite.rewrittenReshapes).toEqual([]);
    expect(rewrite.batchSpecificReshapes).toEqual([]);
  });

  it('is idempotent', () => {
    const once = makeBatchDimensionDynamic(readModel('mobilefacenet-128.onnx')).model;
    const twice = makeBatchDimensionDynamic(once);
    expect(twice.model).toBe(once);
    expect(twice.rewrittenTensors).toEqual([]);
    expect(twice.rewrittenReshapes).toEqual([]);
    expect(twice.batchSpecificReshapes).toEqual([]);
  });
});

// A minimal protobuf encoder for hand-built ONNX models (field numbers from onnx.proto).
const MINUS_ONE_VARINT = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
const FLOAT = 1;
const INT64 = 7;
// AttributeProto.type values.
const ATTR_INT = 2;
const ATTR_TENSOR = 4;
const ATTR_GRAPH = 5;
const ATTR_INTS = 7;

function varint(value: number): number[] {
  const bytes: number[] = [];
  for (; value >= 0x80; value >>>= 7) bytes.push((value & 0x7f) | 0x80);
  bytes.push(value);
  return bytes;
}
const varintField = (field: number, value: number) => [...varint(field * 8), ...varint(value)];
const bytesField = (field: number, payload: ArrayLike<number>) => [
  ...varint(field * 8 + 2),
  ...varint(payload.length),
  ...Array.from(payload),
];
const stringField = (field: number, text: string) => bytesField(field, new TextEncoder().encode(text));

const int64Bytes = (values: bigint[]) => Array.from(new Uint8Array(BigInt64Array.from(values).buffer));

function valueInfo(name: string, dims: Array<number | string>): number[] {
  const shape = dims.flatMap((dim) => bytesField(1, typeof dim === 'number' ? varintField(1, dim) : stringField(2, dim)));
  const tensorType = [...varintField(1, FLOAT), ...bytesField(2, shape)];
  return [...stringField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

function node(opType: string, inputs: string[], output: string, name = '', attributes: number[][] = []): number[] {
  return [
    ...inputs.flatMap((input) => stringField(1, input)),
    ...stringField(2, output),
    ...(name ? stringField(3, name) : []),
    ...stringField(4, opType),
    ...attributes.flatMap((attribute) => bytesField(5, attribute)),
  ];
}

function model(graph: number[]): Uint8Array {
  return Uint8Array.from([...varintField(1, 8), ...bytesField(7, graph), ...bytesField(8, varintField(2, 13))]);
}

/** y = Relu(x + w), with the weight w also listed as a graph input as old exporters did. */
function tinyModel(batch: number | string, withValueInfo: boolean): Uint8Array {
  const weights = new Uint8Array(Float32Array.from([0.5, -1, 2, -3]).buffer);
  const w = [...varintField(1, 1), ...varintField(1, 4), ...varintField(2, FLOAT), ...stringField(8, 'w'), ...bytesField(9, weights)];
  return model([
    ...bytesField(1, node('Add', ['x', 'w'], 'h', 'add')),
    ...bytesField(1, node('Relu', ['h'], 'y', 'relu')),
    ...stringField(2, 'tiny'),
    ...bytesField(5, w),
    ...bytesField(11, valueInfo('x', [batch, 4])),
    ...bytesField(11, valueInfo('w', [1, 4])),
    ...bytesField(12, valueInfo('y', [batch, 4])),
    ...(withValueInfo ? bytesField(13, valueInfo('h', [1, 4])) : []),
  ]);
}

describe('makeBatchDimensionDynamic on hand-built models', () => {
  it('rewrites the real [1,4] input and the output, not the initializer listed as input, and drops value_info', async () => {
    const rewrite = makeBatchDimensionDynamic(tinyModel(1, true));
    expect(rewrite.rewrittenTensors).toEqual(['x', 'y']);
    expect(rewrite.model).toEqual(tinyModel('batch', false));

    const session = await ort.InferenceSession.create(rewrite.model, QUIET);
    try {
      expect(tensorShape(session.inputMetadata.find((input) => input.name === 'x')!)).toEqual(['batch', 4]);
      const x = Float32Array.from([1, 1, 1, 1, -1, 2, -3, 4]);
      const { y } = await session.run({ x: new ort.Tensor('float32', x, [2, 4]) });
      expect(y.dims).toEqual([2, 4]);
      expect(Array.from(y.data as Float32Array)).toEqual([1.5, 0, 3, 0, 0, 1, 0, 1]);
    } finally {
      await session.release();
    }
  });

  it('only reports Reshapes whose constant target starts with 1 when there is no batch of 1 to rewrite', () => {
    const int64Tensor = (name: string, count: number, data: number[]) => [
      ...varintField(1, count),
      ...varintField(2, INT64),
      ...stringField(8, name),
      ...data,
    ];
    const constant = (output: string, attribute: number[]) => bytesField(1, node('Constant', [], output, '', [attribute]));
    const graph = [
      ...bytesField(5, int64Tensor('init_1_4', 2, bytesField(9, int64Bytes([1n, 4n])))),
      ...constant('packed_0_m1', [...stringField(1, 'value'), ...bytesField(5, int64Tensor('', 2, bytesField(7, [0, ...MINUS_ONE_VARINT])))]),
      ...constant('unpacked_1_4', [...stringField(1, 'value'), ...bytesField(5, int64Tensor('', 2, [...varintField(7, 1), ...varintField(7, 4)]))]),
      ...constant('ints_1_m1', [...stringField(1, 'value_ints'), ...bytesField(8, [1, ...MINUS_ONE_VARINT])]),
      ...bytesField(1, node('Reshape', ['x', 'init_1_4'], 'a', 'from_initializer')),
      ...bytesField(1, node('Reshape', ['x', 'packed_0_m1'], 'b', 'batch_neutral')),
      ...bytesField(1, node('Reshape', ['x', 'unpacked_1_4'], 'unnamed_output')),
      ...bytesField(1, node('Reshape', ['x', 'ints_1_m1'], 'd', 'from_value_ints')),
    ];
    const input = model(graph);
    const rewrite = makeBatchDimensionDynamic(input);
    expect(rewrite.model).toBe(input);
    expect(rewrite.rewrittenReshapes).toEqual([]);
    expect(rewrite.batchSpecificReshapes).toEqual(['from_initializer', 'unnamed_output', 'from_value_ints']);
  });
});

/** The int64 constant `target` = [first, 4] as one graph field, in each encoding ONNX allows. */
const int64Target = (name: string, data: number[]) => [...varintField(1, 2), ...varintField(2, INT64), ...(name ? stringField(8, name) : []), ...data];
const constantTarget = (attribute: number[]) => bytesField(1, node('Constant', [], 'target', 'constant', [attribute]));
const valueAttribute = (tensor: number[]) => [...stringField(1, 'value'), ...bytesField(5, tensor), ...varintField(20, ATTR_TENSOR)];
const valueIntsAttribute = (ints: number[]) => [...stringField(1, 'value_ints'), ...ints, ...varintField(20, ATTR_INTS)];
const targetEncodings: Array<[string, (first: number) => number[]]> = [
  ['initializer raw_data', (first) => bytesField(5, int64Target('target', bytesField(9, int64Bytes([BigInt(first), 4n]))))],
  ['initializer packed int64_data', (first) => bytesField(5, int64Target('target', bytesField(7, [first, 4])))],
  ['initializer unpacked int64_data', (first) => bytesField(5, int64Target('target', [...varintField(7, first), ...varintField(7, 4)]))],
  ['Constant value raw_data', (first) => constantTarget(valueAttribute(int64Target('', bytesField(9, int64Bytes([BigInt(first), 4n])))))],
  ['Constant value packed int64_data', (first) => constantTarget(valueAttribute(int64Target('', bytesField(7, [first, 4]))))],
  ['Constant value_ints packed', (first) => constantTarget(valueIntsAttribute(bytesField(8, [first, 4])))],
  ['Constant value_ints unpacked', (first) => constantTarget(valueIntsAttribute([...varintField(8, first), ...varintField(8, 4)]))],
];
const rawTarget = targetEncodings[0][1];
const allowZero = (value: number) => [...stringField(1, 'allowzero'), ...varintField(3, value), ...varintField(20, ATTR_INT)];

/** y = Reshape(x [batch,2,2], target) → [batch,4], plus `extra` graph fields. */
function reshapeModel(batch: number | string, target: number[], reshapeAttributes: number[][] = [], extra: number[] = []): Uint8Array {
  return model([
    ...target,
    ...bytesField(1, node('Reshape', ['x', 'target'], 'y', 'reshape', reshapeAttributes)),
    ...extra,
    ...stringField(2, 'reshape'),
    ...bytesField(11, valueInfo('x', [batch, 2, 2])),
    ...bytesField(12, valueInfo('y', [batch, 4])),
  ]);
}

describe('makeBatchDimensionDynamic on Reshape targets that pin the batch to 1', () => {
  it.each(targetEncodings)('rewrites [1, 4] stored as %s to [0, 4], changing nothing else', async (_, target) => {
    const rewrite = makeBatchDimensionDynamic(reshapeModel(1, target(1)));
    expect(rewrite.rewrittenTensors).toEqual(['x', 'y']);
    expect(rewrite.rewrittenReshapes).toEqual(['reshape']);
    expect(rewrite.batchSpecificReshapes).toEqual([]);
    expect(rewrite.model).toEqual(reshapeModel('batch', target(0)));
    expect(makeBatchDimensionDynamic(rewrite.model).model).toBe(rewrite.model);

    const session = await ort.InferenceSession.create(rewrite.model);
    try {
      const x = Float32Array.from({ length: 12 }, (_, i) => i);
      const { y } = await session.run({ x: new ort.Tensor('float32', x, [3, 2, 2]) });
      expect(y.dims).toEqual([3, 4]);
      expect(Array.from(y.data as Float32Array)).toEqual(Array.from(x));
    } finally {
      await session.release();
    }
  });

  it('rewrites a target shared by two Reshapes once, reporting both', () => {
    const second = bytesField(1, node('Reshape', ['x', 'target'], 'y2', 'reshape2'));
    const rewrite = makeBatchDimensionDynamic(reshapeModel(1, rawTarget(1), [], second));
    expect(rewrite.rewrittenReshapes).toEqual(['reshape', 'reshape2']);
    expect(rewrite.batchSpecificReshapes).toEqual([]);
    expect(rewrite.model).toEqual(reshapeModel('batch', rawTarget(0), [], second));
  });

  it('leaves and reports a Reshape with allowzero=1, where 0 would mean an empty dim', () => {
    const rewrite = makeBatchDimensionDynamic(reshapeModel(1, rawTarget(1), [allowZero(1)]));
    expect(rewrite.rewrittenTensors).toEqual(['x', 'y']);
    expect(rewrite.rewrittenReshapes).toEqual([]);
    expect(rewrite.batchSpecificReshapes).toEqual(['reshape']);
    expect(rewrite.model).toEqual(reshapeModel('batch', rawTarget(1), [allowZero(1)]));
  });

  it('rewrites a Reshape with allowzero=0 spelled out, the default', () => {
    const rewrite = makeBatchDimensionDynamic(reshapeModel(1, rawTarget(1), [allowZero(0)]));
    expect(rewrite.rewrittenReshapes).toEqual(['reshape']);
    expect(rewrite.model).toEqual(reshapeModel('batch', rawTarget(0), [allowZero(0)]));
  });

  const thenBranch = [...bytesField(1, node('Identity', ['target'], 'inner')), ...stringField(2, 'then')];
  it.each([
    ['another node', bytesField(1, node('Identity', ['target'], 'copy', 'copy'))],
    ['a subgraph', bytesField(1, node('If', ['cond'], 'z', 'if', [[...stringField(1, 'then_branch'), ...bytesField(6, thenBranch), ...varintField(20, ATTR_GRAPH)]]))],
    ['a graph output', bytesField(12, valueInfo('target', [2]))],
  ])('leaves and reports a target that %s also reads', (_, extra) => {
    const rewrite = makeBatchDimensionDynamic(reshapeModel(1, rawTarget(1), [], extra));
    expect(rewrite.rewrittenTensors).toEqual(['x', 'y']);
    expect(rewrite.rewrittenReshapes).toEqual([]);
    expect(rewrite.batchSpecificReshapes).toEqual(['reshape']);
    expect(rewrite.model).toEqual(reshapeModel('batch', rawTarget(1), [], extra));
  });

  it.each(targetEncodings)('changes nothing in an already dynamic model, target %s, but reports the Reshape', (_, target) => {
    const input = reshapeModel('batch', target(1));
    const rewrite = makeBatchDimensionDynamic(input);
    expect(rewrite.model).toBe(input);
    expect(rewrite.rewrittenTensors).toEqual([]);
    expect(rewrite.rewrittenReshapes).toEqual([]);
    expect(rewrite.batchSpecificReshapes).toEqual(['reshape']);
  });
});
