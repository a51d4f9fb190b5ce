import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { type Actor, tokenScopes } from './actor.js';
import { ALLOWED_SCOPES_KEY, setActor } from './allow-access-with-scope.decorator.js';
import { insufficientScope, unauthorized } from './api-errors.js';
import { allowedScopes, grantsAnyOf } from './scopes.js';
import { StrategyNames } from './strategy-names.js';

/**
 * API::APIGuard as a Nest guard on @nestjs/passport: authenticates a REST API request or
 * answers with GitLab's exact error.
 *
 * The credentials, in GitLab's order (lib/api/api_guard.rb `find_user_from_sources`:
 * `find_user_from_bearer_token` before `user_from_warden`; lib/gitlab/auth/auth_finders.rb
 * `access_token`: `find_oauth_access_token`, then `find_personal_access_token`):
 * 1. OAuth access token (`Authorization: Bearer`);
 * 2. personal access token (`PRIVATE-TOKEN`, `private_token`, `Authorization: Bearer`);
 * 3. browser session (cookie, plus the CSRF token unless GET or HEAD).
 * Passport tries them in turn; a strategy that finds its credential but refuses it ends the
 * chain with its error (a presented token never falls back to the session).
 *
 * Answers: no credential accepted -> 401 `{"message":"401 Unauthorized"}`; a token the
 * strategy refused -> its error as thrown (401, or 401 `invalid_token` with `WWW-Authenticate`);
 * a token with none of the endpoint's allowed scopes (allowedScopes: `@AllowAccessWithScope`,
 * `api`, and `read_api` on GET/HEAD) -> 403 `insufficient_scope` naming them. Personal access
 * tokens and OAuth access tokens are held to the same scopes; a session has every scope.
 * The actor is recorded for `@CurrentActor()`.
 */
@Injectable()
export class ApiGuard extends AuthGuard() {
  constructor(
    @Inject(StrategyNames) names: StrategyNames,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {
    super({ defaultStrategy: [names.oauthAccessToken, names.personalAccessToken, names.session] });
  }

  override handleRequest<TUser = Actor>(err: unknown, actor: Actor | false | null | undefined, _info: unknown, context: ExecutionContext): TUser {
    if (err) throw err;
    if (!actor) throw unauthorized();
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const granted = tokenScopes(actor);
    if (granted) {
      const endpointScopes =
        this.reflector.getAllAndOverride<string[] | undefined>(ALLOWED_SCOPES_KEY, [context.getHandler(), context.getClass()]) ?? [];
      const allowed = allowedScopes(req.method, endpointScopes);
      if (!grantsAnyOf(granted, allowed)) throw insufficientScope(allowed);
    }
    setActor(req, actor);
    return actor as TUser;
  }
}
