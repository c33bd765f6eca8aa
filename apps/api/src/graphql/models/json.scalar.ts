import { GraphQLError, GraphQLScalarType } from 'graphql';

/** `JSON`: an output-only object of small, documented details (audit entries). */
export const JsonScalar = new GraphQLScalarType<never, unknown>({
  name: 'JSON',
  description: 'A JSON object (output only).',
  serialize: (value) => value,
  parseValue() {
    throw new GraphQLError('JSON is an output-only type');
  },
  parseLiteral() {
    throw new GraphQLError('JSON is an output-only type');
  },
});
