import type { ExecutionResult } from 'graphql';
import type { Actor } from '../auth/actor.js';

/** One GraphQL subscription request, as a GraphqlChannel `subscribe` carries it. */
export interface GraphqlSubscriptionRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/**
 * The port through which transports other than HTTP (ActionCable's GraphqlChannel at /-/cable)
 * run GraphQL subscriptions against the app's one schema, with the same scope rules and context
 * as POST /api/graphql.
 *
 * `subscribe` resolves to:
 * - an async iterator of ExecutionResults (one per event) when the subscription is accepted;
 * - a single ExecutionResult carrying `errors` when it is refused (scope denial, validation error,
 *   parse error, not a subscription): GitLab's GraphqlChannel then sends that result as a message
 *   (or reject_subscription when the actor may not subscribe at all).
 *
 * `actor` is undefined for an anonymous connection. Never throws for bad input.
 *
 * The channel decides first whether a token may subscribe at all: GitLab's GraphqlChannel
 * admits tokens with `authorization_scopes` = `api`, `read_api` (+ `ai_features` in EE,
 * ee/app/channels/ee/graphql_channel.rb), so a `read_user` token is rejected at subscribe time
 * (reject_subscription); graphql-auth.guard.ts `graphqlAuthenticationScopes` gives that list.
 * What the operation may then see is decided here, by the scopes declared on the schema.
 */
export abstract class GraphqlSubscriptions {
  abstract subscribe(
    request: GraphqlSubscriptionRequest,
    actor: Actor | undefined,
  ): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
}
