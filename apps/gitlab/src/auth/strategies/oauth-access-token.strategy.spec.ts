import { GITLAB_ERROR, GITLAB_INVALID_TOKEN_DESCRIPTION, gitlabInvalidTokenError } from '#contracts';
import { type AuthFixture, NOW_MS, NOW_S, authFixture } from '../../test/auth-fixture.js';
import { contractError } from '../../test/rejection.js';
import type { OAuthAccessTokenInfo } from '../oauth-access-token-lookup.js';
import { type OAuthAccessTokenStrategy, oauthTokenState } from './oauth-access-token.strategy.js';

const grant = (over: Partial<OAuthAccessTokenInfo> = {}): OAuthAccessTokenInfo => ({
  userId: 1,
  scopes: ['ai_features'],
  expiresAt: NOW_S + 7200,
  clientId: 'web-ide',
  ...over,
});

describe('oauthTokenState (AccessTokenValidationService order, Doorkeeper expiry)', () => {
  it('keeps a token good through its last second, then expired', () => {
    expect(oauthTokenState(grant({ expiresAt: NOW_S }), NOW_MS)).toBe('active');
    expect(oauthTokenState(grant({ expiresAt: NOW_S }), NOW_MS + 1)).toBe('expired');
  });

  it('tells expired before revoked', () => {
    expect(oauthTokenState(grant({ revoked: true }), NOW_MS)).toBe('revoked');
    expect(oauthTokenState(grant({ expiresAt: NOW_S - 1, revoked: true }), NOW_MS)).toBe('expired');
  });
});

describe('OAuthAccessTokenStrategy', () => {
  let fx: AuthFixture;
  let strategy: OAuthAccessTokenStrategy;
  beforeAll(async () => {
    fx = await authFixture();
    strategy = fx.strategies.oauthAccessToken;
    fx.oauth!
      .issue('oauth-live', grant())
      .issue('oauth-expired', grant({ expiresAt: NOW_S - 1 }))
      .issue('oauth-revoked', grant())
      .issue('oauth-orphan', grant({ userId: 404 }));
    fx.oauth!.revoke('oauth-revoked');
  });
  afterAll(() => fx.close());

  const bearer = (token: string) => ({ method: 'GET', headers: { authorization: `Bearer ${token}` } });

  it('is registered with passport under its instance\'s name', () => {
    expect(strategy.name).toBe(fx.names.oauthAccessToken);
  });

  it('passes without a Bearer token, without asking the store', async () => {
    const before = fx.oauth!.asked.length;
    expect(await strategy.validate({ method: 'GET', headers: { 'private-token': 'oauth-live' } })).toBeNull();
    expect(await strategy.validate({ method: 'GET', headers: {}, query: { private_token: 'oauth-live' } })).toBeNull();
    expect(fx.oauth!.asked.length).toBe(before);
  });

  it('passes on a Bearer token the store does not know (it may be a personal access token)', async () => {
    expect(await strategy.validate(bearer('glpat-alice-api-000000'))).toBeNull();
    expect(fx.oauth!.asked).toContain('glpat-alice-api-000000');
  });

  it('accepts a live token as its user, with the granted scopes and the application', async () => {
    expect(await strategy.validate(bearer('oauth-live'))).toEqual({
      via: 'oauth_access_token',
      user: expect.objectContaining({ id: 1, username: 'alice' }),
      scopes: ['ai_features'],
      clientId: 'web-ide',
      expiresAt: NOW_S + 7200,
    });
  });

  it('refuses expired and revoked tokens with invalid_token and its challenge, as for personal access tokens', async () => {
    for (const [token, description] of [
      ['oauth-expired', GITLAB_INVALID_TOKEN_DESCRIPTION.EXPIRED],
      ['oauth-revoked', GITLAB_INVALID_TOKEN_DESCRIPTION.REVOKED],
    ] as const) {
      const error = gitlabInvalidTokenError(description);
      expect(await contractError(() => strategy.validate(bearer(token)))).toEqual({
        status: 401,
        body: error.body,
        headers: { 'WWW-Authenticate': error.wwwAuthenticate },
      });
    }
  });

  it('refuses a token whose user is gone with 401 {"message":"401 Unauthorized"}', async () => {
    expect(await contractError(() => strategy.validate(bearer('oauth-orphan')))).toMatchObject({ status: 401, body: GITLAB_ERROR.UNAUTHORIZED });
  });

  it('passes on every Bearer token in an app without the oauth module', async () => {
    const bare = await authFixture(undefined, false);
    try {
      expect(await bare.strategies.oauthAccessToken.validate(bearer('oauth-live'))).toBeNull();
    } finally {
      bare.close();
    }
  });
});
