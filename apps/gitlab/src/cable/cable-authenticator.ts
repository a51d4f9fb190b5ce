import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../auth/actor.js';
import type { CredentialRequest } from '../auth/credentials.js';
import { grantsAnyOf } from '../auth/scopes.js';
import { OAuthAccessTokenStrategy } from '../auth/strategies/oauth-access-token.strategy.js';
import { PersonalAccessTokenStrategy } from '../auth/strategies/personal-access-token.strategy.js';
import { SessionStrategy } from '../auth/strategies/session.strategy.js';

/**
 * The credentials of the WebSocket upgrade request, read the way the REST API reads them (the
 * same passport strategies), with GitLab's cable rules on top:
 *
 * - connect (app/channels/application_cable/connection.rb `connect`):
 *   `find_user_from_bearer_token || find_user_from_session_store`, `rescue
 *   Gitlab::Auth::AuthenticationError` -> `reject_unauthorized_connection`. So a presented token
 *   (OAuth access token, then personal access token: `Authorization: Bearer`, `PRIVATE-TOKEN`,
 *   `private_token`) decides alone: unknown, expired or revoked -> the connection is refused; no
 *   token -> the `_gitlab_session` cookie; neither -> an anonymous connection, accepted (its
 *   subscriptions then fail in GraphQL, "Unauthorized subscription").
 * - subscribe (app/channels/application_cable/channel.rb `before_subscribe
 *   :validate_token_scope`): the token is found and validated again with the channel's scopes
 *   (`validate_and_save_access_token!(scopes: authorization_scopes)`); any AuthenticationError
 *   (now expired or revoked, gone, insufficient scope) -> `reject`. A session connection has no
 *   token and passes.
 *
 * The upgrade is a GET, so the session needs no CSRF token (the Origin check stands in for it).
 */
@Injectable()
export class CableAuthenticator {
  constructor(
    @Inject(OAuthAccessTokenStrategy) private readonly oauthToken: OAuthAccessTokenStrategy,
    @Inject(PersonalAccessTokenStrategy) private readonly personalToken: PersonalAccessTokenStrategy,
    @Inject(SessionStrategy) private readonly session: SessionStrategy,
  ) {}

  /**
   * The connection's actor: an Actor, `undefined` for an anonymous connection, or
   * `'unauthorized'` when a presented token is refused (the strategies' errors are not kept:
   * they carry nothing the cable sends).
   */
  async connect(req: CredentialRequest): Promise<Actor | undefined | 'unauthorized'> {
    try {
      const byToken = await this.tokenActor(req);
      if (byToken) return byToken;
      return this.session.validate({ ...req, method: 'GET' }) ?? undefined;
    } catch {
      return 'unauthorized';
    }
  }

  /**
   * Whether the connection may subscribe to a channel needing one of `scopes`, re-reading the
   * upgrade request's token now: `{ok: true, actor}` with the token's current actor (undefined
   * when the request carries no token), or `{ok: false}`.
   */
  async subscribe(req: CredentialRequest, scopes: readonly string[]): Promise<{ ok: true; actor: Actor | undefined } | { ok: false }> {
    try {
      const actor = await this.tokenActor(req);
      if (actor && actor.via !== 'session' && !grantsAnyOf(actor.scopes, scopes)) return { ok: false };
      return { ok: true, actor };
    } catch {
      return { ok: false };
    }
  }

  /** AuthFinders `access_token`: an OAuth access token, else a personal access token; throws for a refused one. */
  private async tokenActor(req: CredentialRequest): Promise<Actor | undefined> {
    return (await this.oauthToken.validate(req)) ?? this.personalToken.validate(req) ?? undefined;
  }
}
