/**
 * Every error a client can act on carries one of these codes. Transports map them once
 * (GraphQL: `extensions.code`); anything else is an internal error.
 */
export enum ErrorCode {
  INVALID_IMAGE = 'INVALID_IMAGE',
  IMAGE_TOO_LARGE = 'IMAGE_TOO_LARGE',
  NO_FACE = 'NO_FACE',
  MULTIPLE_FACES = 'MULTIPLE_FACES',
  /** The face fails the enrollment quality gate (details: reasons and measures). */
  LOW_QUALITY = 'LOW_QUALITY',
  NOT_FOUND = 'NOT_FOUND',
  ALREADY_EXISTS = 'ALREADY_EXISTS',
  VALIDATION = 'VALIDATION',
  DIMENSION_MISMATCH = 'DIMENSION_MISMATCH',
  MODEL_UNAVAILABLE = 'MODEL_UNAVAILABLE',
  /** An imported model (manifest or ONNX file) fails validation; `details.reason` says which check, with its findings. */
  MODEL_INVALID = 'MODEL_INVALID',
  /** The model cannot be made active: its embeddings do not cover the faces it would serve (`details.missingFaces`). */
  MODEL_NOT_READY = 'MODEL_NOT_READY',
  /** No API key, or one that is unknown or revoked. */
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  /** The key's role does not allow the operation. */
  FORBIDDEN = 'FORBIDDEN',
  /** The key (or client address) used up its request budget; retry after `details.retryAfterSeconds`. */
  RATE_LIMITED = 'RATE_LIMITED',
  /** The GraphQL operation is deeper or costlier than the configured limits. */
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  /** The model migration is not in a state that allows the operation (details: status). */
  MIGRATION_STATE = 'MIGRATION_STATE',
  /** A query ran past REQUEST_TIMEOUT_MS. */
  TIMEOUT = 'TIMEOUT',
  INTERNAL = 'INTERNAL',
}

export class DomainException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Safe, structured details for the client (never image bytes or embeddings). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainException';
  }
}

export const notFound = (what: string, id: string) =>
  new DomainException(ErrorCode.NOT_FOUND, `${what} ${JSON.stringify(id)} not found`, { what, id });
