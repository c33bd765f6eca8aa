// Makes the batch dimension of an ONNX model symbolic by splicing its protobuf bytes.
// onnxruntime has no graph-editing API and pulling in a protobuf library for one edit is not
// worth it, so this splices the wire format directly: only the messages on the path
// model → graph → input/output → type → tensor_type → shape → dim[0], and those down to the first
// element of a batch-pinning Reshape target, are re-encoded; everything else (notably megabytes of
// raw_data weights) is copied verbatim.

import {
  ATTRIBUTE_G, ATTRIBUTE_GRAPHS, ATTRIBUTE_I, ATTRIBUTE_INTS, ATTRIBUTE_NAME, ATTRIBUTE_T, DATA_TYPE_INT64, DIM_PARAM, DIM_VALUE,
  GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_NODE, GRAPH_OUTPUT, GRAPH_VALUE_INFO, MODEL_GRAPH, NODE_ATTRIBUTE, NODE_DOMAIN, NODE_INPUT,
  NODE_NAME, NODE_OP_TYPE, NODE_OUTPUT, SHAPE_DIM, TENSOR_DATA_TYPE, TENSOR_INT64_DATA, TENSOR_NAME, TENSOR_RAW_DATA,
  TENSOR_TYPE_SHAPE, TYPE_TENSOR_TYPE, VALUE_INFO_NAME, VALUE_INFO_TYPE,
} from './onnx-proto.fields.js';
import {
  concat, lenField, lenPayloads, readVarint, stringField, stringFields, varintField, WIRE_LEN, WIRE_VARINT, WireField, wireFields,
} from './protobuf-wire.js';

export interface BatchDimensionRewrite {
  /** The edited model, or the input array itself when nothing needed rewriting. */
  model: Uint8Array;
  /** Graph inputs/outputs whose dim 0 was changed from 1 to the symbolic dim. */
  rewrittenTensors: string[];
  /** Reshape nodes whose constant target shape was changed from [1,…] to [0,…] (0 copies the batch). */
  rewrittenReshapes: string[];
  /**
   * Reshape nodes whose constant target still starts with 1, pinning the batch to 1 (allowzero=1,
   * or the constant has other uses, or the model was already dynamic). The caller must not batch
   * a model that has any.
   */
  batchSpecificReshapes: string[];
}

/**
 * Re-encodes `msg` with each length-delimited field's payload replaced by what `edit` returns
 * for it: the same array keeps it, null drops the field. Bytes between edited fields are copied
 * verbatim, and `msg` itself is returned when nothing changed, so callers can tell by identity.
 */
function editLenFields(msg: Uint8Array, edit: (field: number, payload: Uint8Array) => Uint8Array | null): Uint8Array {
  const chunks: Uint8Array[] = [];
  let copiedUpTo = 0;
  for (const f of wireFields(msg)) {
    if (f.wireType !== WIRE_LEN) continue;
    const payload = msg.subarray(f.valueStart, f.end);
    const replaced = edit(f.field, payload);
    if (replaced === payload) continue;
    chunks.push(msg.subarray(copiedUpTo, f.start), ...(replaced ? lenField(f.field, replaced) : []));
    copiedUpTo = f.end;
  }
  if (chunks.length === 0) return msg;
  chunks.push(msg.subarray(copiedUpTo));
  return concat(chunks);
}

/** Dimension → dim_param `dimParam` if it is dim_value 1; other fields (denotation) are kept. */
function symbolicIfOne(dim: Uint8Array, dimParam: string): Uint8Array {
  // dim_value and dim_param are a oneof: the last one on the wire wins.
  let isOne = false;
  for (const f of wireFields(dim)) {
    if (f.field === DIM_VALUE && f.wireType === WIRE_VARINT) isOne = readVarint(dim, f.valueStart)[0] === 1;
    if (f.field === DIM_PARAM) isOne = false;
  }
  if (!isOne) return dim;
  const chunks = lenField(DIM_PARAM, new TextEncoder().encode(dimParam));
  for (const f of wireFields(dim)) {
    if (f.field !== DIM_VALUE && f.field !== DIM_PARAM) chunks.push(dim.subarray(f.start, f.end));
  }
  return concat(chunks);
}

function editField(msg: Uint8Array, field: number, edit: (payload: Uint8Array) => Uint8Array | null): Uint8Array {
  return editLenFields(msg, (f, payload) => (f === field ? edit(payload) : payload));
}

/** ValueInfoProto with dim 0 of its tensor shape made symbolic when it is 1. */
function withSymbolicBatch(valueInfo: Uint8Array, dimParam: string): Uint8Array {
  return editField(valueInfo, VALUE_INFO_TYPE, (type) =>
    editField(type, TYPE_TENSOR_TYPE, (tensorType) =>
      editField(tensorType, TENSOR_TYPE_SHAPE, (shape) => {
        let first = true;
        return editField(shape, SHAPE_DIM, (dim) => {
          if (!first) return dim;
          first = false;
          return symbolicIfOne(dim, dimParam);
        });
      }),
    ),
  );
}

/**
 * `msg` with the bytes [from, to) inside its field `f` replaced by `bytes`; f's length is
 * re-encoded when it is length-delimited, so the replacement may differ in size.
 */
function spliceInField(msg: Uint8Array, f: WireField, from: number, to: number, bytes: Uint8Array): Uint8Array {
  if (f.wireType !== WIRE_LEN) return concat([msg.subarray(0, from), bytes, msg.subarray(to)]);
  const payload = concat([msg.subarray(f.valueStart, from), bytes, msg.subarray(to, f.end)]);
  return concat([msg.subarray(0, f.start), ...lenField(f.field, payload), msg.subarray(f.end)]);
}

/** The field holding the first element of repeated int64 `field`, packed (LEN) or not (VARINT). */
function firstVarintElement(msg: Uint8Array, field: number): WireField | undefined {
  for (const f of wireFields(msg)) {
    if (f.field !== field) continue;
    if (f.wireType === WIRE_VARINT || (f.wireType === WIRE_LEN && f.end > f.valueStart)) return f;
  }
  return undefined;
}

function firstVarintIsOne(msg: Uint8Array, field: number): boolean {
  const f = firstVarintElement(msg, field);
  return f !== undefined && readVarint(msg, f.valueStart)[0] === 1;
}

/** `msg` with the first element of repeated int64 `field` changed from 1 to 0; else `msg` itself. */
function zeroFirstVarintIfOne(msg: Uint8Array, field: number): Uint8Array {
  const f = firstVarintElement(msg, field);
  if (f === undefined) return msg;
  const [value, next] = readVarint(msg, f.valueStart);
  return value === 1 ? spliceInField(msg, f, f.valueStart, next, Uint8Array.of(0)) : msg;
}

/** Where an INT64 TensorProto's first element is: its raw_data field, or its first int64_data one. */
function firstInt64Element(tensor: Uint8Array): WireField | undefined {
  if (varintField(tensor, TENSOR_DATA_TYPE) !== DATA_TYPE_INT64) return undefined;
  for (const f of wireFields(tensor)) {
    if (f.field === TENSOR_RAW_DATA && f.wireType === WIRE_LEN && f.end - f.valueStart >= 8) return f;
    if (f.field === TENSOR_INT64_DATA && (f.wireType === WIRE_VARINT || (f.wireType === WIRE_LEN && f.end > f.valueStart))) {
      return f;
    }
  }
  return undefined;
}

/** Whether an INT64 TensorProto's first element is 1 (raw_data or int64_data, packed or not). */
function firstInt64IsOne(tensor: Uint8Array): boolean {
  const f = firstInt64Element(tensor);
  if (f === undefined) return false;
  if (f.field === TENSOR_RAW_DATA) {
    return new DataView(tensor.buffer, tensor.byteOffset + f.valueStart, 8).getBigInt64(0, true) === 1n;
  }
  return readVarint(tensor, f.valueStart)[0] === 1;
}

/** An INT64 TensorProto with its first element changed from 1 to 0; else `tensor` itself. */
function zeroFirstInt64IfOne(tensor: Uint8Array): Uint8Array {
  const f = firstInt64Element(tensor);
  if (f === undefined || !firstInt64IsOne(tensor)) return tensor;
  if (f.field === TENSOR_RAW_DATA) return spliceInField(tensor, f, f.valueStart, f.valueStart + 8, new Uint8Array(8));
  return spliceInField(tensor, f, f.valueStart, readVarint(tensor, f.valueStart)[1], Uint8Array.of(0));
}

/** Whether a Constant node's value (a tensor or value_ints) starts with 1. */
function constantStartsWithOne(node: Uint8Array): boolean {
  return lenPayloads(node, NODE_ATTRIBUTE).some((attribute) => {
    const attributeName = stringField(attribute, ATTRIBUTE_NAME);
    if (attributeName === 'value') return lenPayloads(attribute, ATTRIBUTE_T).some(firstInt64IsOne);
    return attributeName === 'value_ints' && firstVarintIsOne(attribute, ATTRIBUTE_INTS);
  });
}

/** A Constant node whose value starts with 0 instead of 1, spliced like zeroFirstInt64IfOne. */
function zeroConstantIfOne(node: Uint8Array): Uint8Array {
  return editField(node, NODE_ATTRIBUTE, (attribute) => {
    const attributeName = stringField(attribute, ATTRIBUTE_NAME);
    if (attributeName === 'value') return editField(attribute, ATTRIBUTE_T, zeroFirstInt64IfOne);
    return attributeName === 'value_ints' ? zeroFirstVarintIfOne(attribute, ATTRIBUTE_INTS) : attribute;
  });
}

function isOnnxOp(node: Uint8Array, opType: string): boolean {
  const domain = stringField(node, NODE_DOMAIN);
  return stringField(node, NODE_OP_TYPE) === opType && (domain === '' || domain === 'ai.onnx');
}

function nodeLabel(node: Uint8Array): string {
  return stringField(node, NODE_NAME) || stringFields(node, NODE_OUTPUT)[0];
}

/** With allowzero=1 a 0 in the target means a zero-sized dim, not "copy the input's dim". */
function allowsZero(reshape: Uint8Array): boolean {
  return lenPayloads(reshape, NODE_ATTRIBUTE).some(
    (attribute) => stringField(attribute, ATTRIBUTE_NAME) === 'allowzero' && (varintField(attribute, ATTRIBUTE_I) ?? 0) !== 0,
  );
}

/** Adds every name that nodes in `node`'s subgraphs (If/Loop/Scan bodies, nested) read or output. */
function addSubgraphReferences(node: Uint8Array, into: Set<string>): void {
  for (const attribute of lenPayloads(node, NODE_ATTRIBUTE)) {
    for (const subgraph of [...lenPayloads(attribute, ATTRIBUTE_G), ...lenPayloads(attribute, ATTRIBUTE_GRAPHS)]) {
      for (const output of lenPayloads(subgraph, GRAPH_OUTPUT)) into.add(stringField(output, VALUE_INFO_NAME));
      for (const inner of lenPayloads(subgraph, GRAPH_NODE)) {
        for (const input of stringFields(inner, NODE_INPUT)) into.add(input);
        addSubgraphReferences(inner, into);
      }
    }
  }
}

interface PinnedReshapes {
  /** Reshape nodes (top-level graph, in order) whose constant target starts with 1. */
  reshapes: Array<{ label: string; fixable: boolean }>;
  /** Target constants that may be rewritten to start with 0. */
  fixableConstants: Set<string>;
}

/**
 * Finds Reshape nodes whose shape input is a constant starting with 1 instead of 0 or -1. Its
 * constant may be rewritten only when every use of it is as the target of such a Reshape without
 * allowzero: another consumer (a Shape-like op, a subgraph, a graph output) would see the change.
 */
function findPinnedReshapes(graph: Uint8Array, nodes: Uint8Array[], initializers: Map<string, Uint8Array>): PinnedReshapes {
  const startsWithOne = new Set<string>();
  for (const [name, tensor] of initializers) if (firstInt64IsOne(tensor)) startsWithOne.add(name);
  for (const node of nodes) {
    if (isOnnxOp(node, 'Constant') && constantStartsWithOne(node)) startsWithOne.add(stringFields(node, NODE_OUTPUT)[0]);
  }
  const otherUses = new Set(lenPayloads(graph, GRAPH_OUTPUT).map((output) => stringField(output, VALUE_INFO_NAME)));
  const pinned: Array<{ label: string; target: string }> = [];
  for (const node of nodes) {
    const inputs = stringFields(node, NODE_INPUT);
    const isPinned = isOnnxOp(node, 'Reshape') && startsWithOne.has(inputs[1]);
    if (isPinned) pinned.push({ label: nodeLabel(node), target: inputs[1] });
    inputs.forEach((input, index) => {
      if (!isPinned || index !== 1 || allowsZero(node)) otherUses.add(input);
    });
    addSubgraphReferences(node, otherUses);
  }
  const fixableConstants = new Set(pinned.map(({ target }) => target).filter((target) => !otherUses.has(target)));
  return {
    reshapes: pinned.map(({ label, target }) => ({ label, fixable: fixableConstants.has(target) })),
    fixableConstants,
  };
}

/**
 * Rewrites dim 0 of every graph input and output from 1 to the symbolic `dimParam`, so one
 * session can run any batch size. Only a dim 0 of exactly 1 is touched: another fixed size, or a
 * rank-1 output with no batch axis, is not a batch. Inputs that are initializers (weights listed as
 * inputs by old exporters) are left alone. `value_info` entries are dropped rather than edited:
 * they are only shape hints that onnxruntime re-infers, a stale [1,…] hint would conflict with the
 * dynamic batch, and guessing which intermediate dim 0 of 1 is the batch could mislabel a real 1.
 *
 * Reshapes (top-level graph only) whose constant target starts with 1 would fold a batch of N
 * into one row; their 1 becomes 0, which copies the input's dim 0. That assumes their input's
 * dim 0 is the batch, as in an exporter's final flatten ([1,-1]); nothing here can check it, so a
 * caller batching an unfamiliar model should compare a batch against single runs once. Those that
 * cannot be rewritten are reported in `batchSpecificReshapes`. Nothing is changed, Reshapes
 * included, when no input or output had a batch of 1.
 */
export function makeBatchDimensionDynamic(model: Uint8Array, dimParam = 'batch'): BatchDimensionRewrite {
  const graphs = lenPayloads(model, MODEL_GRAPH);
  if (graphs.length !== 1) throw new Error(`expected one graph in the ONNX model, found ${graphs.length}`);
  const graph = graphs[0];
  const initializers = new Map<string, Uint8Array>();
  for (const tensor of lenPayloads(graph, GRAPH_INITIALIZER)) initializers.set(stringField(tensor, TENSOR_NAME), tensor);
  const pinned = findPinnedReshapes(graph, lenPayloads(graph, GRAPH_NODE), initializers);

  const rewrittenTensors: string[] = [];
  const rewriteIo = (valueInfo: Uint8Array) => {
    const rewritten = withSymbolicBatch(valueInfo, dimParam);
    if (rewritten !== valueInfo) rewrittenTensors.push(stringField(valueInfo, VALUE_INFO_NAME));
    return rewritten;
  };
  const editedGraph = editLenFields(graph, (field, payload) => {
    if (field === GRAPH_OUTPUT) return rewriteIo(payload);
    if (field === GRAPH_INPUT && !initializers.has(stringField(payload, VALUE_INFO_NAME))) return rewriteIo(payload);
    return payload;
  });
  if (rewrittenTensors.length === 0) {
    const batchSpecificReshapes = pinned.reshapes.map(({ label }) => label);
    return { model, rewrittenTensors, rewrittenReshapes: [], batchSpecificReshapes };
  }

  const { fixableConstants } = pinned;
  const finalGraph = editLenFields(editedGraph, (field, payload) => {
    if (field === GRAPH_VALUE_INFO) return null;
    if (field === GRAPH_INITIALIZER && fixableConstants.has(stringField(payload, TENSOR_NAME))) {
      return zeroFirstInt64IfOne(payload);
    }
    if (field === GRAPH_NODE && isOnnxOp(payload, 'Constant') && fixableConstants.has(stringFields(payload, NODE_OUTPUT)[0])) {
      return zeroConstantIfOne(payload);
    }
    return payload;
  });
  return {
    model: editField(model, MODEL_GRAPH, () => finalGraph),
    rewrittenTensors,
    rewrittenReshapes: pinned.reshapes.filter(({ fixable }) => fixable).map(({ label }) => label),
    batchSpecificReshapes: pinned.reshapes.filter(({ fixable }) => !fixable).map(({ label }) => label),
  };
}
