import { HttpException, Logger } from '@nestjs/common';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { DomainException, ErrorCode } from '../../../../libs/common/src/index.js';

const logger = new Logger('GraphQL');

/** Apollo's own codes for requests that never reached a resolver (syntax, unknown field, bad variable). */
const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * The one place where errors become GraphQL errors: domain exceptions keep their code and safe
 * details, request errors are VALIDATION (with Apollo's code kept as `reason`), and anything else is
 * logged and answered as INTERNAL without internals.
 */
export function formatGraphqlError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const unwrapped = unwrapResolverError(error);
  // Request-level errors (validation rules) carry a domain exception one level down.
  const original = unwrapped instanceof GraphQLError && unwrapped.originalError instanceof DomainException ? unwrapped.originalError : unwrapped;
  if (original instanceof DomainException) {
    return { ...formatted, message: original.message, extensions: { code: original.code, ...(original.details ? { details: original.details } : {}) } };
  }
  if (original instanceof HttpException && original.getStatus() === 400) {
    const response = original.getResponse() as { message?: string | string[] };
    const messages = Array.isArray(response.message) ? response.message : [response.message ?? original.message];
    return { ...formatted, message: messages.join('; '), extensions: { code: ErrorCode.VALIDATION } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && Object.values(ErrorCode).includes(code as ErrorCode)) return formatted;
  if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
    return { ...formatted, extensions: { code: ErrorCode.VALIDATION, reason: code } };
  }
  logger.error(formatted.message, original instanceof Error ? original.stack : undefined);
  return { message: 'Internal error', path: formatted.path, locations: formatted.locations, extensions: { code: ErrorCode.INTERNAL } };
}
