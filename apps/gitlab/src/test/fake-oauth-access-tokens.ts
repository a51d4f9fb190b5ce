import { type OAuthAccessTokenInfo, OAuthAccessTokenLookup } from '../auth/oauth-access-token-lookup.js';

/**
 * An OAuthAccessTokenLookup over a map, standing in for the oauth module's store: tokens are
 * issued, expired (by their expiresAt) and revoked by the test, and found as the port says
 * (live, expired and revoked tokens all found; unknown ones not).
 */
export class FakeOAuthAccessTokens extends OAuthAccessTokenLookup {
  private readonly grants = new Map<string, OAuthAccessTokenInfo>();
  /** Every token asked for, in order. */
  readonly asked: string[] = [];

  issue(token: string, grant: OAuthAccessTokenInfo): this {
    this.grants.set(token, grant);
    return this;
  }

  revoke(token: string): void {
    const grant = this.grants.get(token);
    if (grant) this.grants.set(token, { ...grant, revoked: true });
  }

  override async find(token: string): Promise<OAuthAccessTokenInfo | undefined> {
    this.asked.push(token);
    const grant = this.grants.get(token);
    return grant && { ...grant };
  }
}
