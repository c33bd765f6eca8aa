/** Why an ONNX embedder was refused at import; each names one thing the person importing it can fix. */
export enum ModelImportFailure {
  /** The manifest is missing fields or has values the platform cannot use (details.problems). */
  MANIFEST = 'MANIFEST',
  /** The file named for import does not exist or cannot be read. */
  UNREADABLE = 'UNREADABLE',
  /** The upload is larger than the transport accepts (import it by path instead). */
  TOO_LARGE = 'TOO_LARGE',
  /** The bytes are not an ONNX model (ModelProto) at all. */
  NOT_ONNX = 'NOT_ONNX',
  /** The bytes start like an ONNX model but end early (an interrupted download or copy). */
  TRUNCATED = 'TRUNCATED',
  SHA256_MISMATCH = 'SHA256_MISMATCH',
  /** onnxruntime refused the graph (unknown operator, bad opset, inconsistent shapes…). */
  LOAD_FAILED = 'LOAD_FAILED',
  /** The graph's input is not the manifest's: name, element type, or shape [batch, 3, height, width]. */
  INPUT_MISMATCH = 'INPUT_MISMATCH',
  /** The manifest's output name is not an output of the graph. */
  OUTPUT_MISMATCH = 'OUTPUT_MISMATCH',
  /** The graph yields another number of values per face than the manifest's output.dimension. */
  OUTPUT_DIMENSION = 'OUTPUT_DIMENSION',
  /** NaN or ±Infinity in an embedding of a real face. */
  NON_FINITE = 'NON_FINITE',
  /** The same face run twice gave different embeddings. */
  NON_DETERMINISTIC = 'NON_DETERMINISTIC',
  /** A batch of faces gave other embeddings than the same faces one at a time. */
  BATCH_INCONSISTENT = 'BATCH_INCONSISTENT',
  /** Different faces gave (nearly) the same embedding: the output does not depend on the face. */
  DEGENERATE_OUTPUT = 'DEGENERATE_OUTPUT',
}

/** A refused import: the failure, a message for a person, and safe structured details. */
export class ModelImportError extends Error {
  constructor(
    readonly failure: ModelImportFailure,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ModelImportError';
  }
}
