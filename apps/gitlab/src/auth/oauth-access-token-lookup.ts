/**
 * The port between the API's credential check and the OAuth authorization server: what the
 * REST API needs to know about an OAuth access token presented as `Authorization: Bearer`
 * (GitLab authenticates OAuth access tokens like personal access tokens, with their scopes).
 * The oauth module provides the implementation, backed by the authorization server's store.
 */
export interface OAuthAccessTokenInfo {
  /** The user (resource owner) the token acts for: the identity service's user id. */
  userId: number;
  /** Granted scopes, e.g. ['api'] or ['ai_features']. */
  scopes: readonly string[];
  /** Expiry, seconds since the epoch (Doorkeeper's created_at + expires_in). */
  expiresAt: number;
  /** The OAuth application (client_id) it was issued to. */
  clientId: string;
  /**
   * True once the token was revoked (RFC 7009 revocation, refresh rotation, a replayed code or
   * a reused refresh token revoking its family). Doorkeeper keeps such a token with its
   * `revoked_at`, so GitLab can answer it with `invalid_token` "Token was revoked".
   */
  revoked?: boolean;
}

export abstract class OAuthAccessTokenLookup {
  /**
   * The token's grant, whether live, expired or revoked; undefined only when the server never
   * issued it (or has forgotten it). An expired or revoked token must still be found for the
   * API to answer it with 401 `invalid_token` as GitLab does; one that is not found gets the
   * plain 401 `{"message":"401 Unauthorized"}`.
   */
  abstract find(token: string): Promise<OAuthAccessTokenInfo | undefined>;
}
