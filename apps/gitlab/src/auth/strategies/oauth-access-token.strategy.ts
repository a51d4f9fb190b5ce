import { Inject, Injectable, Optional } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { IdentityService } from '../../identity/identity.service.js';
import { CLOCK, type Clock } from '../../instance/di.js';
import type { Actor } from '../actor.js';
import { type InvalidTokenState, invalidToken, unauthorized } from '../api-errors.js';
import { type CredentialRequest, bearerToken } from '../credentials.js';
import { type OAuthAccessTokenInfo, OAuthAccessTokenLookup } from '../oauth-access-token-lookup.js';
import { NamedCustomStrategy, StrategyNames } from '../strategy-names.js';

/**
 * The state of an OAuth access token at `nowMs`, in AccessTokenValidationService#validate's
 * order: expired first (Doorkeeper's `expired?`: now > created_at + expires_in, so a token is
 * still good in its last second), then revoked.
 */
export function oauthTokenState(grant: OAuthAccessTokenInfo, nowMs: number): InvalidTokenState | 'active' {
  if (nowMs > grant.expiresAt * 1000) return 'expired';
  if (grant.revoked) return 'revoked';
  return 'active';
}

/**
 * An OAuth access token in `Authorization: Bearer`, looked up through OAuthAccessTokenLookup
 * (AuthFinders `find_oauth_access_token`, lib/gitlab/auth/auth_finders.rb).
 *
 * No Bearer token, or no authorization server in this app: not this credential. A Bearer token
 * the server does not know is not refused here: GitLab's `access_token` rescues the
 * UnauthorizedError and looks for a personal access token sent as Bearer, so passport moves on
 * to the personal access token strategy. A known token decides alone: expired, then revoked ->
 * 401 `invalid_token` with its challenge, as for personal access tokens; a token whose user is
 * gone -> 401 `{"message":"401 Unauthorized"}` (`access_token.user || raise(UnauthorizedError)`).
 */
@Injectable()
export class OAuthAccessTokenStrategy extends PassportStrategy(NamedCustomStrategy) {
  constructor(
    @Inject(StrategyNames) names: StrategyNames,
    @Inject(IdentityService) private readonly identity: IdentityService,
    @Inject(CLOCK) private readonly clock: Clock,
    // Provided by the oauth module; the API works with personal access tokens and sessions without it.
    @Optional() @Inject(OAuthAccessTokenLookup) private readonly lookup?: OAuthAccessTokenLookup,
  ) {
    super(names.oauthAccessToken);
  }

  async validate(req: CredentialRequest): Promise<Actor | null> {
    const token = this.lookup && bearerToken(req);
    if (!token) return null;
    const grant = await this.lookup!.find(token);
    if (!grant) return null;
    const state = oauthTokenState(grant, this.clock.now());
    if (state !== 'active') throw invalidToken(state);
    const user = this.identity.findUserById(grant.userId);
    if (!user) throw unauthorized();
    return { via: 'oauth_access_token', user, scopes: grant.scopes, clientId: grant.clientId, expiresAt: grant.expiresAt };
  }
}
