import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ContractHttpException } from '#common';
import { FEATURE_FLAG, GRAPHQL_CONTROLLER_ERROR, GRAPHQL_SCOPE } from '#contracts';
import { type Actor, tokenScopes } from '../auth/actor.js';
import { setActor } from '../auth/allow-access-with-scope.decorator.js';
import { presentedToken } from '../auth/credentials.js';
import { grantsAnyOf } from '../auth/scopes.js';
import { StrategyNames } from '../auth/strategy-names.js';
import { FeatureFlagsService } from '../feature-flags/feature-flags.service.js';

/** 401 `{"errors":[{"message":"Invalid token"}]}` (GraphqlController `authorize_access_api!` via `render_error`). */
export function graphqlInvalidToken(): ContractHttpException {
  return new ContractHttpException({ errors: [{ message: GRAPHQL_CONTROLLER_ERROR.INVALID_TOKEN }] }, 401);
}

/**
 * The access token scopes that authenticate a GraphQL request:
 * - `graphql_minimal_auth_methods` on: `authenticate_graphql` ->
 *   `find_user_from_web_access_token(:api, scopes: authorization_scopes)`, with EE's
 *   `authorization_scopes` = `[:api, :read_api] + [:ai_features]` (app/controllers/graphql_controller.rb,
 *   ee/app/controllers/ee/graphql_controller.rb);
 * - off: `authenticate_sessionless_user!(:api)` -> `find_user_from_any_authentication_method`,
 *   whose web access token check takes `[:api, :read_api]` only
 *   (lib/gitlab/auth/request_authenticator.rb), so an `ai_features` token does not authenticate.
 * The per-field scopes (scope-enforcement.ts) apply after this.
 */
export function graphqlAuthenticationScopes(minimalAuthMethods: boolean): readonly string[] {
  const base = [GRAPHQL_SCOPE.API, GRAPHQL_SCOPE.READ_API];
  return minimalAuthMethods ? [...base, GRAPHQL_SCOPE.AI_FEATURES] : base;
}

/**
 * Authentication of /api/graphql as GitLab's GraphqlController does it, on the app's passport
 * strategies (OAuth access token, personal access token, browser session: auth/strategies):
 * - a token that authenticates with one of graphqlAuthenticationScopes -> that actor;
 * - a token presented that does not (unknown, expired, revoked, wrong scopes) -> 401
 *   `{"errors":[{"message":"Invalid token"}]}`: the finders' AuthenticationError is rescued into
 *   no user, then `authorize_access_api!` refuses a request that carried a token;
 * - a session with its CSRF token (any request) or without (GET/HEAD) -> the session's user;
 *   a POST whose CSRF token is missing or wrong runs anonymously
 *   (`protect_from_forgery with: :null_session`);
 * - nothing -> anonymous (`skip_before_action :authenticate_user!`: public data only).
 * The actor (or none) is recorded for the controller (`actorOf`).
 */
@Injectable()
export class GraphqlAuthGuard extends AuthGuard() {
  constructor(
    @Inject(StrategyNames) names: StrategyNames,
    @Inject(FeatureFlagsService) private readonly flags: FeatureFlagsService,
  ) {
    super({ defaultStrategy: [names.oauthAccessToken, names.personalAccessToken, names.session] });
  }

  override handleRequest<TUser = Actor | null>(err: unknown, actor: Actor | false | null | undefined, _info: unknown, context: ExecutionContext): TUser {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (err) {
      // The strategies refuse tokens with ContractHttpExceptions; anything else is a bug.
      if (err instanceof ContractHttpException) throw graphqlInvalidToken();
      throw err;
    }
    if (!actor) {
      if (presentedToken(req) !== undefined) throw graphqlInvalidToken();
      return null as TUser;
    }
    const granted = tokenScopes(actor);
    const minimal = this.flags.isEnabled(FEATURE_FLAG.GRAPHQL_MINIMAL_AUTH_METHODS);
    if (granted && !grantsAnyOf(granted, graphqlAuthenticationScopes(minimal))) throw graphqlInvalidToken();
    setActor(req, actor);
    return actor as TUser;
  }
}
