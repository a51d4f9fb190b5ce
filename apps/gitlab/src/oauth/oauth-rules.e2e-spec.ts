import { createHash, randomBytes } from 'node:crypto';
import {
  CONTROL_ROUTE,
  DEMO_THIRD_PARTY_OAUTH_CLIENT_ID,
  OAUTH_PATH,
  OAUTH_TOKEN,
  PATH,
  SESSION_COOKIE,
  TOKEN_INFO_INVALID,
  WEB_IDE_OAUTH_APPLICATION,
  controlPath,
  demoInstance,
  readDemoFixture,
} from '#contracts';
import { DEMO, type TestGitlab, signIn, startTestGitlab } from '../test/helpers.js';
import { AuthorizationServer } from './authorization-server.js';
import { OAuthBrowser } from './testing/oauth-browser.js';

const thirdParty = demoInstance(readDemoFixture(), 'saas').oauth_applications!.find((a) => a.client_id === DEMO_THIRD_PARTY_OAUTH_CLIENT_ID)!;
const THIRD_PARTY_REDIRECT = thirdParty.redirect_uris[0]!;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const THIRD_PARTY_AUTH = basic(thirdParty.client_id, thirdParty.secret!);
const verifierPair = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/**
 * GitLab's OAuth server rules, one failing input each, against the running gitlab app: PKCE,
 * redirect URIs, state and iss, codes, refresh, typed token errors, revocation, token info,
 * the trusted Web IDE application, sessions, the admin API and the registration modes.
 */
describe('gitlab OAuth authorization server rules', () => {
  let gl: TestGitlab;
  let webIdeRedirect: string;

  const authorizeUrl = (params: Record<string, string>) => `${gl.url}${OAUTH_PATH.AUTHORIZE}?${new URLSearchParams(params).toString()}`;

  const token = async (form: Record<string, string>, authorization?: string): Promise<TokenAnswer> => {
    const res = await fetch(`${gl.url}${OAUTH_PATH.TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };

  /** A code for the third-party application, signed in as the developer, consent given. */
  const thirdPartyCode = async (scope = 'api read_user', browser = new OAuthBrowser(gl.url)) => {
    const { verifier, challenge } = verifierPair();
    const state = `st-${randomBytes(6).toString('hex')}`;
    const url = authorizeUrl({ client_id: thirdParty.client_id, redirect_uri: THIRD_PARTY_REDIRECT, response_type: 'code', scope, state, code_challenge: challenge, code_challenge_method: 'S256' });
    const result = await browser.authorize(url, THIRD_PARTY_REDIRECT, { username: DEMO.developer, password: DEMO.password });
    return { ...result, verifier, state, code: result.callback.searchParams.get('code')! };
  };

  const exchange = (code: string, verifier: string) =>
    token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: THIRD_PARTY_REDIRECT }, THIRD_PARTY_AUTH);

  const tokenInfo = (accessToken: string) => fetch(`${gl.url}${OAUTH_PATH.TOKEN_INFO}`, { headers: { authorization: `Bearer ${accessToken}` } });

  beforeAll(async () => {
    gl = await startTestGitlab();
    webIdeRedirect = `${gl.issuer}${OAUTH_PATH.IDE_CALLBACK}`;
  });
  afterAll(() => gl.close());

  describe('authorization endpoint', () => {
    it('redirects with the code, `state` unchanged and `iss` (RFC 9207); signs in, then asks consent', async () => {
      const { callback, state, pages } = await thirdPartyCode();
      expect(callback.origin + callback.pathname).toBe(THIRD_PARTY_REDIRECT);
      expect(callback.searchParams.get('state')).toBe(state);
      expect(callback.searchParams.get('iss')).toBe(gl.issuer);
      expect(pages.map((p) => p.kind)).toEqual(['sign-in', 'consent']);
    });

    it.each([
      ['code_challenge_method plain', { code_challenge_method: 'plain' }],
      ['no code_challenge', { code_challenge: undefined, code_challenge_method: undefined }],
    ])('refuses %s with invalid_request, redirected with state and iss', async (_name, change) => {
      const { challenge } = verifierPair();
      const params: Record<string, string | undefined> = { client_id: thirdParty.client_id, redirect_uri: THIRD_PARTY_REDIRECT, response_type: 'code', scope: 'api', state: 's1', code_challenge: challenge };
      Object.assign(params, { code_challenge_method: 'S256' }, change);
      const res = await fetch(authorizeUrl(Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<string, string>), { redirect: 'manual' });
      expect(res.status).toBeGreaterThanOrEqual(300);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(THIRD_PARTY_REDIRECT);
      expect(Object.fromEntries(location.searchParams)).toMatchObject({ error: 'invalid_request', state: 's1', iss: gl.issuer });
    });

    it.each([
      ['another path', `${THIRD_PARTY_REDIRECT}/other`],
      ['an extra query', `${THIRD_PARTY_REDIRECT}?x=1`],
      ['a trailing slash', `${THIRD_PARTY_REDIRECT}/`],
      ['another origin', 'https://attacker.example/callback'],
    ])('shows an error page, never a redirect, for an unregistered redirect URI (%s)', async (_name, redirectUri) => {
      const res = await fetch(authorizeUrl({ client_id: thirdParty.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'api', state: 's', code_challenge: verifierPair().challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('data-error="invalid_redirect_uri"');
    });

    it('answers an unknown scope with invalid_scope (oidc-provider would drop it silently)', async () => {
      const res = await fetch(authorizeUrl({ client_id: thirdParty.client_id, redirect_uri: THIRD_PARTY_REDIRECT, response_type: 'code', scope: 'api sudo', state: 's2', code_challenge: verifierPair().challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
      const location = new URL(res.headers.get('location')!);
      expect(Object.fromEntries(location.searchParams)).toMatchObject({ error: 'invalid_scope', state: 's2', iss: gl.issuer });
    });

    it('redirects access_denied when the user denies consent', async () => {
      const { challenge } = verifierPair();
      const url = authorizeUrl({ client_id: thirdParty.client_id, redirect_uri: THIRD_PARTY_REDIRECT, response_type: 'code', scope: 'api', state: 's3', code_challenge: challenge, code_challenge_method: 'S256' });
      const { callback } = await new OAuthBrowser(gl.url).authorize(url, THIRD_PARTY_REDIRECT, { username: DEMO.developer, password: DEMO.password }, 'deny');
      expect(Object.fromEntries(callback.searchParams)).toMatchObject({ error: 'access_denied', state: 's3', iss: gl.issuer });
    });

    it('does not ask a user signed in with _gitlab_session to sign in again', async () => {
      const { cookie } = await signIn(gl.url, DEMO.developer, DEMO.password);
      const browser = new OAuthBrowser(gl.url);
      browser.setCookie(SESSION_COOKIE, cookie.split('=')[1]!.split(';')[0]!);
      const { pages, code } = await thirdPartyCode('api', browser);
      expect(pages.map((p) => p.kind)).toEqual(['consent']);
      expect(code).toEqual(expect.any(String));
    });

    it('authorizes as whoever _gitlab_session names now, after another user signed in in the same browser', async () => {
      const browser = new OAuthBrowser(gl.url);
      const first = await thirdPartyCode('read_user', browser);
      const firstOwner = (await (await tokenInfo(String((await exchange(first.code, first.verifier)).body.access_token))).json()) as { resource_owner_id: number };
      const { cookie } = await signIn(gl.url, DEMO.noDuo, DEMO.password);
      browser.setCookie(SESSION_COOKIE, cookie.split('=')[1]!.split(';')[0]!);
      const second = await thirdPartyCode('read_user', browser);
      expect(second.pages.map((p) => p.kind)).toEqual(['auto-post', 'consent']);
      const secondOwner = (await (await tokenInfo(String((await exchange(second.code, second.verifier)).body.access_token))).json()) as { resource_owner_id: number };
      expect(secondOwner.resource_owner_id).not.toBe(firstOwner.resource_owner_id);
    });

    it('refuses a consent post without the session CSRF token (422, no redirect)', async () => {
      const browser = new OAuthBrowser(gl.url);
      const { challenge } = verifierPair();
      let res = await browser.request(authorizeUrl({ client_id: thirdParty.client_id, redirect_uri: THIRD_PARTY_REDIRECT, response_type: 'code', scope: 'api', state: 's', code_challenge: challenge, code_challenge_method: 'S256' }));
      const interaction = res.headers.get('location')!;
      res = await browser.request(interaction);
      const html = await res.text();
      const csrf = /name="authenticity_token" value="([^"]+)"/.exec(html)![1]!;
      res = await browser.request(`${interaction}/login`, { form: { authenticity_token: csrf, 'user[login]': DEMO.developer, 'user[password]': DEMO.password } });
      res = await browser.request(res.headers.get('location')!);
      const consent = res.headers.get('location')!;
      res = await browser.request(`${consent}/confirm`, { form: { authenticity_token: 'forged' } });
      expect(res.status).toBe(422);
      expect(res.headers.get('location')).toBeNull();
    });

    it('the trusted Web IDE application skips consent: a signed-in user sees no page at all (seed 000 option 1)', async () => {
      const { verifier, challenge } = verifierPair();
      const url = authorizeUrl({ client_id: WEB_IDE_OAUTH_APPLICATION.CLIENT_ID, redirect_uri: webIdeRedirect, response_type: 'code', scope: 'api', state: 'ide', code_challenge: challenge, code_challenge_method: 'S256' });
      const browser = new OAuthBrowser(gl.url);
      const first = await browser.authorize(url, webIdeRedirect, { username: DEMO.developer, password: DEMO.password });
      expect(first.pages.map((p) => p.kind)).toEqual(['sign-in']);
      const again = await browser.authorize(url, webIdeRedirect, { username: DEMO.developer, password: DEMO.password });
      expect(again.pages).toEqual([]);
      // A public client: no secret, PKCE only.
      const tokens = await token({ grant_type: 'authorization_code', client_id: WEB_IDE_OAUTH_APPLICATION.CLIENT_ID, code: again.callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: webIdeRedirect });
      expect(tokens.status).toBe(200);
      expect(tokens.body.scope).toBe('api');
    });
  });

  describe('token endpoint', () => {
    it('exchanges a code: opaque Bearer token, 7200 s, refresh token, created_at, Cache-Control no-store', async () => {
      const { code, verifier } = await thirdPartyCode();
      const res = await exchange(code, verifier);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'api read_user', refresh_token: expect.any(String), created_at: expect.any(Number) });
      expect(res.body.expires_in).toBe(OAUTH_TOKEN.ACCESS_TOKEN_TTL_SECONDS);
      expect(String(res.body.access_token)).not.toContain('.');
    });

    it('authenticates a confidential client with its secret in the body too (client_secret_post, as GitLab docs show)', async () => {
      const { code, verifier } = await thirdPartyCode();
      const res = await token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: THIRD_PARTY_REDIRECT, client_id: thirdParty.client_id, client_secret: thirdParty.secret! });
      expect(res.status).toBe(200);
      const wrong = await token({ grant_type: 'refresh_token', refresh_token: String(res.body.refresh_token), client_id: thirdParty.client_id, client_secret: 'wrong-secret' });
      expect([wrong.status, wrong.body.error, wrong.headers.get('www-authenticate')]).toEqual([401, 'invalid_client', null]);
    });

    it('keeps codes for at most 10 minutes', async () => {
      await thirdPartyCode();
      const codes = gl.app.get(AuthorizationServer).store.list('AuthorizationCode');
      expect(codes.length).toBeGreaterThan(0);
      for (const c of codes) expect(c.exp! - c.iat!).toBeLessThanOrEqual(OAUTH_TOKEN.AUTHORIZATION_CODE_TTL_SECONDS);
    });

    it('a replayed code is invalid_grant, and the tokens of the first exchange are revoked', async () => {
      const { code, verifier } = await thirdPartyCode();
      const first = await exchange(code, verifier);
      expect((await tokenInfo(String(first.body.access_token))).status).toBe(200);
      const replay = await exchange(code, verifier);
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');
      expect(replay.headers.get('cache-control')).toBe('no-store');
      expect((await tokenInfo(String(first.body.access_token))).status).toBe(TOKEN_INFO_INVALID.status);
    });

    it('binds the code to its redirect URI and its client', async () => {
      const { code, verifier } = await thirdPartyCode();
      const otherRedirect = await token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: `${THIRD_PARTY_REDIRECT}/x` }, THIRD_PARTY_AUTH);
      expect(otherRedirect.body.error).toBe('invalid_grant');
      const second = await thirdPartyCode();
      const otherClient = await token({ grant_type: 'authorization_code', client_id: WEB_IDE_OAUTH_APPLICATION.CLIENT_ID, code: second.code, code_verifier: second.verifier, redirect_uri: THIRD_PARTY_REDIRECT });
      expect(otherClient.body.error).toBe('invalid_grant');
    });

    // A well-formed but wrong verifier fails the grant (RFC 7636 §4.6); a malformed one is a
    // malformed request (RFC 7636 §4.1 ABNF: 43-128 of [A-Za-z0-9-._~]; RFC 6749 §5.2).
    it.each([
      ['a wrong verifier', () => randomBytes(32).toString('base64url'), 'invalid_grant'],
      ['a verifier shorter than 43 characters', () => 'a'.repeat(42), 'invalid_request'],
      ['a verifier longer than 128 characters', () => 'a'.repeat(129), 'invalid_request'],
      ['a verifier with characters outside [A-Za-z0-9-._~]', () => `${'a'.repeat(43)}!`, 'invalid_request'],
    ])('refuses %s with %s', async (_name, badVerifier, error) => {
      const { code } = await thirdPartyCode();
      const res = await exchange(code, badVerifier());
      expect([res.status, res.body.error]).toEqual([400, error]);
    });

    it('types its errors: invalid_request, invalid_client (401 + WWW-Authenticate), unsupported_grant_type', async () => {
      const missing = await token({ code: 'x' }, THIRD_PARTY_AUTH);
      expect([missing.status, missing.body.error]).toEqual([400, 'invalid_request']);
      const badSecret = await token({ grant_type: 'authorization_code', code: 'x', code_verifier: 'a'.repeat(43), redirect_uri: THIRD_PARTY_REDIRECT }, basic(thirdParty.client_id, 'wrong-secret'));
      expect([badSecret.status, badSecret.body.error]).toEqual([401, 'invalid_client']);
      expect(badSecret.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(badSecret.headers.get('cache-control')).toBe('no-store');
      const password = await token({ grant_type: 'password', username: DEMO.developer, password: DEMO.password }, THIRD_PARTY_AUTH);
      expect([password.status, password.body.error]).toEqual([400, 'unsupported_grant_type']);
      const badCode = await token({ grant_type: 'authorization_code', code: 'never-issued', code_verifier: 'a'.repeat(43), redirect_uri: THIRD_PARTY_REDIRECT }, THIRD_PARTY_AUTH);
      expect([badCode.status, badCode.body.error]).toEqual([400, 'invalid_grant']);
    });

    it('answers unauthorized_client for a grant type the client was not registered for', async () => {
      const reg = await fetch(`${gl.url}${OAUTH_PATH.REGISTER}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'none', scope: 'api' }),
      });
      const client = (await reg.json()) as { client_id: string };
      const res = await token({ grant_type: 'refresh_token', client_id: client.client_id, refresh_token: 'x' });
      expect([res.status, res.body.error]).toEqual([400, 'unauthorized_client']);
    });

    it('refresh rotates both tokens, may narrow but not widen the scope (invalid_scope)', async () => {
      const { code, verifier } = await thirdPartyCode('read_user');
      const first = await exchange(code, verifier);
      const wider = await token({ grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token), scope: 'read_user api' }, THIRD_PARTY_AUTH);
      expect([wider.status, wider.body.error]).toEqual([400, 'invalid_scope']);
      const same = await token({ grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token) }, THIRD_PARTY_AUTH);
      expect(same.status).toBe(200);
      expect(same.body.refresh_token).not.toBe(first.body.refresh_token);
      expect(same.body.scope).toBe('read_user');
    });

    it("revokes the previous access token once the refreshed one is used (GitLab's revoke_previous_refresh_token!)", async () => {
      const { code, verifier } = await thirdPartyCode('read_user');
      const first = await exchange(code, verifier);
      const second = await token({ grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token) }, THIRD_PARTY_AUTH);
      const user = (t: unknown) => fetch(`${gl.url}${PATH.GITLAB_USER}`, { headers: { authorization: `Bearer ${String(t)}` } });
      // Until the new token is used, the old one still works (Doorkeeper's previous_refresh_token).
      expect((await user(first.body.access_token)).status).toBe(200);
      expect((await user(second.body.access_token)).status).toBe(200);
      const old = await user(first.body.access_token);
      expect(old.status).toBe(401);
      expect(await old.json()).toMatchObject({ error: 'invalid_token' });
    });
  });

  describe('revocation, token info, REST API', () => {
    it('an OAuth token authenticates REST calls with its scopes', async () => {
      const { code, verifier } = await thirdPartyCode('read_user');
      const { body } = await exchange(code, verifier);
      const headers = { authorization: `Bearer ${String(body.access_token)}` };
      expect((await fetch(`${gl.url}${PATH.GITLAB_USER}`, { headers })).status).toBe(200);
      // read_user does not reach api-scoped routes.
      expect((await fetch(`${gl.url}${PATH.GITLAB_GROUPS}`, { headers })).status).toBe(403);
    });

    it("answers token info with Doorkeeper's body plus GitLab's scopes and expires_in_seconds", async () => {
      const { code, verifier } = await thirdPartyCode();
      const { body } = await exchange(code, verifier);
      const res = await tokenInfo(String(body.access_token));
      expect(res.status).toBe(200);
      const info = (await res.json()) as Record<string, unknown>;
      expect(info).toEqual({
        resource_owner_id: expect.any(Number),
        scope: ['api', 'read_user'],
        expires_in: expect.any(Number),
        application: { uid: thirdParty.client_id },
        created_at: expect.any(Number),
        scopes: ['api', 'read_user'],
        expires_in_seconds: info.expires_in,
      });
      expect(info.expires_in).toBeGreaterThan(OAUTH_TOKEN.ACCESS_TOKEN_TTL_SECONDS - 60);
    });

    it.each([
      ['no token', undefined],
      ['an unknown token', 'never-issued-token'],
    ])('answers token info for %s with GitLab invalid-token answer', async (_name, value) => {
      const res = await fetch(`${gl.url}${OAUTH_PATH.TOKEN_INFO}`, { headers: value ? { authorization: `Bearer ${value}` } : {} });
      expect(res.status).toBe(TOKEN_INFO_INVALID.status);
      expect(await res.json()).toEqual(TOKEN_INFO_INVALID.body);
      expect(res.headers.get('www-authenticate')).toBe(TOKEN_INFO_INVALID.headers['WWW-Authenticate']);
      expect(res.headers.get('cache-control')).toBe(TOKEN_INFO_INVALID.headers['Cache-Control']);
    });

    it('revokes per RFC 7009: an unknown token is 200; revoking the refresh token ends its access token', async () => {
      const revoke = (value: string) =>
        fetch(`${gl.url}${OAUTH_PATH.REVOKE}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: THIRD_PARTY_AUTH }, body: new URLSearchParams({ token: value }).toString() });
      expect((await revoke('never-issued-token')).status).toBe(200);
      const { code, verifier } = await thirdPartyCode();
      const { body } = await exchange(code, verifier);
      expect((await revoke(String(body.refresh_token))).status).toBe(200);
      expect((await tokenInfo(String(body.access_token))).status).toBe(TOKEN_INFO_INVALID.status);
      const api = await fetch(`${gl.url}${PATH.GITLAB_USER}`, { headers: { authorization: `Bearer ${String(body.access_token)}` } });
      expect(api.status).toBe(401);
    });

    it('introspects (RFC 7662, added by the emulator): active with scope and client, inactive once revoked', async () => {
      const { code, verifier } = await thirdPartyCode();
      const { body } = await exchange(code, verifier);
      const introspect = async () =>
        (await (
          await fetch(`${gl.url}${OAUTH_PATH.INTROSPECT}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: THIRD_PARTY_AUTH }, body: new URLSearchParams({ token: String(body.access_token) }).toString() })
        ).json()) as Record<string, unknown>;
      expect(await introspect()).toMatchObject({ active: true, scope: 'api read_user', client_id: thirdParty.client_id });
    });
  });

  describe('metadata and keys', () => {
    it('serves the same document at openid-configuration and oauth-authorization-server (RFC 8414), issuer = instance URL', async () => {
      const a = await (await fetch(`${gl.url}${PATH.OPENID_CONFIGURATION}`)).json();
      const b = (await (await fetch(`${gl.url}${OAUTH_PATH.AUTHORIZATION_SERVER_METADATA}`)).json()) as Record<string, unknown>;
      expect(b).toEqual(a);
      expect(b).toMatchObject({ issuer: gl.issuer, authorization_response_iss_parameter_supported: true, code_challenge_methods_supported: ['S256'], registration_endpoint: `${gl.issuer}${OAUTH_PATH.REGISTER}` });
    });

    it('serves RFC 9728 protected resource metadata naming the instance as authorization server', async () => {
      const body = await (await fetch(`${gl.url}${OAUTH_PATH.PROTECTED_RESOURCE_METADATA}`)).json();
      expect(body).toMatchObject({ resource: gl.issuer, authorization_servers: [gl.issuer], bearer_methods_supported: ['header'] });
    });

    it('signs ID tokens with the active key of the one JWKS, also after a rotation', async () => {
      const kidOf = (idToken: string) => (JSON.parse(Buffer.from(idToken.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
      const idToken = async () => {
        const { code, verifier } = await thirdPartyCode('openid api');
        return String((await exchange(code, verifier)).body.id_token);
      };
      const before = kidOf(await idToken());
      const added = (await (await gl.control('POST', controlPath(CONTROL_ROUTE.KEYS), { activate: true })).json()) as { kid: string };
      const after = kidOf(await idToken());
      expect(after).toBe(added.kid);
      expect(after).not.toBe(before);
      const jwks = (await (await fetch(`${gl.url}${OAUTH_PATH.JWKS}`)).json()) as { keys: Array<{ kid: string }> };
      expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([before, after]));
    });
  });
});
