import { GraphQLError } from 'graphql';
import { GRAPHQL_RESOURCE_ACCESS_ERROR } from '#contracts';

/**
 * Gitlab::Graphql::Errors::ResourceNotAvailable with RESOURCE_ACCESS_ERROR: what a resolver
 * raises for an object that does not exist or that the user may not act on (`authorized_find!`),
 * the two indistinguishable on purpose.
 */
export function resourceNotAvailable(): GraphQLError {
  return new GraphQLError(GRAPHQL_RESOURCE_ACCESS_ERROR);
}
