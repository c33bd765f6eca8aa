// ONNX field numbers and enum values (onnx/onnx.proto), shared by the model editor and the encoder.

export const MODEL_IR_VERSION = 1;
export const MODEL_PRODUCER_NAME = 2;
export const MODEL_PRODUCER_VERSION = 3;
export const MODEL_DOC_STRING = 6;
export const MODEL_GRAPH = 7;
export const MODEL_OPSET_IMPORT = 8;
export const MODEL_METADATA_PROPS = 14;
export const OPSET_DOMAIN = 1;
export const OPSET_VERSION = 2;
export const STRING_ENTRY_KEY = 1;
export const STRING_ENTRY_VALUE = 2;
export const GRAPH_NODE = 1;
export const GRAPH_NAME = 2;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
export const GRAPH_VALUE_INFO = 13;
export const NODE_INPUT = 1;
export const NODE_OUTPUT = 2;
export const NODE_NAME = 3;
export const NODE_OP_TYPE = 4;
export const NODE_ATTRIBUTE = 5;
export const NODE_DOMAIN = 7;
export const ATTRIBUTE_NAME = 1;
export const ATTRIBUTE_I = 3;
export const ATTRIBUTE_T = 5;
export const ATTRIBUTE_G = 6;
export const ATTRIBUTE_INTS = 8;
export const ATTRIBUTE_GRAPHS = 11;
export const ATTRIBUTE_TYPE = 20;
export const VALUE_INFO_NAME = 1;
export const VALUE_INFO_TYPE = 2;
export const TYPE_TENSOR_TYPE = 1;
export const TENSOR_TYPE_ELEM_TYPE = 1;
export const TENSOR_TYPE_SHAPE = 2;
export const SHAPE_DIM = 1;
export const DIM_VALUE = 1;
export const DIM_PARAM = 2;
export const TENSOR_DIMS = 1;
export const TENSOR_DATA_TYPE = 2;
export const TENSOR_INT64_DATA = 7;
export const TENSOR_NAME = 8;
export const TENSOR_RAW_DATA = 9;

// TensorProto.DataType
export const DATA_TYPE_FLOAT = 1;
export const DATA_TYPE_INT64 = 7;

// AttributeProto.AttributeType
export const ATTRIBUTE_TYPE_INT = 2;
export const ATTRIBUTE_TYPE_INTS = 7;
