import { Kind, type OperationDefinitionNode, parse } from 'graphql';
import { GRAPHQL_LIMITS } from '#contracts';
import type { GitlabUser } from '../identity/identity.service.js';
import { checkQueryLimits, measureOperation, queryLimitsFor } from './query-limits.js';

const operationOf = (query: string) => {
  const document = parse(query);
  return { document, operation: document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode };
};
const nested = (depth: number) => `{ ${'a { '.repeat(depth - 1)}b${' }'.repeat(depth - 1)} }`;
const user = (admin: boolean): GitlabUser => ({ id: 1, username: 'u', name: 'U', admin, groups: [], globalId: 'g' });

describe('query limits (GitlabSchema max_depth / max_complexity)', () => {
  it("takes GitLab's limits: anonymous 15/200, signed in 20/250, admin 20/300", () => {
    expect(queryLimitsFor(undefined)).toEqual({ maxDepth: 15, maxComplexity: 200 });
    expect(queryLimitsFor(user(false))).toEqual({ maxDepth: GRAPHQL_LIMITS.AUTHENTICATED_MAX_DEPTH, maxComplexity: 250 });
    expect(queryLimitsFor(user(true))).toEqual({ maxDepth: 20, maxComplexity: GRAPHQL_LIMITS.ADMIN_MAX_COMPLEXITY });
  });

  it('measures depth and complexity through fragments and inline fragments', () => {
    const { document, operation } = operationOf('{ a { ...F ... on T { c } } } fragment F on T { b { d } }');
    expect(measureOperation(document, operation)).toEqual({ depth: 3, complexity: 4 });
  });

  it("answers a query over the depth with graphql-ruby's message, and one at the limit with none", () => {
    const limits = queryLimitsFor(user(false));
    const at = operationOf(nested(20));
    expect(checkQueryLimits(at.document, at.operation, limits)).toEqual([]);
    const over = operationOf(nested(21));
    expect(checkQueryLimits(over.document, over.operation, limits).map((e) => e.message)).toEqual([
      'Query has depth of 21, which exceeds max depth of 20',
    ]);
    const anonymous = operationOf(nested(16));
    expect(checkQueryLimits(anonymous.document, anonymous.operation, queryLimitsFor(undefined)).map((e) => e.message)).toEqual([
      'Query has depth of 16, which exceeds max depth of 15',
    ]);
  });
});
