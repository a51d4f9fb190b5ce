import { GITLAB_ERROR, GITLAB_INVALID_TOKEN_DESCRIPTION, gitlabInvalidTokenError } from '#contracts';
import { type AuthFixture, authFixture } from '../../test/auth-fixture.js';
import { contractError } from '../../test/rejection.js';
import type { PersonalAccessTokenStrategy } from './personal-access-token.strategy.js';

describe('PersonalAccessTokenStrategy', () => {
  let fx: AuthFixture;
  let strategy: PersonalAccessTokenStrategy;
  beforeAll(async () => {
    fx = await authFixture();
    strategy = fx.strategies.personalAccessToken;
  });
  afterAll(() => fx.close());

  const post = (headers: Record<string, string>, query: object = {}) => ({ method: 'POST', headers, query });

  it('is registered with passport under its instance\'s name', () => {
    expect(strategy.name).toBe(fx.names.personalAccessToken);
  });

  it('passes when no token is presented (not its credential)', () => {
    expect(strategy.validate(post({}))).toBeNull();
    expect(strategy.validate(post({ authorization: 'Basic Zm9vOmJhcg==' }))).toBeNull();
  });

  it('accepts an active token from any of its three places, with its scopes and name', () => {
    for (const req of [
      post({ 'private-token': 'glpat-alice-ai-features' }),
      post({}, { private_token: 'glpat-alice-ai-features' }),
      post({ authorization: 'Bearer glpat-alice-ai-features' }),
    ]) {
      expect(strategy.validate(req)).toEqual({
        via: 'personal_access_token',
        user: expect.objectContaining({ id: 1, username: 'alice' }),
        scopes: ['ai_features'],
        tokenName: 'ai',
      });
    }
    expect(strategy.validate(post({ 'private-token': 'glpat-alice-api-000000' }))).toMatchObject({ scopes: ['api'], tokenName: 'api' });
  });

  it('refuses an unknown token with 401 {"message":"401 Unauthorized"}', async () => {
    expect(await contractError(() => strategy.validate(post({ 'private-token': 'glpat-who-is-this' })))).toEqual({
      status: 401,
      body: GITLAB_ERROR.UNAUTHORIZED,
      headers: {},
    });
  });

  it('refuses expired and revoked tokens with invalid_token and its challenge', async () => {
    for (const [token, description] of [
      ['glpat-alice-expired-00', GITLAB_INVALID_TOKEN_DESCRIPTION.EXPIRED],
      ['glpat-alice-revoked-00', GITLAB_INVALID_TOKEN_DESCRIPTION.REVOKED],
    ] as const) {
      const error = gitlabInvalidTokenError(description);
      expect(await contractError(() => strategy.validate(post({ authorization: `Bearer ${token}` })))).toEqual({
        status: 401,
        body: error.body,
        headers: { 'WWW-Authenticate': error.wwwAuthenticate },
      });
    }
  });
});
