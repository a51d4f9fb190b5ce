import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GITLAB_ERROR, HEADER, type Jwks, PATH, SCHEMA, USER_AGENT, compileValidator, insufficientScopeError } from '#contracts';
import { ConfigError } from '#common';
import { TEST_CONTROL_TOKEN } from '#common/testing/app';
import { decodeJwt, verifiesAgainst } from '#common/testing/jwt';
import { closedPort } from '#common/testing/loopback';
import { loadGitlabConfig } from './config.js';
import { DEMO, type TestGitlab, signIn, startTestGitlab } from './test/helpers.js';

/**
 * The gitlab app over HTTP: what the conformance suite cannot see from outside (exact GitLab
 * wording and pages, the control API, configuration errors, bodies no client sends). The token
 * endpoint's contract (claims, signature, refusals) is the suite's, run against the embedded stack.
 */
const validate = {
  claims: compileValidator(SCHEMA.AI_ACCESS_TOKEN_CLAIMS),
  discovery: compileValidator(SCHEMA.OPENID_CONFIGURATION),
  message: compileValidator(SCHEMA.GITLAB_MESSAGE_ERROR),
};

/** A JSON value nested 100 000 deep (600 kB, under the 1 MiB body limit): Fastify parses it; anything recursive downstream would overflow. */
const DEEP = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);

describe('gitlab (SaaS) over HTTP', () => {
  let gl: TestGitlab;
  let url: string;

  const tokens = (headers: Record<string, string> = {}, query = '') =>
    fetch(`${url}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}${query}`, { method: 'POST', headers });
  const bearer = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });
  const jwks = async () => (await (await fetch(`${url}${PATH.JWKS}`)).json()) as Jwks;

  beforeAll(async () => {
    gl = await startTestGitlab();
    url = gl.url;
  });
  afterAll(async () => {
    await gl.close();
  });
  afterEach(async () => {
    expect((await gl.control('POST', '/-/harness/reset')).status).toBe(204);
  });

  describe('discovery and keys', () => {
    it('serves OpenID configuration with the instance URL as issuer', async () => {
      const res = await fetch(`${url}${PATH.OPENID_CONFIGURATION}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(validate.discovery(body)).toEqual({ valid: true });
      expect(body).toMatchObject({
        issuer: url,
        jwks_uri: `${url}/oauth/discovery/keys`,
        authorization_endpoint: `${url}/oauth/authorize`,
        token_endpoint: `${url}/oauth/token`,
        revocation_endpoint: `${url}/oauth/revoke`,
        introspection_endpoint: `${url}/oauth/introspect`,
        userinfo_endpoint: `${url}/oauth/userinfo`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256'],
        subject_types_supported: ['public'],
        code_challenge_methods_supported: ['S256'],
      });
      expect(body.scopes_supported).toEqual(expect.arrayContaining(['api', 'ai_features', 'openid']));
      expect(gl.issuer).toBe(url);
    });

    it('answers the health checks', async () => {
      const health = await fetch(`${url}/-/health`);
      expect(health.status).toBe(200);
      expect(await health.text()).toBe('GitLab OK');
      for (const path of ['/-/readiness', '/-/liveness']) {
        const res = await fetch(`${url}${path}`);
        expect([res.status, await res.json()]).toEqual([200, { status: 'ok' }]);
      }
    });
  });

  describe('POST /api/v4/code_suggestions/tokens', () => {
    it('accepts an api PAT in the PRIVATE-TOKEN header and in private_token', async () => {
      const viaHeader = await tokens({ [HEADER.PRIVATE_TOKEN]: DEMO.pat.api });
      expect(viaHeader.status).toBe(201);
      const viaQuery = await tokens({}, `?private_token=${DEMO.pat.api}`);
      expect(viaQuery.status).toBe(201);
      // The instance's token: same sub whatever the user or credential.
      const a = decodeJwt(((await viaHeader.json()) as { access_token: string }).access_token).claims;
      const b = decodeJwt(((await viaQuery.json()) as { access_token: string }).access_token).claims;
      expect(a.sub).toBe(b.sub);
      expect(a.jti).not.toBe(b.jti);
    });

    it('accepts seed 001\'s own request: JSON content type and no body', async () => {
      const res = await tokens({ authorization: `Bearer ${DEMO.pat.api}`, 'content-type': 'application/json' });
      expect(res.status).toBe(201);
      const withBody = await fetch(`${url}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEMO.pat.api}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(withBody.status).toBe(201);
    });

    it('answers 401 {"message":"401 Unauthorized"} without credentials and for an unknown token', async () => {
      for (const res of [await tokens(), await tokens(bearer('glpat-not-a-real-token')), await tokens({ authorization: 'Basic Zm9vOmJhcg==' })]) {
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual(GITLAB_ERROR.UNAUTHORIZED);
        expect(res.headers.get('www-authenticate')).toBeNull();
      }
    });

    it('answers 404 while code_suggestions_tokens_api is off, after authentication', async () => {
      const off = await gl.control('PUT', '/-/harness/feature-flags/code_suggestions_tokens_api', { enabled: false });
      expect([off.status, await off.json()]).toEqual([200, { name: 'code_suggestions_tokens_api', enabled: false, actors: [] }]);
      const res = await tokens(bearer(DEMO.pat.aiFeatures));
      expect([res.status, await res.json()]).toEqual([404, GITLAB_ERROR.NOT_FOUND]);
      // Authentication comes first: an unknown token is still 401.
      expect((await tokens(bearer('glpat-not-a-real-token'))).status).toBe(401);
      // ...and the flag decides per actor too.
      await gl.control('PUT', '/-/harness/feature-flags/code_suggestions_tokens_api', { enabled: true, actors: [DEMO.developer] });
      expect((await tokens(bearer(DEMO.pat.aiFeatures))).status).toBe(201);
      expect((await tokens(bearer(DEMO.pat.service))).status).toBe(404);
    });

    describe('with a browser session', () => {
      it('ignores the session without a matching CSRF token (401)', async () => {
        const { cookie } = await signIn(url, DEMO.developer, DEMO.password);
        for (const headers of [{ cookie }, { cookie, [HEADER.CSRF_TOKEN]: 'forged' }] as Array<Record<string, string>>) {
          const res = await tokens(headers);
          expect([res.status, await res.json()]).toEqual([401, GITLAB_ERROR.UNAUTHORIZED]);
        }
      });
    });

    describe('relayed from self-managed (User-Agent gitlab-workhorse)', () => {
      const relayed = (token: string) => tokens(bearer(token, { 'user-agent': `${USER_AGENT.RELAY_PREFIX}/v16.1.0` }));

      it('follows the per-actor flag set through the control API', async () => {
        await gl.control('PUT', '/-/harness/feature-flags/code_suggestions_for_instance_admin_enabled', { enabled: true, actors: [DEMO.developer] });
        expect((await relayed(DEMO.pat.api)).status).toBe(201);
        expect((await relayed(DEMO.pat.service)).status).toBe(401);
      });
    });
  });

  describe('GET /api/v4/user', () => {
    it('returns the user for a read_user PAT', async () => {
      const res = await fetch(`${url}${PATH.GITLAB_USER}`, { headers: bearer(DEMO.pat.readUser) });
      expect([res.status, await res.json()]).toEqual([200, { id: 1001, username: DEMO.developer, name: 'SaaS Developer', state: 'active' }]);
    });

    it('refuses an ai_features PAT with the scopes that would do', async () => {
      const res = await fetch(`${url}${PATH.GITLAB_USER}`, { headers: bearer(DEMO.pat.aiFeatures) });
      expect([res.status, await res.json()]).toEqual([403, insufficientScopeError(['read_user', 'api', 'read_api'])]);
    });

    it('accepts a session on GET without a CSRF token', async () => {
      const { cookie } = await signIn(url, DEMO.noDuo, DEMO.password);
      const res = await fetch(`${url}${PATH.GITLAB_USER}`, { headers: { cookie } });
      expect([res.status, ((await res.json()) as { username: string }).username]).toEqual([200, DEMO.noDuo]);
    });
  });

  describe('GET /api/v4/personal_access_tokens/self and /api/v4/groups', () => {
    it('describes the presented token whatever its scope', async () => {
      const res = await fetch(`${url}${PATH.GITLAB_PAT_SELF}`, { headers: bearer(DEMO.pat.aiFeatures) });
      expect([res.status, await res.json()]).toEqual([
        200,
        { name: 'ai-features', revoked: false, active: true, scopes: ['ai_features'], user_id: 1001, expires_at: null },
      ]);
    });

    it('refuses a revoked token and answers 404 to a session, which has no token', async () => {
      expect((await fetch(`${url}${PATH.GITLAB_PAT_SELF}`, { headers: bearer(DEMO.pat.revoked) })).status).toBe(401);
      const { cookie } = await signIn(url, DEMO.developer, DEMO.password);
      const res = await fetch(`${url}${PATH.GITLAB_PAT_SELF}`, { headers: { cookie } });
      expect([res.status, await res.json()]).toEqual([404, GITLAB_ERROR.NOT_FOUND]);
    });

    it('lists the user\'s groups for an api token and refuses an ai_features one', async () => {
      const res = await fetch(`${url}${PATH.GITLAB_GROUPS}`, { headers: bearer(DEMO.pat.api) });
      expect([res.status, await res.json()]).toEqual([200, [{ path: 'duo-group', name: 'duo-group', full_path: 'duo-group' }]]);
      expect((await fetch(`${url}${PATH.GITLAB_GROUPS}`, { headers: bearer(DEMO.pat.aiFeatures) })).status).toBe(403);
    });
  });

  describe('sign-in pages', () => {
    it('shows the sign-in form', async () => {
      const res = await fetch(`${url}/users/sign_in`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain('name="user[login]"');
      expect(html).toContain('name="user[password]"');
    });

    it('signs in with JSON: 302 to / with the session cookie', async () => {
      const res = await fetch(`${url}/users/sign_in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: { login: DEMO.developer, password: DEMO.password } }),
      });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/');
      expect(res.headers.get('set-cookie')).toMatch(/^_gitlab_session=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Lax$/);
    });

    it('refuses a wrong password: JSON 401 message, form 401 page again', async () => {
      const json = await fetch(`${url}/users/sign_in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: { login: DEMO.developer, password: 'wrong-password' } }),
      });
      expect([json.status, await json.json()]).toEqual([401, { message: 'Invalid login or password.' }]);
      expect(json.headers.get('set-cookie')).toBeNull();
      const form = await fetch(`${url}/users/sign_in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'user%5Blogin%5D=nobody&user%5Bpassword%5D=wrong-password',
      });
      expect(form.status).toBe(401);
      const html = await form.text();
      expect(html).toContain('Invalid login or password.');
      expect(html).toContain('name="user[login]"');
    });

    it('shows the signed-in page with the CSRF meta tag and the username, and redirects when signed out', async () => {
      const signedOut = await fetch(`${url}/`, { redirect: 'manual' });
      expect([signedOut.status, signedOut.headers.get('location')]).toEqual([302, '/users/sign_in']);
      const { cookie, csrfToken } = await signIn(url, DEMO.developer, DEMO.password);
      const html = await (await fetch(`${url}/`, { headers: { cookie } })).text();
      expect(html).toContain(`<meta name="csrf-token" content="${csrfToken}">`);
      expect(html).toContain(DEMO.developer);
    });

    it('signs out with the CSRF token only', async () => {
      const { cookie, csrfToken } = await signIn(url, DEMO.developer, DEMO.password);
      const refused = await fetch(`${url}/users/sign_out`, { method: 'POST', redirect: 'manual', headers: { cookie } });
      expect(refused.status).toBe(422);
      const res = await fetch(`${url}/users/sign_out`, { method: 'POST', redirect: 'manual', headers: { cookie, [HEADER.CSRF_TOKEN]: csrfToken } });
      expect([res.status, res.headers.get('location')]).toEqual([302, '/users/sign_in']);
      expect(res.headers.get('set-cookie')).toMatch(/^_gitlab_session=; /);
      expect((await fetch(`${url}/`, { headers: { cookie }, redirect: 'manual' })).status).toBe(302);
      expect((await tokens({ cookie, [HEADER.CSRF_TOKEN]: csrfToken })).status).toBe(401);
    });
  });

  describe('errors in GitLab\'s shape', () => {
    it('answers unknown routes with 404 {"message":"404 Not Found"}', async () => {
      for (const [method, path] of [['GET', '/nope'], ['POST', '/api/v4/nope'], ['GET', '/-/harness-nope']]) {
        const res = await fetch(`${url}${path}`, { method });
        expect([res.status, await res.json()]).toEqual([404, GITLAB_ERROR.NOT_FOUND]);
      }
    });

    it('answers malformed JSON with 400 Bad request', async () => {
      const poisoned = await fetch(`${url}/users/sign_in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"__proto__":{"admin":true}}',
      });
      expect(poisoned.status).toBe(400);
      const res = await fetch(`${url}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [HEADER.PRIVATE_TOKEN]: DEMO.pat.api },
        body: '{"broken":',
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { message: string };
      expect(validate.message(body)).toEqual({ valid: true });
      expect(body.message).toMatch(/^400 Bad request - \S/);
    });

    it('answers a JSON body nested 100 000 deep on every route that reads bodies as it answers any other, never 500', async () => {
      const post = (path: string, headers: Record<string, string> = {}) =>
        fetch(`${url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json', ...headers }, body: DEEP });
      const signInRes = await post('/users/sign_in');
      expect([signInRes.status, await signInRes.json()]).toEqual([401, { message: 'Invalid login or password.' }]);
      expect((await post('/users/sign_out')).status).toBe(302);
      // The token endpoint reads no body: the deep one is ignored.
      expect((await post(PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, { [HEADER.PRIVATE_TOKEN]: DEMO.pat.api })).status).toBe(201);
    });

    it('answers bodies over 1 MiB with 413', async () => {
      const res = await fetch(`${url}/users/sign_in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }),
      });
      expect([res.status, await res.json()]).toEqual([413, { message: '413 Payload Too Large' }]);
    });
  });

  describe('harness control API', () => {
    it('needs the control token header', async () => {
      for (const headers of [{}, { [HEADER.HARNESS_CONTROL]: 'wrong-token-0123456789' }] as Array<Record<string, string>>) {
        const res = await fetch(`${url}/-/harness/keys`, { headers });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { message: string }).message).toMatch(/^401 Unauthorized/);
      }
    });

    it('mints tokens as a real one would be, with overrides', async () => {
      const plain = await gl.control('POST', '/-/harness/tokens', {});
      expect(plain.status).toBe(201);
      const minted = (await plain.json()) as { token: string; header: Record<string, unknown>; claims: Record<string, unknown> };
      expect(decodeJwt(minted.token)).toEqual({ header: minted.header, claims: minted.claims });
      expect(validate.claims(minted.claims)).toEqual({ valid: true });
      expect(minted.claims).toMatchObject({ iss: url, gitlab_realm: 'saas', aud: 'gitlab-ai-gateway' });
      expect(verifiesAgainst(minted.token, await jwks())).toBe(true);

      const crafted = await gl.control('POST', '/-/harness/tokens', {
        username: DEMO.noDuo,
        claims: { exp: 1, scopes: null, aud: ['x', 'gitlab-ai-gateway'] },
        header: { kid: null, crit: ['exp'] },
      });
      expect(crafted.status).toBe(201);
      const c = (await crafted.json()) as { token: string; header: Record<string, unknown>; claims: Record<string, unknown> };
      expect(c.header).toEqual({ typ: 'JWT', alg: 'RS256', crit: ['exp'] });
      expect(c.claims).toMatchObject({ exp: 1, aud: ['x', 'gitlab-ai-gateway'] });
      expect(c.claims).not.toHaveProperty('scopes');
      expect(c.claims.sub).toBe(DEMO.instanceId);
      expect(verifiesAgainst(c.token, await jwks())).toBe(true);
    });

    it('refuses token requests it cannot honour with 400 Bad request', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{ header: { alg: 'HS256' } }, /^400 Bad request - header\.alg: only RS256/],
        [{ header: { alg: null } }, /^400 Bad request - header\.alg: only RS256/],
        [{ claims: 'exp=1' }, /^400 Bad request - claims /],
        [{ surprise: true }, /^400 Bad request - .*surprise/],
      ];
      for (const [body, message] of cases) {
        const res = await gl.control('POST', '/-/harness/tokens', body);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { message: string }).message).toMatch(message);
      }
    });

    it('answers 404 naming a user or key that does not exist, as GitLab not_found! does', async () => {
      const cases: Array<[string, string, unknown, string]> = [
        ['POST', '/-/harness/tokens', { username: 'nobody' }, "404 User Not Found - username: no user 'nobody'"],
        ['POST', '/-/harness/tokens', { kid: 'not-a-key' }, "404 Key Not Found - kid: no published signing key 'not-a-key'"],
        ['PUT', '/-/harness/feature-flags/code_suggestions_tokens_api', { enabled: true, actors: ['ghost'] }, "404 User Not Found - actors: no user 'ghost'"],
      ];
      for (const [method, path, body, message] of cases) {
        const res = await gl.control(method, path, body);
        expect([res.status, await res.json()]).toEqual([404, { message }]);
      }
    });

    it('refuses claims or a header nested too deep to sign with 400 naming the member, never 500', async () => {
      const deepBody = (member: string) => `{"${member}":${DEEP}}`;
      const send = (path: string, method: string, body: string) =>
        fetch(`${url}${path}`, { method, headers: { [HEADER.HARNESS_CONTROL]: TEST_CONTROL_TOKEN, 'content-type': 'application/json' }, body });
      for (const member of ['claims', 'header']) {
        const res = await send('/-/harness/tokens', 'POST', deepBody(member));
        expect([res.status, await res.json()]).toEqual([
          400,
          { message: `400 Bad request - ${member} must be at most 32 levels deep with at most 10000 members and elements (nested deeper than 32 levels)` },
        ]);
      }
      const wide = await gl.control('POST', '/-/harness/tokens', { claims: { list: Array.from({ length: 10_001 }, (_, i) => i) } });
      expect([wide.status, ((await wide.json()) as { message: string }).message]).toEqual([
        400,
        '400 Bad request - claims must be at most 32 levels deep with at most 10000 members and elements (has more than 10000 members and elements)',
      ]);
      // Within the bounds, nesting is the caller's to choose.
      expect((await gl.control('POST', '/-/harness/tokens', { claims: { nested: { a: { b: [1, [2]] } } } })).status).toBe(201);
      // Every other control route refuses a deep value by its type, with 400.
      for (const [method, path, member] of [
        ['POST', '/-/harness/tokens', 'username'],
        ['POST', '/-/harness/keys', 'activate'],
        ['PUT', '/-/harness/feature-flags/code_suggestions_tokens_api', 'enabled'],
        ['PUT', '/-/harness/ai-token', 'shape'],
        ['PUT', '/-/harness/settings', 'ai_access_token'],
        ['PUT', '/-/harness/groups/duo-group', 'code_suggestions_enabled'],
        ['PUT', '/-/harness/relay', 'saas_url'],
        ['POST', '/-/harness/tokens', 'unknown'],
      ] as const) {
        const res = await send(path, method, deepBody(member));
        const status = path === '/-/harness/relay' ? 404 : 400; // SaaS has no relay
        expect([path, res.status]).toEqual([path, status]);
        expect(validate.message(await res.json())).toEqual({ valid: true });
      }
    });

    it('validates feature flag updates', async () => {
      const cases: Array<[string, unknown, RegExp]> = [
        ['code_suggestions_tokens_api', {}, /^400 Bad request - enabled /],
        ['code_suggestions_tokens_api', { enabled: 'no' }, /^400 Bad request - enabled /],
        ['code_suggestions_tokens_api', { enabled: false, actors: [DEMO.developer] }, /^400 Bad request - actors are only allowed with enabled: true/],
        ['Bad-Name', { enabled: true }, /^400 Bad request - name: /],
      ];
      for (const [name, body, message] of cases) {
        const res = await gl.control('PUT', `/-/harness/feature-flags/${name}`, body);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { message: string }).message).toMatch(message);
      }
    });

    it('switches the AI token generation at runtime and resets it', async () => {
      const mintedNow = async () => decodeJwt(((await (await tokens(bearer(DEMO.pat.api))).json()) as { access_token: string }).access_token);
      expect(await (await gl.control('GET', '/-/harness/ai-token')).json()).toEqual({ shape: 'cloud-connector', audience: 'gitlab-ai-gateway', includeKid: true });

      const res = await gl.control('PUT', '/-/harness/ai-token', { shape: 'seed-000' });
      expect([res.status, await res.json()]).toEqual([200, { shape: 'seed-000', audience: 'gitlab-code-suggestions', includeKid: false }]);
      const legacy = await mintedNow();
      expect(legacy.header).toEqual({ typ: 'JWT', alg: 'RS256' });
      expect(Object.keys(legacy.claims)).toEqual(['jti', 'aud', 'iss', 'iat', 'nbf', 'exp']);
      expect(legacy.claims.aud).toBe('gitlab-code-suggestions');
      expect(validate.claims(legacy.claims)).toEqual({ valid: true });

      const seed002 = await gl.control('PUT', '/-/harness/ai-token', { shape: 'seed-002', includeKid: true });
      expect(await seed002.json()).toEqual({ shape: 'seed-002', audience: 'gitlab-ai-gateway', includeKid: true });
      const ai = await mintedNow();
      expect(ai.header).toHaveProperty('kid');
      expect(ai.claims).toMatchObject({ aud: 'gitlab-ai-gateway', third_party_ai_features_enabled: true, gitlab_realm: 'saas', scopes: ['code_suggestions'] });
      expect(ai.claims).not.toHaveProperty('sub');
      expect(await (await gl.control('PUT', '/-/harness/ai-token', { includeKid: null })).json()).toMatchObject({ shape: 'seed-002', includeKid: false });

      expect((await gl.control('POST', '/-/harness/reset')).status).toBe(204);
      expect(await (await gl.control('GET', '/-/harness/ai-token')).json()).toEqual({ shape: 'cloud-connector', audience: 'gitlab-ai-gateway', includeKid: true });
      expect((await mintedNow()).claims).toMatchObject({ sub: DEMO.instanceId, scopes: ['code_suggestions'] });
    });

    it('refuses AI token settings it does not know, naming the member', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{ shape: 'gitlab-ai-gateway' }, /^400 Bad request - shape must be one of 'seed-000', 'seed-002', 'cloud-connector'$/],
        [{ includeKid: 'yes' }, /^400 Bad request - includeKid must be true, false or null/],
        [{ audience: 'gitlab-code-suggestions' }, /^400 Bad request - audience was replaced by shape, .*seed-000: gitlab-code-suggestions/],
        [{ other: 1 }, /^400 Bad request - .*other/],
      ];
      for (const [body, message] of cases) {
        const res = await gl.control('PUT', '/-/harness/ai-token', body);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { message: string }).message).toMatch(message);
      }
      expect(((await (await gl.control('GET', '/-/harness/ai-token')).json()) as { shape: string }).shape).toBe('cloud-connector');
    });

    it('resets feature flags and sessions to the start state', async () => {
      await gl.control('PUT', '/-/harness/feature-flags/code_suggestions_tokens_api', { enabled: false });
      const { cookie } = await signIn(url, DEMO.developer, DEMO.password);
      expect((await gl.control('POST', '/-/harness/reset')).status).toBe(204);
      expect((await tokens(bearer(DEMO.pat.api))).status).toBe(201);
      expect((await fetch(`${url}/`, { headers: { cookie }, redirect: 'manual' })).status).toBe(302);
    });

    it('lists the requests the app answered, filtered by time and path', async () => {
      const since = new Date().toISOString();
      const probe = { 'user-agent': `request-log-probe/${Date.now()}` };
      await fetch(`${url}${PATH.JWKS}`, { headers: probe });
      await fetch(`${url}/-/health`, { headers: probe });
      await gl.control('GET', '/-/harness/keys');
      const byProbe = <T extends { userAgent?: string }>(requests: T[]) => requests.filter((r) => r.userAgent === probe['user-agent']);

      const res = await gl.control('GET', `/-/harness/requests?since=${encodeURIComponent(since)}&path=${encodeURIComponent(PATH.JWKS)}`);
      expect(res.status).toBe(200);
      const { requests } = (await res.json()) as { requests: Array<{ path: string; userAgent?: string }> };
      expect(requests.every((r) => r.path.startsWith(PATH.JWKS))).toBe(true);
      expect(byProbe(requests)).toEqual([{ at: expect.any(String), method: 'GET', path: PATH.JWKS, status: 200, durationMs: expect.any(Number), userAgent: probe['user-agent'] }]);

      const all = (await (await gl.control('GET', `/-/harness/requests?since=${encodeURIComponent(since)}`)).json()) as { requests: Array<{ path: string; userAgent?: string }> };
      expect(byProbe(all.requests).map((r) => r.path)).toEqual([PATH.JWKS, '/-/health']);
      // The control API's own calls are not part of the observed traffic.
      expect(all.requests.some((r) => r.path.startsWith('/-/harness'))).toBe(false);

      const late = (await (await gl.control('GET', `/-/harness/requests?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json()) as { requests: unknown[] };
      expect(late.requests).toEqual([]);
      for (const query of ['since=yesterday', 'path=no-slash', 'other=1']) {
        expect((await gl.control('GET', `/-/harness/requests?${query}`)).status).toBe(400);
      }
    });
  });
});

describe('gitlab signing keys (each test on an instance of its own: keys outlive a reset)', () => {
  let gl: TestGitlab;
  const tokens = (headers: Record<string, string>) => fetch(`${gl.url}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, { method: 'POST', headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const jwks = async () => (await (await fetch(`${gl.url}${PATH.JWKS}`)).json()) as Jwks;

  beforeEach(async () => {
    gl = await startTestGitlab();
  });
  afterEach(() => gl.close());

  it('rotates keys: a new active key, the old one published until removed', async () => {
    const before = (await (await gl.control('GET', '/-/harness/keys')).json()) as { active: string; keys: Array<{ kid: string; active: boolean; createdAt: string }> };
    expect(before.keys).toEqual([{ kid: before.active, active: true, createdAt: expect.any(String) }]);
    const oldToken = ((await (await tokens(bearer(DEMO.pat.api))).json()) as { access_token: string }).access_token;

    const added = await gl.control('POST', '/-/harness/keys', {});
    expect(added.status).toBe(201);
    const { kid } = (await added.json()) as { kid: string };
    const after = (await (await gl.control('GET', '/-/harness/keys')).json()) as { active: string };
    expect(after.active).toBe(kid);
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([before.active, kid]);

    const newToken = ((await (await tokens(bearer(DEMO.pat.api))).json()) as { access_token: string }).access_token;
    expect(decodeJwt(newToken).header.kid).toBe(kid);
    expect(verifiesAgainst(oldToken, await jwks())).toBe(true);

    const conflict = await gl.control('DELETE', `/-/harness/keys/${kid}`);
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { message: string }).message).toMatch(/^409 Conflict - /);
    expect((await gl.control('DELETE', `/-/harness/keys/${before.active}`)).status).toBe(204);
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([kid]);
    expect(verifiesAgainst(oldToken, await jwks())).toBe(false);
    const unknown = await gl.control('DELETE', '/-/harness/keys/not-a-key');
    expect([unknown.status, await unknown.json()]).toEqual([404, { message: '404 Key Not Found' }]);
  });

  it('pre-publishes a key without activating it, signs with it on request, activates it later', async () => {
    const { active } = (await (await gl.control('GET', '/-/harness/keys')).json()) as { active: string };
    const { kid } = (await (await gl.control('POST', '/-/harness/keys', { activate: false })).json()) as { kid: string };
    expect(((await (await gl.control('GET', '/-/harness/keys')).json()) as { active: string }).active).toBe(active);
    const minted = (await (await gl.control('POST', '/-/harness/tokens', { kid })).json()) as { token: string; header: { kid: string } };
    expect(minted.header.kid).toBe(kid);
    expect(verifiesAgainst(minted.token, await jwks())).toBe(true);
    expect((await gl.control('POST', `/-/harness/keys/${kid}/activate`)).status).toBe(200);
    expect(((await (await gl.control('GET', '/-/harness/keys')).json()) as { active: string }).active).toBe(kid);
    expect((await gl.control('POST', '/-/harness/keys', { activate: 'yes' })).status).toBe(400);
  });
});

describe('gitlab without HARNESS_CONTROL_TOKEN', () => {
  it('has no control API at all (404, even with a token header)', async () => {
    const gl = await startTestGitlab({ HARNESS_CONTROL_TOKEN: undefined });
    try {
      for (const [method, path] of [['GET', '/-/harness/keys'], ['POST', '/-/harness/tokens'], ['POST', '/-/harness/reset']] as const) {
        const res = await gl.control(method, path);
        expect([res.status, await res.json()]).toEqual([404, GITLAB_ERROR.NOT_FOUND]);
      }
      expect((await fetch(`${gl.url}/-/health`)).status).toBe(200);
    } finally {
      await gl.close();
    }
  });
});

describe('gitlab in self-managed mode', () => {
  let gl: TestGitlab;
  beforeAll(async () => {
    // Nothing listens at SAAS_URL: the relay itself is covered by sm-relay.e2e-spec.ts.
    gl = await startTestGitlab({ GITLAB_MODE: 'self-managed', SAAS_URL: `http://127.0.0.1:${await closedPort()}` });
  });
  afterAll(async () => {
    await gl.close();
  });

  it('serves its own users, instance id and issuer', async () => {
    const user = await fetch(`${gl.url}${PATH.GITLAB_USER}`, { headers: { [HEADER.PRIVATE_TOKEN]: DEMO.sm.pat.admin } });
    expect(((await user.json()) as { username: string }).username).toBe(DEMO.sm.admin);
    const discovery = (await (await fetch(`${gl.url}${PATH.OPENID_CONFIGURATION}`)).json()) as { issuer: string };
    expect(discovery.issuer).toBe(gl.url);
    const minted = (await (await gl.control('POST', '/-/harness/tokens', {})).json()) as { claims: Record<string, unknown> };
    expect(minted.claims).toMatchObject({ gitlab_realm: 'self-managed', sub: DEMO.sm.instanceId, iss: gl.url });
  });
});

describe('gitlab start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gitlab-e2e-'));

  it('uses GITLAB_URL as issuer and iss whatever port it binds', async () => {
    const gl = await startTestGitlab({ GITLAB_URL: 'https://gitlab.example.test/' });
    try {
      expect(gl.issuer).toBe('https://gitlab.example.test');
      const discovery = (await (await fetch(`${gl.url}${PATH.OPENID_CONFIGURATION}`)).json()) as { issuer: string; jwks_uri: string };
      expect(discovery).toMatchObject({ issuer: 'https://gitlab.example.test', jwks_uri: 'https://gitlab.example.test/oauth/discovery/keys' });
      const res = await fetch(`${gl.url}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, { method: 'POST', headers: { authorization: `Bearer ${DEMO.pat.api}` } });
      expect(decodeJwt(((await res.json()) as { access_token: string }).access_token).claims.iss).toBe('https://gitlab.example.test');
    } finally {
      await gl.close();
    }
  });

  it('fails naming the variable when a variable is bad', () => {
    expect(() => loadGitlabConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadGitlabConfig({ PORT: 'eighty' })).toThrow(/PORT: /);
  });

  it('fails naming GITLAB_SEED_FILE, the file and the JSON pointer for a bad seed', async () => {
    const seed = join(dir, 'bad-seed.yaml');
    writeFileSync(seed, 'saas:\n  instance_id: not-a-uuid\n  users: []\n');
    const error = await startTestGitlab({ GITLAB_SEED_FILE: seed }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`GITLAB_SEED_FILE: ${seed}: /saas/instance_id`);
    expect((error as ConfigError).message).toContain(`GITLAB_SEED_FILE: ${seed}: /saas/users`);
  });

  it('fails naming GITLAB_SEED_FILE for a seeded ai_access_token no header could carry, without quoting it', async () => {
    const seed = join(dir, 'bad-token-seed.yaml');
    writeFileSync(
      seed,
      [
        'saas:',
        '  instance_id: 5a0b6c1e-6d2f-4c1b-9f3e-0e2a5b7c9d11',
        '  users: [{ id: 1, username: a, password: password-a }]',
        'self-managed:',
        '  instance_id: 8c3d2e1f-0a9b-4c7d-8e6f-5a4b3c2d1e0f',
        '  settings: { code_suggestions_enabled: true, ai_access_token: "glpat secret with spaces" }',
        '  users: [{ id: 2, username: b, password: password-b }]',
        '',
      ].join('\n'),
    );
    const error = await startTestGitlab({ GITLAB_MODE: 'self-managed', SAAS_URL: 'http://127.0.0.1:3001', GITLAB_SEED_FILE: seed }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`GITLAB_SEED_FILE: ${seed}: /self-managed/settings/ai_access_token must be 1 to 1024 visible ASCII`);
    expect((error as ConfigError).message).not.toContain('secret with spaces');
  });

  it('fails naming SIGNING_KEY_FILE for a key it cannot use', async () => {
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, 'not a key');
    await expect(startTestGitlab({ SIGNING_KEY_FILE: keyFile })).rejects.toThrow(new RegExp(`SIGNING_KEY_FILE: ${keyFile}: must be an unencrypted PKCS#8 PEM`));
    await expect(startTestGitlab({ SIGNING_KEY_FILE: join(dir, 'missing.pem') })).rejects.toThrow(/SIGNING_KEY_FILE: .*missing\.pem: cannot read: ENOENT/);
  });
});
