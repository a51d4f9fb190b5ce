import { jest } from '@jest/globals';
import { TOKEN_INFO_INVALID, USER_AGENT } from '#contracts';
import { ManualClock } from '../../test/support/manual-clock.js';
import { BackChannelError, OAuthTokenIntrospection, type OAuthIntrospectionOptions } from './oauth-token-introspection.js';

const TOKEN = '4f2c0a7e9b1d3c5e7f9a1b3d5c7e9f1a3b5d7c9e1f3a5b7d9c1e3f5a7b9d1c3e';
const GITLAB = 'https://gitlab.example';

/** GitLab's Oauth::TokenInfoController body (contracts OAuthTokenInfo). */
const tokenInfo = (over: Record<string, unknown> = {}) => ({
  resource_owner_id: 1,
  scope: ['api'],
  expires_in: 7100,
  application: { uid: 'web-ide' },
  created_at: 1_700_000_000,
  scopes: ['api'],
  expires_in_seconds: 7100,
  ...over,
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function setup(respond: () => Response | Promise<Response>, options: Partial<OAuthIntrospectionOptions> = {}) {
  const clock = new ManualClock();
  const fetch = jest.fn(async (_url: string, _init: RequestInit) => respond());
  const client = new OAuthTokenIntrospection({ mode: 'token-info', gitlabUrl: GITLAB, timeoutMs: 1000, maxBytes: 4096, fetch, clock: clock.now, ...options });
  return { clock, fetch, client };
}

async function failureOf(promise: Promise<unknown>): Promise<BackChannelError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof BackChannelError) return e;
    throw e;
  }
  throw new Error('expected a BackChannelError');
}

describe('OAuthTokenIntrospection, token info (GitLab)', () => {
  it('GETs /oauth/token/info with the token as Bearer, never following redirects', async () => {
    const { fetch, client } = setup(() => json(200, tokenInfo()));
    await client.stateOf(TOKEN);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe(`${GITLAB}/oauth/token/info`);
    expect(init).toMatchObject({ method: 'GET', redirect: 'manual', headers: { authorization: `Bearer ${TOKEN}`, 'user-agent': USER_AGENT.GATEWAY } });
    expect(init.body).toBeUndefined();
  });

  it("reads GitLab's scopes and expires_in_seconds, the expiry counted from when the request was sent", async () => {
    const { clock, client } = setup(() => json(200, tokenInfo({ scopes: ['ai_features', 'read_user'], expires_in_seconds: 60 })));
    expect(await client.stateOf(TOKEN)).toEqual({ active: true, scopes: ['ai_features', 'read_user'], expiresAt: clock.now() + 60_000 });
  });

  it("falls back to Doorkeeper's scope and expires_in; a null expires_in is no expiry", async () => {
    const body = tokenInfo({ scope: ['ai_features'], expires_in: null });
    delete (body as Record<string, unknown>).scopes;
    delete (body as Record<string, unknown>).expires_in_seconds;
    const { client } = setup(() => json(200, body));
    expect(await client.stateOf(TOKEN)).toEqual({ active: true, scopes: ['ai_features'], expiresAt: undefined });
  });

  it.each([
    ['401 invalid_token (GitLab today)', () => json(TOKEN_INFO_INVALID.status, TOKEN_INFO_INVALID.body, TOKEN_INFO_INVALID.headers)],
    ['400 invalid_request (older GitLab)', () => json(400, { error: 'invalid_request' })],
    ['403', () => json(403, {})],
    ['404', () => json(404, {})],
    ['200 with no time left', () => json(200, tokenInfo({ expires_in_seconds: 0 }))],
  ])('calls the token not active on %s', async (_name, respond) => {
    const { client } = setup(respond);
    expect(await client.stateOf(TOKEN)).toMatchObject({ active: false });
  });

  it.each([
    ['429 (GitLab rate limits the gateway)', () => json(429, {}), 'rate-limited'],
    ['500', () => json(500, {}), 'http-status'],
    ['503', () => json(503, {}), 'http-status'],
    ['302 to elsewhere', () => new Response(null, { status: 302, headers: { location: 'https://evil.example/' } }), 'redirect'],
    ['200 that is not JSON', () => new Response('<html>', { status: 200 }), 'not-json'],
    ['200 with an array', () => json(200, []), 'bad-answer'],
    ['200 without scopes', () => json(200, { expires_in: 10 }), 'bad-answer'],
    ['200 with non-string scopes', () => json(200, tokenInfo({ scopes: [1] })), 'bad-answer'],
    ['200 with a string expires_in', () => json(200, tokenInfo({ expires_in_seconds: '10' })), 'bad-answer'],
    ['200 over AIGW_OAUTH_MAX_BYTES', () => json(200, tokenInfo({ padding: 'x'.repeat(8000) })), 'too-large'],
  ])('fails (nothing known of the token) on %s', async (_name, respond, failure) => {
    const { client } = setup(respond);
    const error = await failureOf(client.stateOf(TOKEN));
    expect(error.failure).toBe(failure);
    expect(error.message).not.toContain(TOKEN);
  });

  it('fails as unreachable or timeout when fetch throws, naming the URL, never the token', async () => {
    const refused = setup(() => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })));
    const error = await failureOf(refused.client.stateOf(TOKEN));
    expect(error).toMatchObject({ failure: 'unreachable', message: expect.stringContaining('ECONNREFUSED') });
    expect(error.message).toContain(`${GITLAB}/oauth/token/info`);

    const slow = setup(() => Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError')));
    expect((await failureOf(slow.client.stateOf(TOKEN))).failure).toBe('timeout');
  });
});

describe('OAuthTokenIntrospection, RFC 7662 introspection', () => {
  const introspection = (respond: () => Response) => setup(respond, { mode: 'introspection', clientId: 'ai gateway', clientSecret: 's3cr:et' });

  it('POSTs the token form-encoded with the client credentials (client_secret_basic, RFC 6749 §2.3.1)', async () => {
    const { fetch, client } = introspection(() => json(200, { active: true, scope: 'api read_user', exp: 1_800_000_000 }));
    expect(await client.stateOf(TOKEN)).toEqual({ active: true, scopes: ['api', 'read_user'], expiresAt: 1_800_000_000_000 });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe(`${GITLAB}/oauth/introspect`);
    expect(init).toMatchObject({ method: 'POST', redirect: 'manual' });
    const headers = init.headers as Record<string, string>;
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Buffer.from(headers.authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe('ai%20gateway:s3cr%3Aet');
    expect(Object.fromEntries(new URLSearchParams(String(init.body)))).toEqual({ token: TOKEN, token_type_hint: 'access_token' });
  });

  it('calls active: false, and a refresh token, not active', async () => {
    expect(await introspection(() => json(200, { active: false })).client.stateOf(TOKEN)).toMatchObject({ active: false });
    expect(await introspection(() => json(200, { active: true, token_type: 'refresh_token', scope: 'api' })).client.stateOf(TOKEN)).toMatchObject({ active: false });
  });

  it.each([
    ['401 (the gateway’s credentials refused)', () => json(401, { error: 'invalid_client' }), 'http-status'],
    ['200 without active', () => json(200, { scope: 'api' }), 'bad-answer'],
    ['200 with an array scope', () => json(200, { active: true, scope: ['api'] }), 'bad-answer'],
  ])('fails on %s: only a 200 speaks of the token', async (_name, respond, failure) => {
    expect((await failureOf(introspection(respond).client.stateOf(TOKEN))).failure).toBe(failure);
  });
});
