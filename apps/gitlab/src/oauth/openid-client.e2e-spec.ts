import * as oidc from 'openid-client';
import { GITLAB_DYNAMIC_CLIENT_SCOPE, OAUTH_PATH, OAUTH_TOKEN, type OAuthRegistrationMode, PATH } from '#contracts';
import { DEMO, type TestGitlab, startTestGitlab } from '../test/helpers.js';
import { OAuthBrowser } from './testing/oauth-browser.js';

const REDIRECT_URI = 'http://127.0.0.1:9/openid-client/callback';
const insecure = { execute: [oidc.allowInsecureRequests] };

/**
 * openid-client (an OpenID Foundation certified relying party, not ours) against the gitlab
 * app's authorization server, in both registration modes: discovery, dynamic registration,
 * PKCE sign-in with consent, ID token verification through jwks_uri, userinfo, refresh with
 * rotation, refresh-token reuse detection (the whole family revoked) and RFC 7009 revocation.
 */
describe.each<OAuthRegistrationMode>(['rfc7591', 'gitlab'])('openid-client against the gitlab authorization server (registration mode %s)', (mode) => {
  let gl: TestGitlab;
  let config: oidc.Configuration;
  // GitLab's dynamic clients hold `mcp` only (no openid: no ID token, no userinfo).
  const openid = mode === 'rfc7591';
  const scope = openid ? 'openid profile read_user' : GITLAB_DYNAMIC_CLIENT_SCOPE;

  const apiUser = (token: string) => fetch(`${gl.url}${PATH.GITLAB_USER}`, { headers: { authorization: `Bearer ${token}` } });

  /** Sign-in and consent in a fresh browser, then the code exchange. */
  async function signIn(): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const { callback, pages } = await new OAuthBrowser(gl.url).authorize(url.href, REDIRECT_URI, { username: DEMO.developer, password: DEMO.password });
    expect({ pages: pages.map((p) => p.kind), error: callback.searchParams.get('error') }).toEqual({ pages: ['sign-in', 'consent'], error: null });
    return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: openid });
  }

  beforeAll(async () => {
    gl = await startTestGitlab({ OAUTH_REGISTRATION_MODE: mode });
    config = await oidc.dynamicClientRegistration(
      new URL(gl.issuer),
      { redirect_uris: [REDIRECT_URI], client_name: 'openid-client e2e', token_endpoint_auth_method: 'none', scope },
      oidc.None(),
      insecure,
    );
  });
  afterAll(() => gl.close());

  it('discovers the issuer (the instance URL exactly) and registers a public client', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(gl.issuer);
    expect(metadata.registration_endpoint).toBe(`${gl.issuer}${OAUTH_PATH.REGISTER}`);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(config.clientMetadata().client_id).toEqual(expect.any(String));
    expect(config.clientMetadata().client_secret).toBeUndefined();
  });

  it('signs in with PKCE: an opaque 7200 s access token, a verified ID token, userinfo, the REST API', async () => {
    const tokens = await signIn();
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(OAUTH_TOKEN.ACCESS_TOKEN_TTL_SECONDS);
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    if (openid) {
      const claims = tokens.claims()!;
      expect(claims.iss).toBe(gl.issuer);
      expect(claims.sub).toEqual(expect.stringMatching(/^\d+$/));
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      expect(info.sub).toBe(claims.sub);
    } else {
      expect(tokens.id_token).toBeUndefined();
    }
    // read_user reads /api/v4/user; `mcp` does not.
    expect((await apiUser(tokens.access_token)).status).toBe(openid ? 200 : 403);
  });

  it('refresh rotates both tokens; reusing the rotated refresh token revokes the family', async () => {
    const first = await signIn();
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The whole grant is gone: the newest refresh token and access token too.
    await expect(oidc.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(config, second.access_token)).active).toBe(false);
  });

  it('revokes (RFC 7009): a refresh token ends its access tokens; an unknown token is fine', async () => {
    const tokens = await signIn();
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    await oidc.tokenRevocation(config, tokens.refresh_token!);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    expect((await apiUser(tokens.access_token)).status).toBe(401);
    await expect(oidc.tokenRevocation(config, 'never-issued-token')).resolves.toBeUndefined();
  });
});
