import { GITLAB_ERROR, GITLAB_INVALID_TOKEN_DESCRIPTION, PATH, gitlabInvalidTokenError, insufficientScopeError } from '#contracts';
import { jest } from '@jest/globals';
import { type TestApp, startTestApp } from '#common/testing/app';
import { gitlab } from '../app.js';
import type { GitlabConfig } from '../config.js';
import { IdentityService } from '../identity/identity.service.js';
import { FakeOAuthAccessTokens } from '../test/fake-oauth-access-tokens.js';
import { DEMO } from '../test/helpers.js';
import { OAuthAccessTokenLookup } from './oauth-access-token-lookup.js';

/**
 * OAuth access tokens on the REST API of a running gitlab app, the oauth module's port answered
 * by a fake store (the app's OAuthAccessTokenLookup, provided app-wide by the oauth module, is
 * made to ask the fake): the answers on the wire are GitLab's.
 */
describe('gitlab REST API with OAuth access tokens', () => {
  const oauth = new FakeOAuthAccessTokens();
  let gl: TestApp<GitlabConfig>;
  const bodies: string[] = [];

  const call = async (path: string, token: string, method = 'GET') => {
    const res = await fetch(`${gl.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, json: JSON.parse(text) as unknown, challenge: res.headers.get('www-authenticate') };
  };

  beforeAll(async () => {
    gl = await startTestApp(gitlab);
    jest.spyOn(gl.app.get(OAuthAccessTokenLookup), 'find').mockImplementation((token) => oauth.find(token));
    const userId = gl.app.get(IdentityService).findUserByUsername(DEMO.developer)!.id;
    const live = { userId, expiresAt: Math.floor(Date.now() / 1000) + 7200, clientId: 'web-ide' };
    oauth
      .issue('oauth-e2e-ai-features-token', { ...live, scopes: ['ai_features'] })
      .issue('oauth-e2e-read-user-token', { ...live, scopes: ['read_user', 'openid'] })
      .issue('oauth-e2e-openid-only-token', { ...live, scopes: ['openid', 'profile', 'email'] })
      .issue('oauth-e2e-api-token', { ...live, scopes: ['api'] })
      .issue('oauth-e2e-expired-token', { ...live, scopes: ['api'], expiresAt: Math.floor(Date.now() / 1000) - 60 })
      .issue('oauth-e2e-revoked-token', { ...live, scopes: ['api'] });
    oauth.revoke('oauth-e2e-revoked-token');
  });
  afterAll(async () => {
    await gl.close();
  });

  it('mints an AI access token for an ai_features OAuth token', async () => {
    const res = await call(PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, 'oauth-e2e-ai-features-token', 'POST');
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ access_token: expect.any(String), expires_in: 3600 });
  });

  it('reads the user with read_user, and refuses openid/profile/email with the scopes that would do', async () => {
    expect(await call(PATH.GITLAB_USER, 'oauth-e2e-read-user-token')).toMatchObject({ status: 200, json: { username: DEMO.developer } });
    expect(await call(PATH.GITLAB_USER, 'oauth-e2e-openid-only-token')).toEqual({
      status: 403,
      json: insufficientScopeError(['read_user', 'api', 'read_api']),
      challenge: null,
    });
  });

  it('answers expired and revoked OAuth tokens with invalid_token and the Bearer challenge', async () => {
    for (const [token, description] of [
      ['oauth-e2e-expired-token', GITLAB_INVALID_TOKEN_DESCRIPTION.EXPIRED],
      ['oauth-e2e-revoked-token', GITLAB_INVALID_TOKEN_DESCRIPTION.REVOKED],
    ] as const) {
      const error = gitlabInvalidTokenError(description);
      expect(await call(PATH.GITLAB_GROUPS, token)).toEqual({ status: 401, json: error.body, challenge: error.wwwAuthenticate });
    }
  });

  it('still takes personal access tokens as Bearer, and refuses a token neither store knows with 401', async () => {
    expect((await call(PATH.GITLAB_USER, DEMO.pat.readUser)).status).toBe(200);
    expect(await call(PATH.GITLAB_USER, 'oauth-e2e-unknown-token')).toEqual({ status: 401, json: GITLAB_ERROR.UNAUTHORIZED, challenge: null });
  });

  it('has no personal access token to describe for an OAuth token (404)', async () => {
    expect(await call(PATH.GITLAB_PAT_SELF, 'oauth-e2e-api-token')).toMatchObject({ status: 404, json: GITLAB_ERROR.NOT_FOUND });
  });

  it('never echoes an OAuth token in a response', () => {
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) expect(body).not.toMatch(/oauth-e2e-/);
  });
});
