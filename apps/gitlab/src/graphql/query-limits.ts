import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { GRAPHQL_LIMITS } from '#contracts';
import type { GitlabUser } from '../identity/identity.service.js';

/** The depth and complexity a query may reach. */
export interface QueryLimits {
  maxDepth: number;
  maxComplexity: number;
}

/**
 * GitlabSchema's limits for the user running the query (app/graphql/gitlab_schema.rb
 * `max_query_complexity`, `max_query_depth`): anonymous 200/15, signed in 250/20, admin 300/20.
 */
export function queryLimitsFor(user: GitlabUser | undefined): QueryLimits {
  if (!user) return { maxDepth: GRAPHQL_LIMITS.DEFAULT_MAX_DEPTH, maxComplexity: GRAPHQL_LIMITS.DEFAULT_MAX_COMPLEXITY };
  return {
    maxDepth: GRAPHQL_LIMITS.AUTHENTICATED_MAX_DEPTH,
    maxComplexity: user.admin ? GRAPHQL_LIMITS.ADMIN_MAX_COMPLEXITY : GRAPHQL_LIMITS.AUTHENTICATED_MAX_COMPLEXITY,
  };
}

/** Depth (nested fields, a root field is 1) and complexity (1 per field, Types::BaseField DEFAULT_COMPLEXITY) of an operation. */
export interface QueryMeasure {
  depth: number;
  complexity: number;
}

/**
 * Measures the operation of a validated document (fragments expanded; validation has already
 * refused cycles and unknown fragments). Every field costs 1 as in Types::BaseField; the
 * emulator's schema has no connection multipliers worth modelling.
 */
export function measureOperation(document: DocumentNode, operation: OperationDefinitionNode): QueryMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);

  const walk = (set: SelectionSetNode, depth: number): QueryMeasure => {
    let maxDepth = depth;
    let complexity = 0;
    for (const selection of set.selections) {
      let inner: QueryMeasure | undefined;
      if (selection.kind === Kind.FIELD) {
        complexity += 1;
        inner = selection.selectionSet ? walk(selection.selectionSet, depth + 1) : { depth: depth + 1, complexity: 0 };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = walk(selection.selectionSet, depth);
      } else {
        const fragment = fragments.get(selection.name.value);
        inner = fragment ? walk(fragment.selectionSet, depth) : undefined;
      }
      if (inner) {
        maxDepth = Math.max(maxDepth, inner.depth);
        complexity += inner.complexity;
      }
    }
    return { depth: maxDepth, complexity };
  };
  return walk(operation.selectionSet, 0);
}

/**
 * The errors graphql-ruby's MaxQueryDepth and MaxQueryComplexity analyzers give a query over
 * the limits (their messages, no locations); none when within them.
 */
export function checkQueryLimits(document: DocumentNode, operation: OperationDefinitionNode, limits: QueryLimits): GraphQLError[] {
  const { depth, complexity } = measureOperation(document, operation);
  const errors: GraphQLError[] = [];
  if (depth > limits.maxDepth) errors.push(new GraphQLError(`Query has depth of ${depth}, which exceeds max depth of ${limits.maxDepth}`));
  if (complexity > limits.maxComplexity) {
    errors.push(new GraphQLError(`Query has complexity of ${complexity}, which exceeds max complexity of ${limits.maxComplexity}`));
  }
  return errors;
}
