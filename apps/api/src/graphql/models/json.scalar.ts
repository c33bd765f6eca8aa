import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';

const objectOnly = () => new GraphQLError('JSON input must be an object');

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `JSON`: a JSON object. Out: small, documented details (audit entries, validation reports); in: a model manifest. */
export const JsonScalar = new GraphQLScalarType<Record<string, unknown>, unknown>({
  name: 'JSON',
  description: 'A JSON object.',
  serialize: (value) => value,
  parseValue(value) {
    if (isObject(value)) return value;
    throw objectOnly();
  },
  parseLiteral(ast, variables) {
    if (ast.kind !== Kind.OBJECT) throw objectOnly();
    return valueFromASTUntyped(ast, variables) as Record<string, unknown>;
  },
});
