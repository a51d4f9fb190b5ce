import { FEATURE_FLAG, GITLAB_ERROR, GITLAB_INVALID_TOKEN_DESCRIPTION, HEADER, PATH, SCHEMA, USER_AGENT, compileValidator, gitlabInvalidTokenError } from '#contracts';
import { TEST_CONTROL_TOKEN } from '#common/testing/app';
import { decodeJwt } from '#common/testing/jwt';
import { closedPort } from '#common/testing/loopback';
import { MAX_SAAS_BODY_BYTES } from './relay/saas-answer.js';
import { RELAY_LOG_MESSAGE } from './relay/saas-token-relay.service.js';
import { APPLICATION_SETTINGS_PATH } from './settings/application-settings.controller.js';
import { FakeSaas, never, reply } from './test/fake-saas.js';
import { DEMO, type TestGitlab, signIn, startTestGitlab } from './test/helpers.js';

/**
 * Seed 001 in the gitlab app: a real SaaS instance and real self-managed instances (talking
 * HTTP only), plus a stand-in for a SaaS that fails in the ways a real one does not on demand.
 * The relay's contract is the conformance suite's (sm-relay, against the embedded stack); here
 * is what it cannot see: exact wording, the admin API's validation, the control API, the logs.
 */
const SM = DEMO.sm;

/** Tokens stored through the APIs during the run; all must stay out of logs and bodies. */
const UNKNOWN_AT_SAAS = 'glpat-sm-stored-unknown-at-saas-0001';
const REVOKED_AT_SAAS = DEMO.pat.revoked;
const STORED_FOR_FAKES = 'glpat-sm-stored-for-the-fakes-0002';

const validate = {
  message: compileValidator(SCHEMA.GITLAB_MESSAGE_ERROR),
};

interface Answered {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

describe('self-managed relay to SaaS (seed 001)', () => {
  /** Every response body any instance gave during the run. */
  const bodies: string[] = [];
  const fake = new FakeSaas();
  let saas: TestGitlab;
  let sm: TestGitlab;
  let smToFake: TestGitlab;
  let smToDown: TestGitlab;
  let downUrl: string;

  async function call(url: string, init: RequestInit = {}): Promise<Answered> {
    const res = await fetch(url, { redirect: 'manual', ...init });
    const text = await res.text();
    bodies.push(text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }
  const control = async (gl: TestGitlab, method: string, path: string, body?: unknown): Promise<Answered> => {
    const res = await gl.control(method, path, body);
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const tokens = (gl: TestGitlab, headers: Record<string, string>) => call(`${gl.url}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, { method: 'POST', headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  const settingsApi = (gl: TestGitlab, method: 'GET' | 'PUT', headers: Record<string, string>, body?: string, query = '') =>
    call(`${gl.url}${APPLICATION_SETTINGS_PATH}${query}`, { method, headers, body });
  const asAdmin = (extra: Record<string, string> = {}) => ({ [HEADER.PRIVATE_TOKEN]: SM.pat.admin, ...extra });
  const json = { 'content-type': 'application/json' };
  /** SaaS's own record of the token requests it answered since a moment. */
  const saasTokenRequests = async (since: string) =>
    ((await control(saas, 'GET', `/-/harness/requests?since=${encodeURIComponent(since)}&path=${encodeURIComponent(PATH.GITLAB_CODE_SUGGESTIONS_TOKENS)}`)).json as {
      requests: Array<{ status: number; userAgent?: string }>;
    }).requests;

  beforeAll(async () => {
    saas = await startTestGitlab({ LOG_LEVEL: 'trace' });
    sm = await startTestGitlab({ GITLAB_MODE: 'self-managed', SAAS_URL: saas.url, LOG_LEVEL: 'trace' });
    await fake.start();
    smToFake = await startTestGitlab({ GITLAB_MODE: 'self-managed', SAAS_URL: fake.url, SAAS_TIMEOUT_MS: '300', LOG_LEVEL: 'trace' });
    downUrl = `http://127.0.0.1:${await closedPort()}`;
    smToDown = await startTestGitlab({ GITLAB_MODE: 'self-managed', SAAS_URL: downUrl, LOG_LEVEL: 'trace' });
  });
  afterAll(async () => {
    await Promise.all([sm?.close(), smToFake?.close(), smToDown?.close(), saas?.close(), fake.stop()]);
  });
  afterEach(async () => {
    for (const gl of [saas, sm, smToFake, smToDown]) expect((await control(gl, 'POST', '/-/harness/reset')).status).toBe(204);
    fake.seen = [];
  });

  describe('the relay against a real SaaS', () => {
    it('mints for the service account, whoever the SM user is (ai_features PAT, session + CSRF)', async () => {
      const viaPat = await tokens(sm, bearer(SM.pat.aiFeatures));
      const { cookie, csrfToken } = await signIn(sm.url, SM.developer, DEMO.password);
      const viaSession = await tokens(sm, { cookie, [HEADER.CSRF_TOKEN]: csrfToken });
      expect([viaPat.status, viaSession.status]).toEqual([201, 201]);
      const a = decodeJwt((viaPat.json as { access_token: string }).access_token).claims;
      const b = decodeJwt((viaSession.json as { access_token: string }).access_token).claims;
      expect(a.sub).toBe(b.sub);
      expect(a.jti).not.toBe(b.jti);
      expect(b.gitlab_realm).toBe('self-managed');
    });

    it('authenticates on the self-managed instance first: SaaS never hears of a bad SM credential', async () => {
      const since = new Date().toISOString();
      for (const headers of [{}, bearer('glpat-not-a-real-token'), bearer(DEMO.pat.api)]) {
        const res = await tokens(sm, headers);
        expect([res.status, res.json]).toEqual([401, GITLAB_ERROR.UNAUTHORIZED]);
      }
      expect(await saasTokenRequests(since)).toEqual([]);
    });

    it('answers 404 while code_suggestions_tokens_api is off on the SM instance', async () => {
      await control(sm, 'PUT', `/-/harness/feature-flags/${FEATURE_FLAG.CODE_SUGGESTIONS_TOKENS_API}`, { enabled: false });
      const res = await tokens(sm, bearer(SM.pat.api));
      expect([res.status, res.json]).toEqual([404, GITLAB_ERROR.NOT_FOUND]);
    });

    it('answers 404 without asking SaaS when no service access token is stored', async () => {
      const since = new Date().toISOString();
      const cleared = await settingsApi(sm, 'PUT', asAdmin(json), JSON.stringify({ ai_access_token: null }));
      expect([cleared.status, cleared.json]).toEqual([200, { code_suggestions_enabled: true, ai_access_token_set: false }]);
      const res = await tokens(sm, bearer(SM.pat.api));
      expect([res.status, res.json]).toEqual([404, GITLAB_ERROR.NOT_FOUND]);
      expect(await saasTokenRequests(since)).toEqual([]);
    });

    it('passes SaaS\'s 401 through for a stored token SaaS does not know, or has revoked (with its challenge)', async () => {
      expect((await settingsApi(sm, 'PUT', asAdmin(json), JSON.stringify({ ai_access_token: UNKNOWN_AT_SAAS }))).status).toBe(200);
      const unknown = await tokens(sm, bearer(SM.pat.api));
      expect([unknown.status, unknown.json]).toEqual([401, GITLAB_ERROR.UNAUTHORIZED]);

      expect((await control(sm, 'PUT', '/-/harness/settings', { ai_access_token: REVOKED_AT_SAAS })).status).toBe(200);
      const revoked = await tokens(sm, bearer(SM.pat.api));
      const expected = gitlabInvalidTokenError(GITLAB_INVALID_TOKEN_DESCRIPTION.REVOKED);
      expect([revoked.status, revoked.json]).toEqual([401, expected.body]);
      expect(revoked.headers.get('www-authenticate')).toBe(expected.wwwAuthenticate);
    });
  });

  describe('the relay when SaaS fails', () => {
    beforeEach(async () => {
      expect((await control(smToFake, 'PUT', '/-/harness/settings', { ai_access_token: STORED_FOR_FAKES })).status).toBe(200);
    });

    it('sends what Workhorse sends: POST, Bearer <stored token>, gitlab-workhorse User-Agent, JSON', async () => {
      fake.answer = reply(201, JSON.stringify({ access_token: 'eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiIxIn0.c2ln', expires_in: 3600, created_at: 1 }));
      const res = await tokens(smToFake, bearer(SM.pat.api));
      expect([res.status, res.json]).toEqual([201, { access_token: 'eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiIxIn0.c2ln', expires_in: 3600, created_at: 1 }]);
      expect(fake.seen).toHaveLength(1);
      expect(fake.seen[0]).toMatchObject({ method: 'POST', url: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS });
      expect(fake.seen[0]!.headers.authorization).toBe(`Bearer ${STORED_FOR_FAKES}`);
      expect(fake.seen[0]!.headers['user-agent']).toMatch(new RegExp(`^${USER_AGENT.RELAY_PREFIX}`));
      expect(fake.seen[0]!.headers['content-type']).toBe('application/json');
    });

    it('answers 502 naming SAAS_URL when SaaS is down', async () => {
      const res = await tokens(smToDown, bearer(SM.pat.api));
      expect([res.status, res.json]).toEqual([502, { message: `502 Bad Gateway - GitLab SaaS at ${downUrl} could not be reached` }]);
    });

    it('answers 504 when SaaS does not answer within SAAS_TIMEOUT_MS', async () => {
      fake.answer = never;
      const res = await tokens(smToFake, bearer(SM.pat.api));
      expect([res.status, res.json]).toEqual([504, { message: '504 Gateway Timeout - GitLab SaaS did not answer within 300 ms' }]);
      expect(fake.seen).toHaveLength(1);
    });

    it('answers 502 for SaaS 5xx, 503 for SaaS 503', async () => {
      fake.answer = reply(500, '{"message":"500 Internal Server Error"}');
      const failed = await tokens(smToFake, bearer(SM.pat.api));
      expect([failed.status, failed.json]).toEqual([502, { message: '502 Bad Gateway - GitLab SaaS answered HTTP 500' }]);
      fake.answer = reply(503, 'maintenance', { 'content-type': 'text/plain', 'retry-after': '120' });
      const unavailable = await tokens(smToFake, bearer(SM.pat.api));
      expect([unavailable.status, unavailable.json]).toEqual([503, { message: '503 Service Unavailable - GitLab SaaS answered HTTP 503' }]);
      expect(unavailable.headers.get('retry-after')).toBe('120');
    });

    it('answers 502 for a malformed token response, naming the cause', async () => {
      const cases: Array<[ReturnType<typeof reply>, string]> = [
        [reply(200, '<html><body>Sign in</body></html>', { 'content-type': 'text/html' }), 'answered HTTP 200 with a body that is not JSON (text/html)'],
        [reply(201, '{"token":"x"}'), "answered HTTP 201 with JSON that is not a token response (the body must have required property 'access_token'; the body must have required property 'expires_in'; the body must have required property 'created_at')"],
        [reply(201, ''), 'answered HTTP 201 with an empty body'],
        [reply(200, `{"padding":"${'x'.repeat(MAX_SAAS_BODY_BYTES)}"}`), `answered HTTP 200 with a body over ${MAX_SAAS_BODY_BYTES} bytes`],
      ];
      for (const [answer, cause] of cases) {
        fake.answer = answer;
        const res = await tokens(smToFake, bearer(SM.pat.api));
        expect([res.status, res.json]).toEqual([502, { message: `502 Bad Gateway - GitLab SaaS ${cause}` }]);
        expect(validate.message(res.json)).toEqual({ valid: true });
      }
    });

    it('passes a token response with members of SaaS\'s own on byte for byte', async () => {
      const text = '{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiIxIn0.c2ln","expires_in":3600,"created_at":1,"extra":1}';
      fake.answer = reply(201, text);
      const res = await tokens(smToFake, bearer(SM.pat.api));
      expect([res.status, res.text]).toEqual([201, text]);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      // Spacing and escapes too: nothing is re-serialised.
      const rails = '{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiIxIn0.c2ln", "expires_in":3600, "created_at":1, "note":"\\u003cb\\u003e"}';
      fake.answer = reply(200, rails);
      expect((await tokens(smToFake, bearer(SM.pat.api))).text).toBe(rails);
    });

    it('keeps the stored token out of a passed-on challenge and body that echo it', async () => {
      fake.answer = reply(401, JSON.stringify({ message: `401 Unauthorized - unknown token ${STORED_FOR_FAKES}` }), {
        'content-type': 'application/json',
        'www-authenticate': `Bearer realm="GitLab", error="invalid_token", error_description="${STORED_FOR_FAKES} is unknown"`,
      });
      const res = await tokens(smToFake, bearer(SM.pat.api));
      expect([res.status, res.json]).toEqual([401, { message: '401 Unauthorized - unknown token [REDACTED]' }]);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="GitLab", error="invalid_token", error_description="[REDACTED] is unknown"');
    });

    it('answers 502, never 500, for an error body nested too deep to relay', async () => {
      fake.answer = reply(401, '['.repeat(32_000) + `"${STORED_FOR_FAKES}"` + ']'.repeat(32_000));
      const res = await tokens(smToFake, bearer(SM.pat.api));
      expect([res.status, res.json]).toEqual([502, { message: '502 Bad Gateway - GitLab SaaS answered HTTP 401 with JSON too complex to relay (nested deeper than 32 levels)' }]);
    });

    it('passes a 4xx status without JSON on with a message of its own', async () => {
      fake.answer = reply(429, 'slow down', { 'content-type': 'text/plain', 'retry-after': '5' });
      const res = await tokens(smToFake, bearer(SM.pat.api));
      expect([res.status, res.json]).toEqual([429, { message: '429 Too Many Requests - GitLab SaaS answered HTTP 429 with a body that is not JSON (text/plain)' }]);
      expect(res.headers.get('retry-after')).toBe('5');
    });
  });

  describe('admin API: /api/v4/application/settings', () => {
    it('answers 401 without credentials or with an unknown token', async () => {
      for (const headers of [{}, { [HEADER.PRIVATE_TOKEN]: 'glpat-not-a-real-token' }] as Array<Record<string, string>>) {
        for (const method of ['GET', 'PUT'] as const) {
          const res = await settingsApi(sm, method, { ...headers, ...json }, method === 'PUT' ? '{"code_suggestions_enabled":false}' : undefined);
          expect([res.status, res.json]).toEqual([401, GITLAB_ERROR.UNAUTHORIZED]);
        }
      }
    });

    it('answers 403 {"message":"403 Forbidden"} to a non-admin, by PAT or session, and changes nothing', async () => {
      for (const method of ['GET', 'PUT'] as const) {
        const res = await settingsApi(sm, method, { [HEADER.PRIVATE_TOKEN]: SM.pat.api, ...json }, method === 'PUT' ? '{"ai_access_token":null}' : undefined);
        expect([res.status, res.json]).toEqual([403, GITLAB_ERROR.FORBIDDEN]);
      }
      const { cookie, csrfToken } = await signIn(sm.url, SM.developer, DEMO.password);
      const viaSession = await settingsApi(sm, 'PUT', { cookie, [HEADER.CSRF_TOKEN]: csrfToken, ...json }, '{"ai_access_token":null}');
      expect([viaSession.status, viaSession.json]).toEqual([403, GITLAB_ERROR.FORBIDDEN]);
      expect((await settingsApi(sm, 'GET', asAdmin())).json).toEqual({ code_suggestions_enabled: true, ai_access_token_set: true });
      // SaaS has the same API and no administrators in its demo data.
      const onSaas = await settingsApi(saas, 'GET', { [HEADER.PRIVATE_TOKEN]: DEMO.pat.api });
      expect([onSaas.status, onSaas.json]).toEqual([403, GITLAB_ERROR.FORBIDDEN]);
    });

    it('updates from JSON, a form or the query string, answering the new view without the token', async () => {
      const stored = await settingsApi(sm, 'PUT', asAdmin(json), JSON.stringify({ ai_access_token: UNKNOWN_AT_SAAS, code_suggestions_enabled: true }));
      expect([stored.status, stored.json]).toEqual([200, { code_suggestions_enabled: true, ai_access_token_set: true }]);
      expect(stored.text).not.toContain(UNKNOWN_AT_SAAS);
      // The relay now uses the new token (SaaS does not know it).
      expect((await tokens(sm, bearer(SM.pat.api))).status).toBe(401);

      const form = await settingsApi(sm, 'PUT', asAdmin({ 'content-type': 'application/x-www-form-urlencoded' }), 'code_suggestions_enabled=false&ai_access_token=');
      expect([form.status, form.json]).toEqual([200, { code_suggestions_enabled: false, ai_access_token_set: false }]);
      const query = await settingsApi(sm, 'PUT', asAdmin(), undefined, `?code_suggestions_enabled=true&ai_access_token=${SM.storedToken}`);
      expect([query.status, query.json]).toEqual([200, { code_suggestions_enabled: true, ai_access_token_set: true }]);
      expect((await tokens(sm, bearer(SM.pat.api))).status).toBe(201);
    });

    it('accepts an admin session with its CSRF token (and ignores it without)', async () => {
      const { cookie, csrfToken } = await signIn(sm.url, SM.admin, DEMO.password);
      const withCsrf = await settingsApi(sm, 'PUT', { cookie, [HEADER.CSRF_TOKEN]: csrfToken, ...json }, '{"code_suggestions_enabled":false}');
      expect([withCsrf.status, withCsrf.json]).toEqual([200, { code_suggestions_enabled: false, ai_access_token_set: true }]);
      const withoutCsrf = await settingsApi(sm, 'PUT', { cookie, ...json }, '{"code_suggestions_enabled":true}');
      expect([withoutCsrf.status, withoutCsrf.json]).toEqual([401, GITLAB_ERROR.UNAUTHORIZED]);
      expect((await settingsApi(sm, 'GET', { cookie })).json).toEqual({ code_suggestions_enabled: false, ai_access_token_set: true });
    });

    it('answers 400 Bad request naming the problem, and changes nothing', async () => {
      const cases: Array<[string | undefined, Record<string, string>, string]> = [
        ['{"code_suggestions_enabled":"maybe"}', json, '400 Bad request - code_suggestions_enabled is invalid (expected true or false)'],
        ['{"ai_access_token":"two words"}', json, '400 Bad request - ai_access_token must be 1 to 1024 visible ASCII characters without spaces (empty or null clears it)'],
        ['{"ai_access_token":7}', json, '400 Bad request - ai_access_token must be 1 to 1024 visible ASCII characters without spaces (empty or null clears it)'],
        ['{}', json, '400 Bad request - code_suggestions_enabled, ai_access_token are missing, at least one parameter must be provided'],
        ['{"signup_enabled":false}', json, '400 Bad request - signup_enabled is not a setting of this emulator (known: code_suggestions_enabled, ai_access_token)'],
        ['[]', json, '400 Bad request - the body must be a JSON object or a form'],
        // Nested 100 000 deep: parsed by Fastify, refused by type like any other bad value.
        [`{"ai_access_token":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, json, '400 Bad request - ai_access_token must be 1 to 1024 visible ASCII characters without spaces (empty or null clears it)'],
        [`{"code_suggestions_enabled":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`, json, '400 Bad request - code_suggestions_enabled is invalid (expected true or false)'],
      ];
      for (const [body, headers, message] of cases) {
        const res = await settingsApi(sm, 'PUT', asAdmin(headers), body);
        expect([res.status, res.json]).toEqual([400, { message }]);
      }
      const broken = await settingsApi(sm, 'PUT', asAdmin(json), '{"ai_access_token":');
      expect(broken.status).toBe(400);
      expect((broken.json as { message: string }).message).toMatch(/^400 Bad request - /);
      expect((await settingsApi(sm, 'GET', asAdmin())).json).toEqual({ code_suggestions_enabled: true, ai_access_token_set: true });
    });
  });

  describe('control API', () => {
    it('PUT /-/harness/relay points the relay elsewhere until reset, which restores SAAS_URL', async () => {
      const before = await control(sm, 'GET', '/-/harness/relay');
      expect([before.status, (before.json as { saas_url: string }).saas_url]).toEqual([200, saas.url]);
      const moved = await control(sm, 'PUT', '/-/harness/relay', { saas_url: downUrl, timeout_ms: 250 });
      expect([moved.status, moved.json]).toEqual([200, { saas_url: downUrl, timeout_ms: 250 }]);
      const refused = await tokens(sm, bearer(SM.pat.api));
      expect([refused.status, refused.json]).toEqual([502, { message: `502 Bad Gateway - GitLab SaaS at ${downUrl} could not be reached` }]);
      for (const bad of [{ saas_url: 'ftp://x' }, { saas_url: 'http://user:pw@host' }, { timeout_ms: 0 }, { other: 1 }]) {
        expect((await control(sm, 'PUT', '/-/harness/relay', bad)).status).toBe(400);
      }
      expect((await control(sm, 'POST', '/-/harness/reset')).status).toBe(204);
      expect(((await control(sm, 'GET', '/-/harness/relay')).json as { saas_url: string }).saas_url).toBe(saas.url);
      expect((await tokens(sm, bearer(SM.pat.api))).status).toBe(201);
      const onSaas = await control(saas, 'GET', '/-/harness/relay');
      expect([onSaas.status, onSaas.json]).toEqual([404, { message: '404 Relay Not Found' }]);
    });

    it('PUT /-/harness/settings changes the same settings and never returns the token', async () => {
      const res = await control(sm, 'PUT', '/-/harness/settings', { code_suggestions_enabled: false, ai_access_token: UNKNOWN_AT_SAAS });
      expect([res.status, res.json]).toEqual([200, { code_suggestions_enabled: false, ai_access_token_set: true }]);
      expect((await settingsApi(sm, 'GET', asAdmin())).json).toEqual({ code_suggestions_enabled: false, ai_access_token_set: true });
      const cleared = await control(sm, 'PUT', '/-/harness/settings', { ai_access_token: null });
      expect(cleared.json).toEqual({ code_suggestions_enabled: false, ai_access_token_set: false });
      for (const bad of [{ code_suggestions_enabled: 'yes' }, { ai_access_token: 'two words' }, { other: true }]) {
        const refused = await control(sm, 'PUT', '/-/harness/settings', bad);
        expect(refused.status).toBe(400);
        expect((refused.json as { message: string }).message).toMatch(/^400 Bad request - /);
      }
      const noHeader = await call(`${sm.url}/-/harness/settings`, { method: 'PUT', headers: json, body: '{}' });
      expect(noHeader.status).toBe(401);
    });

    it('POST /-/harness/reset restores the seeded settings and groups', async () => {
      await control(sm, 'PUT', '/-/harness/settings', { code_suggestions_enabled: false, ai_access_token: null });
      await control(saas, 'PUT', '/-/harness/groups/duo-group', { code_suggestions_enabled: false });
      expect((await tokens(sm, bearer(SM.pat.api))).status).toBe(404);
      for (const gl of [sm, saas]) expect((await control(gl, 'POST', '/-/harness/reset')).status).toBe(204);
      expect((await settingsApi(sm, 'GET', asAdmin())).json).toEqual({ code_suggestions_enabled: true, ai_access_token_set: true });
      expect((await tokens(sm, bearer(SM.pat.api))).status).toBe(201);
    });

    it('GET /-/harness/groups/{path} and /-/harness/feature-flags/{name} read what PUT changes', async () => {
      expect((await control(saas, 'GET', '/-/harness/groups/duo-group')).json).toEqual({ path: 'duo-group', code_suggestions_enabled: true });
      expect((await control(saas, 'GET', '/-/harness/groups/no-such-group')).status).toBe(404);
      const flag = `/-/harness/feature-flags/${FEATURE_FLAG.INSTANCE_ADMIN_ENABLED}`;
      expect((await control(saas, 'GET', flag)).json).toEqual({ name: FEATURE_FLAG.INSTANCE_ADMIN_ENABLED, enabled: false, actors: ['sm-service-account'] });
      await control(saas, 'PUT', flag, { enabled: true });
      expect((await control(saas, 'GET', flag)).json).toEqual({ name: FEATURE_FLAG.INSTANCE_ADMIN_ENABLED, enabled: true, actors: ['sm-service-account'] });
      await control(saas, 'PUT', flag, { enabled: true, actors: ['sm-service-account'] });
      expect((await control(saas, 'GET', '/-/harness/feature-flags/Not-A-Flag')).status).toBe(400);
    });

    it('PUT /-/harness/groups/{path} answers 404 for an unknown group and 400 for a bad body', async () => {
      const unknown = await control(saas, 'PUT', '/-/harness/groups/no-such-group', { code_suggestions_enabled: true });
      expect([unknown.status, unknown.json]).toEqual([404, { message: '404 Group Not Found' }]);
      expect((await control(saas, 'PUT', '/-/harness/groups/duo-group', { code_suggestions_enabled: 'no' })).status).toBe(400);
    });
  });

  it('never puts a stored token into any log line or response body, whatever the relay\'s outcome', async () => {
    const first = bodies.length;
    const relayFromSm = () => tokens(sm, bearer(SM.pat.api));
    const relayFromFake = (answer: ReturnType<typeof reply>) => {
      fake.answer = answer;
      return tokens(smToFake, bearer(SM.pat.api));
    };
    expect((await relayFromSm()).status).toBe(201);
    expect((await settingsApi(sm, 'PUT', asAdmin(json), JSON.stringify({ ai_access_token: UNKNOWN_AT_SAAS }))).status).toBe(200);
    expect((await relayFromSm()).status).toBe(401);
    expect((await control(sm, 'PUT', '/-/harness/settings', { ai_access_token: REVOKED_AT_SAAS })).status).toBe(200);
    expect((await relayFromSm()).status).toBe(401);
    expect((await control(smToFake, 'PUT', '/-/harness/settings', { ai_access_token: STORED_FOR_FAKES })).status).toBe(200);
    const echoing = { 'content-type': 'application/json', 'www-authenticate': `Bearer error="invalid_token", error_description="${STORED_FOR_FAKES}"` };
    expect((await relayFromFake(reply(401, JSON.stringify({ message: `unknown ${STORED_FOR_FAKES}` }), echoing))).status).toBe(401);
    expect((await relayFromFake(reply(429, `slow down ${STORED_FOR_FAKES}`, { 'content-type': 'text/plain' }))).status).toBe(429);
    expect((await relayFromFake(reply(500, `{"message":"${STORED_FOR_FAKES}"}`))).status).toBe(502);
    expect((await relayFromFake(reply(200, `<html>${STORED_FOR_FAKES}</html>`, { 'content-type': 'text/html' }))).status).toBe(502);
    expect((await relayFromFake(never)).status).toBe(504);
    expect((await tokens(smToDown, bearer(SM.pat.api))).status).toBe(502);

    const lines = [saas, sm, smToFake, smToDown].flatMap((gl) => gl.lines);
    const stored = [SM.storedToken, UNKNOWN_AT_SAAS, REVOKED_AT_SAAS, STORED_FOR_FAKES];
    const secrets = [...stored, ...Object.values(SM.pat), TEST_CONTROL_TOKEN];
    expect(secrets.filter((s) => lines.some((line) => line.includes(s)))).toEqual([]);
    expect(stored.filter((s) => bodies.some((body) => body.includes(s)))).toEqual([]);
    // The capture is not empty: every relay outcome was logged, with SaaS URL, status and duration.
    const relays = lines
      .map((l) => JSON.parse(l) as { msg?: string; relay?: { outcome: string; saasUrl: string; status: number; durationMs: number } })
      .filter((l) => l.msg === RELAY_LOG_MESSAGE)
      .map((l) => l.relay!);
    expect(new Set(relays.map((r) => r.outcome))).toEqual(
      new Set(['token', 'saas-client-error', 'saas-client-error-without-json', 'saas-bad-status', 'malformed', 'unreachable', 'timeout']),
    );
    expect(relays.every((r) => r.saasUrl.endsWith(PATH.GITLAB_CODE_SUGGESTIONS_TOKENS) && r.status >= 200 && r.durationMs >= 0)).toBe(true);
    expect(bodies.slice(first).some((b) => b.includes('access_token'))).toBe(true);
  });
});
