// Encodes an ONNX model (ModelProto) from a plain description: enough of onnx.proto for
// feed-forward graphs of float32 weights, written field by field in field-number order so that
// the same description always gives byte-identical files.

import {
  ATTRIBUTE_INTS, ATTRIBUTE_I, ATTRIBUTE_NAME, ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT, ATTRIBUTE_TYPE_INTS, DATA_TYPE_FLOAT,
  DATA_TYPE_INT64, DIM_PARAM, DIM_VALUE, GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_NAME, GRAPH_NODE, GRAPH_OUTPUT, MODEL_DOC_STRING,
  MODEL_GRAPH, MODEL_IR_VERSION, MODEL_METADATA_PROPS, MODEL_OPSET_IMPORT, MODEL_PRODUCER_NAME, MODEL_PRODUCER_VERSION,
  NODE_ATTRIBUTE, NODE_INPUT, NODE_NAME, NODE_OP_TYPE, NODE_OUTPUT, OPSET_DOMAIN, OPSET_VERSION, SHAPE_DIM, STRING_ENTRY_KEY,
  STRING_ENTRY_VALUE, TENSOR_DATA_TYPE, TENSOR_DIMS, TENSOR_NAME, TENSOR_RAW_DATA, TENSOR_TYPE_ELEM_TYPE, TENSOR_TYPE_SHAPE,
  TYPE_TENSOR_TYPE, VALUE_INFO_NAME, VALUE_INFO_TYPE,
} from './onnx-proto.fields.js';
import { ProtoWriter } from './protobuf-wire.js';

export type OnnxAttribute = { name: string; int: number } | { name: string; ints: number[] };

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes?: OnnxAttribute[];
}

/** A constant tensor (initializer): float32 weights or int64 shapes and pads. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** A graph input or output: float32, each dim a size or a symbolic name (a dynamic batch). */
export interface OnnxValueInfo {
  name: string;
  shape: Array<number | string>;
}

export interface OnnxModel {
  irVersion: number;
  /** Version of the default (ai.onnx) operator set. */
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  /** metadata_props, written in the order given. */
  metadata: Array<[key: string, value: string]>;
  graph: {
    name: string;
    nodes: OnnxNode[];
    initializers: OnnxTensor[];
    inputs: OnnxValueInfo[];
    outputs: OnnxValueInfo[];
  };
}

function attribute(a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().string(ATTRIBUTE_NAME, a.name);
  // onnx.proto is proto2 and does not declare `ints` packed: one varint field per element, as
  // the reference serialiser writes it.
  if ('int' in a) w.varint(ATTRIBUTE_I, a.int);
  else for (const v of a.ints) w.varint(ATTRIBUTE_INTS, v);
  return w.varint(ATTRIBUTE_TYPE, 'int' in a ? ATTRIBUTE_TYPE_INT : ATTRIBUTE_TYPE_INTS);
}

function node(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of n.inputs) w.string(NODE_INPUT, input);
  for (const output of n.outputs) w.string(NODE_OUTPUT, output);
  w.string(NODE_NAME, n.name).string(NODE_OP_TYPE, n.opType);
  for (const a of n.attributes ?? []) w.message(NODE_ATTRIBUTE, attribute(a));
  return w;
}

/** Little-endian raw_data whatever the host's byte order. */
function rawData(data: Float32Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else data.forEach((v, i) => view.setBigInt64(8 * i, v, true));
  return bytes;
}

function tensor(t: OnnxTensor): ProtoWriter {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new Error(`tensor ${t.name}: dims [${t.dims}] hold ${count} values, got ${t.data.length}`);
  const w = new ProtoWriter();
  for (const d of t.dims) w.varint(TENSOR_DIMS, d);
  return w
    .varint(TENSOR_DATA_TYPE, t.data instanceof Float32Array ? DATA_TYPE_FLOAT : DATA_TYPE_INT64)
    .string(TENSOR_NAME, t.name)
    .bytes(TENSOR_RAW_DATA, rawData(t.data));
}

function valueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    shape.message(SHAPE_DIM, typeof d === 'number' ? new ProtoWriter().varint(DIM_VALUE, d) : new ProtoWriter().string(DIM_PARAM, d));
  }
  const tensorType = new ProtoWriter().varint(TENSOR_TYPE_ELEM_TYPE, DATA_TYPE_FLOAT).message(TENSOR_TYPE_SHAPE, shape);
  return new ProtoWriter().string(VALUE_INFO_NAME, v.name).message(VALUE_INFO_TYPE, new ProtoWriter().message(TYPE_TENSOR_TYPE, tensorType));
}

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const { graph } = model;
  const g = new ProtoWriter();
  for (const n of graph.nodes) g.message(GRAPH_NODE, node(n));
  g.string(GRAPH_NAME, graph.name);
  for (const t of graph.initializers) g.message(GRAPH_INITIALIZER, tensor(t));
  for (const v of graph.inputs) g.message(GRAPH_INPUT, valueInfo(v));
  for (const v of graph.outputs) g.message(GRAPH_OUTPUT, valueInfo(v));

  const m = new ProtoWriter()
    .varint(MODEL_IR_VERSION, model.irVersion)
    .string(MODEL_PRODUCER_NAME, model.producerName)
    .string(MODEL_PRODUCER_VERSION, model.producerVersion)
    .string(MODEL_DOC_STRING, model.docString)
    .message(MODEL_GRAPH, g)
    // The default domain is the empty string.
    .message(MODEL_OPSET_IMPORT, new ProtoWriter().string(OPSET_DOMAIN, '').varint(OPSET_VERSION, model.opsetVersion));
  for (const [key, value] of model.metadata) {
    m.message(MODEL_METADATA_PROPS, new ProtoWriter().string(STRING_ENTRY_KEY, key).string(STRING_ENTRY_VALUE, value));
  }
  return m.finish();
}
