import type { Actor } from '../auth/actor.js';
import { tokenScopes } from '../auth/actor.js';

/**
 * The context of one GraphQL operation, the same over HTTP and ActionCable (GitLab keeps
 * GraphqlController#context and GraphqlChannel#context alike for this reason).
 */
export interface GraphqlContext {
  /** Who runs the operation; undefined for an anonymous request (public data only). */
  actor: Actor | undefined;
  /**
   * The access token's scopes, or undefined when the request is not an API user's (a session or
   * anonymous): Gitlab::Auth::ScopeValidator then allows everything (`return true unless @api_user`).
   */
  tokenScopes: readonly string[] | undefined;
}

/** The context of an operation run by `actor`. */
export function graphqlContext(actor: Actor | undefined): GraphqlContext {
  return { actor, tokenScopes: actor ? tokenScopes(actor) : undefined };
}
