import { Inject, Injectable } from '@nestjs/common';
import { type OAuthAccessTokenInfo, OAuthAccessTokenLookup } from '../auth/oauth-access-token-lookup.js';
import { AuthorizationServer } from './authorization-server.js';

const GRANT_MODEL = 'Grant';

/**
 * The REST API's view of the authorization server's access tokens (the auth module's
 * OAuthAccessTokenLookup port), read from the server's store: oidc-provider's
 * `AccessToken.find` answers only live tokens, while GitLab tells an expired or revoked token
 * (401 invalid_token) from an unknown one, so the store keeps those as tombstones.
 *
 * A token whose grant is gone counts as revoked (oidc-provider revokes a grant's tokens with
 * it). Using a token revokes the older access tokens of its chain, as GitLab does on every API
 * authentication: `oauth_token.revoke_previous_refresh_token!` (GitLab
 * lib/gitlab/auth/auth_finders.rb, `find_oauth_access_token`), since GitLab's
 * oauth_access_tokens has Doorkeeper's `previous_refresh_token` column, so a refresh does not
 * revoke the old token at once (Doorkeeper lib/doorkeeper/oauth/refresh_token_request.rb,
 * `before_successful_response`: `refresh_token.revoke unless refresh_token_revoked_on_use?`).
 */
@Injectable()
export class ProviderAccessTokenLookup extends OAuthAccessTokenLookup {
  constructor(@Inject(AuthorizationServer) private readonly server: AuthorizationServer) {
    super();
  }

  async find(token: string): Promise<OAuthAccessTokenInfo | undefined> {
    return this.describe(token)?.info;
  }

  /** The token's state and when it was issued (epoch seconds); using a live token revokes the older ones of its chain. */
  describe(token: string): { info: OAuthAccessTokenInfo; issuedAt: number } | undefined {
    const { store } = this.server;
    const record = store.accessToken(token);
    const payload = record?.payload;
    if (!payload || typeof payload.accountId !== 'string' || !/^\d+$/.test(payload.accountId) || typeof payload.exp !== 'number') return undefined;
    const grantLive = typeof payload.grantId === 'string' && store.find(GRANT_MODEL, payload.grantId) !== undefined;
    const revoked = record.revoked || !grantLive;
    const expiresAt = payload.exp;
    if (!revoked && expiresAt * 1000 >= Date.now()) store.revokeAccessTokensBefore(payload.grantId!, token);
    const info: OAuthAccessTokenInfo = {
      userId: Number(payload.accountId),
      scopes: typeof payload.scope === 'string' && payload.scope ? payload.scope.split(' ') : [],
      expiresAt,
      clientId: String(payload.clientId),
      revoked,
    };
    return { info, issuedAt: typeof payload.iat === 'number' ? payload.iat : expiresAt };
  }
}
