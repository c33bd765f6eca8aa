import {
  ASTVisitor, FragmentDefinitionNode, GraphQLError, Kind, SelectionSetNode, ValidationContext, ValidationRule,
} from 'graphql';
import { DomainException, ErrorCode } from '../../../../libs/common/src/index.js';

export interface QueryLimits {
  maxDepth: number;
  maxComplexity: number;
  /** Root fields that run the models; each costs `modelFieldCost` instead of 1. */
  modelFields: ReadonlySet<string>;
  modelFieldCost: number;
}

interface Measure {
  depth: number;
  cost: number;
}

/**
 * Refuses operations deeper or costlier than the limits before anything executes. Fragments are
 * measured once each, so a document that spreads fragments exponentially is measured in linear time
 * (and refused for its exponential cost). Introspection fields are free and do not count for depth.
 */
export function queryLimitsRule(limits: QueryLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const measured = new Map<string, Measure>();

    const measure = (selectionSet: SelectionSetNode, atRoot: boolean, visiting: Set<string>): Measure => {
      let depth = 0;
      let cost = 0;
      const add = (inner: Measure, extraDepth: number) => {
        depth = Math.max(depth, inner.depth + extraDepth);
        cost += inner.cost;
      };
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          cost += atRoot && limits.modelFields.has(selection.name.value) ? limits.modelFieldCost : 1;
          add(selection.selectionSet ? measure(selection.selectionSet, false, visiting) : { depth: 0, cost: 0 }, 1);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          add(measure(selection.selectionSet, atRoot, visiting), 0);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || visiting.has(name)) continue; // unknown or cyclic: other rules report it
          const key = `${name}:${atRoot}`;
          if (!measured.has(key)) measured.set(key, measure(fragment.selectionSet, atRoot, new Set([...visiting, name])));
          add(measured.get(key)!, 0);
        }
      }
      return { depth, cost };
    };

    return {
      OperationDefinition(operation) {
        const { depth, cost } = measure(operation.selectionSet, true, new Set());
        // The domain exception rides along as originalError, so the error formatter keeps its code.
        const refuse = (message: string) =>
          context.reportError(new GraphQLError(message, { nodes: [operation], originalError: new DomainException(ErrorCode.QUERY_TOO_COMPLEX, message) }));
        if (depth > limits.maxDepth) refuse(`The operation is ${depth} levels deep; the limit is ${limits.maxDepth} (GRAPHQL_MAX_DEPTH)`);
        if (cost > limits.maxComplexity) {
          refuse(`The operation costs ${cost} (model fields ${limits.modelFieldCost} each, other fields 1); the limit is ${limits.maxComplexity} (GRAPHQL_MAX_COMPLEXITY)`);
        }
      },
    };
  };
}
