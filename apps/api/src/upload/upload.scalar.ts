import { GraphQLError, GraphQLScalarType } from 'graphql';
import { ErrorCode } from '../../../../libs/common/src/index.js';
import { UploadedFile } from './uploaded-file.js';

const notInline = () =>
  new GraphQLError('Upload values arrive as files of a multipart request (GraphQL multipart request spec), or use the *Base64 fields', {
    extensions: { code: ErrorCode.VALIDATION },
  });

/** `Upload`: a file sent per the GraphQL multipart request spec; resolvers receive an UploadedFile. */
export const UploadScalar = new GraphQLScalarType<UploadedFile, never>({
  name: 'Upload',
  description: 'A file sent per the GraphQL multipart request spec (https://github.com/jaydenseric/graphql-multipart-request-spec).',
  parseValue(value) {
    if (value instanceof UploadedFile) return value;
    throw notInline();
  },
  parseLiteral() {
    throw notInline();
  },
  serialize() {
    throw new GraphQLError('Upload is an input-only type');
  },
});
