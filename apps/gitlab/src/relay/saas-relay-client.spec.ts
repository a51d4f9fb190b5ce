import { PATH, USER_AGENT } from '../../../../contracts/src/index.js';
import { FakeSaas, closedPortUrl, never, reply } from '../test/fake-saas.js';
import { MAX_SAAS_BODY_BYTES, SaasRelayClient, mapSaasAnswer, scrub } from './saas-relay-client.js';

const SERVICE_TOKEN = 'glpat-unit-stored-service-token';
const VALID = { access_token: 'eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiIxIn0.c2lnbmF0dXJl', expires_in: 3600, created_at: 1685541918 };

describe('SaasRelayClient', () => {
  const saas = new FakeSaas();
  let client: SaasRelayClient;

  beforeAll(async () => {
    await saas.start();
    client = new SaasRelayClient({ saasUrl: saas.url, timeoutMs: 2000 });
  });
  afterAll(async () => {
    await saas.stop();
  });
  beforeEach(() => {
    saas.seen = [];
  });

  it('POSTs to <SAAS_URL>/api/v4/code_suggestions/tokens as Workhorse would, with the stored token', async () => {
    saas.answer = reply(201, JSON.stringify(VALID));
    await client.requestToken(SERVICE_TOKEN);
    expect(saas.seen).toHaveLength(1);
    const [seen] = saas.seen;
    expect(seen).toMatchObject({ method: 'POST', url: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS, body: '' });
    expect(seen!.headers.authorization).toBe(`Bearer ${SERVICE_TOKEN}`);
    expect(seen!.headers['user-agent']!.startsWith(USER_AGENT.RELAY_PREFIX)).toBe(true);
    expect(seen!.headers['content-type']).toBe('application/json');
  });

  it('passes a 201 with a valid token response through unchanged', async () => {
    saas.answer = reply(201, JSON.stringify(VALID));
    expect(await client.requestToken(SERVICE_TOKEN)).toEqual({ outcome: 'token', saasStatus: 201, result: { status: 201, body: VALID } });
  });

  it('passes a 401 JSON body through unchanged, with its WWW-Authenticate', async () => {
    const body = { error: 'invalid_token', error_description: 'Token was revoked. You have to re-authorize from the user.' };
    saas.answer = reply(401, JSON.stringify(body), { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="x", error="invalid_token"' });
    expect(await client.requestToken(SERVICE_TOKEN)).toEqual({
      outcome: 'saas-client-error',
      saasStatus: 401,
      result: { status: 401, body, headers: { 'www-authenticate': 'Bearer realm="x", error="invalid_token"' } },
    });
    saas.answer = reply(401, '{"message":"401 Unauthorized"}');
    expect((await client.requestToken(SERVICE_TOKEN)).result).toEqual({ status: 401, body: { message: '401 Unauthorized' }, headers: {} });
  });

  it('passes a 4xx status without JSON through with a message of its own', async () => {
    saas.answer = reply(403, '<html>Forbidden</html>', { 'content-type': 'text/html' });
    expect(await client.requestToken(SERVICE_TOKEN)).toEqual({
      outcome: 'saas-client-error-without-json',
      saasStatus: 403,
      result: { status: 403, body: { message: '403 Forbidden - GitLab SaaS answered HTTP 403 without a JSON body' }, headers: {} },
    });
  });

  it('answers 502 for a SaaS 500 and 503 for a SaaS 503 (keeping Retry-After)', async () => {
    saas.answer = reply(500, '{"message":"500 Internal Server Error"}');
    expect(await client.requestToken(SERVICE_TOKEN)).toEqual({
      outcome: 'saas-bad-status',
      saasStatus: 500,
      result: { status: 502, body: { message: '502 Bad Gateway - GitLab SaaS answered HTTP 500' }, headers: {} },
    });
    saas.answer = reply(503, 'down for maintenance', { 'content-type': 'text/plain', 'retry-after': '30' });
    expect(await client.requestToken(SERVICE_TOKEN)).toEqual({
      outcome: 'saas-bad-status',
      saasStatus: 503,
      result: { status: 503, body: { message: '503 Service Unavailable - GitLab SaaS answered HTTP 503' }, headers: { 'retry-after': '30' } },
    });
  });

  it('answers 502 malformed for a 200 with HTML, with JSON of the wrong shape, or with no body', async () => {
    const malformed = { outcome: 'malformed', result: { status: 502, body: { message: '502 Bad Gateway - GitLab SaaS returned a malformed token response' } } };
    for (const answer of [
      reply(200, '<!DOCTYPE html><html><body>Sign in</body></html>', { 'content-type': 'text/html' }),
      reply(200, JSON.stringify({ token: 'x', expires_in: 3600 })),
      reply(201, JSON.stringify({ ...VALID, access_token: 'not-a-jws' })),
      reply(200, JSON.stringify([VALID])),
      reply(204, ''),
    ]) {
      saas.answer = answer;
      expect(await client.requestToken(SERVICE_TOKEN)).toMatchObject(malformed);
    }
  });

  it('does not read a body past its limit', async () => {
    saas.answer = reply(200, JSON.stringify({ ...VALID, pad: 'x'.repeat(MAX_SAAS_BODY_BYTES) }));
    expect((await client.requestToken(SERVICE_TOKEN)).outcome).toBe('malformed');
  });

  it('does not follow a redirect (the token must not travel elsewhere): 502', async () => {
    saas.answer = reply(302, '', { location: `${saas.url}/elsewhere` });
    expect(await client.requestToken(SERVICE_TOKEN)).toEqual({
      outcome: 'saas-bad-status',
      saasStatus: 302,
      result: { status: 502, body: { message: '502 Bad Gateway - GitLab SaaS answered HTTP 302' }, headers: {} },
    });
    expect(saas.seen.map((s) => s.url)).toEqual([PATH.GITLAB_CODE_SUGGESTIONS_TOKENS]);
  });

  it('replaces the stored token wherever a passed-through body echoes it', async () => {
    saas.answer = reply(401, JSON.stringify({ message: `401 Unauthorized: ${SERVICE_TOKEN} is unknown`, [SERVICE_TOKEN]: [SERVICE_TOKEN] }));
    const { result } = await client.requestToken(SERVICE_TOKEN);
    expect(JSON.stringify(result)).not.toContain(SERVICE_TOKEN);
    expect(result.body).toEqual({ message: '401 Unauthorized: [REDACTED] is unknown', '[REDACTED]': ['[REDACTED]'] });
  });

  it('answers 502 naming SAAS_URL when nothing listens there', async () => {
    const url = await closedPortUrl();
    const exchange = await new SaasRelayClient({ saasUrl: url, timeoutMs: 2000 }).requestToken(SERVICE_TOKEN);
    expect(exchange).toEqual({
      outcome: 'unreachable',
      errorCode: 'ECONNREFUSED',
      result: { status: 502, body: { message: `502 Bad Gateway - GitLab SaaS at ${url} could not be reached` } },
    });
  });

  it('answers 502 for a DNS failure, keeping only the error code', async () => {
    const fetch = () => Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error(`getaddrinfo ENOTFOUND saas.invalid ${SERVICE_TOKEN}`), { code: 'ENOTFOUND' }) }));
    const exchange = await new SaasRelayClient({ saasUrl: 'https://saas.invalid', timeoutMs: 2000, fetch }).requestToken(SERVICE_TOKEN);
    expect(exchange).toEqual({
      outcome: 'unreachable',
      errorCode: 'ENOTFOUND',
      result: { status: 502, body: { message: '502 Bad Gateway - GitLab SaaS at https://saas.invalid could not be reached' } },
    });
    expect(JSON.stringify(exchange)).not.toContain(SERVICE_TOKEN);
  });

  describe('with a short SAAS_TIMEOUT_MS', () => {
    const hanging = new FakeSaas();
    beforeAll(async () => {
      await hanging.start();
    });
    afterAll(async () => {
      await hanging.stop();
    });

    it('answers 504 when SaaS never answers', async () => {
      hanging.answer = never;
      const exchange = await new SaasRelayClient({ saasUrl: hanging.url, timeoutMs: 100 }).requestToken(SERVICE_TOKEN);
      expect(exchange).toEqual({ outcome: 'timeout', result: { status: 504, body: { message: '504 Gateway Timeout - GitLab SaaS did not answer within 100 ms' } } });
    });

    it('answers 504 when SaaS sends headers but never finishes the body', async () => {
      hanging.answer = (_req, res) => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.write('{"access_token":');
      };
      const exchange = await new SaasRelayClient({ saasUrl: hanging.url, timeoutMs: 100 }).requestToken(SERVICE_TOKEN);
      expect(exchange.result).toEqual({ status: 504, body: { message: '504 Gateway Timeout - GitLab SaaS did not answer within 100 ms' } });
    });
  });
});

describe('mapSaasAnswer', () => {
  const none = new Headers();
  it('judges a body that could not be read as no body', () => {
    expect(mapSaasAnswer(201, undefined, none, SERVICE_TOKEN).outcome).toBe('malformed');
    expect(mapSaasAnswer(401, undefined, none, SERVICE_TOKEN).outcome).toBe('saas-client-error-without-json');
  });

  it('treats JSON scalars on a 4xx as no JSON body', () => {
    expect(mapSaasAnswer(400, '"bad"', none, SERVICE_TOKEN).result).toEqual({
      status: 400,
      body: { message: '400 Bad Request - GitLab SaaS answered HTTP 400 without a JSON body' },
      headers: {},
    });
  });

  it('answers 502 for statuses that are neither success, client error nor server error', () => {
    expect(mapSaasAnswer(304, '', none, SERVICE_TOKEN).result.status).toBe(502);
  });
});

describe('scrub', () => {
  it('replaces the secret in nested strings and keys and leaves other values alone', () => {
    expect(scrub({ a: ['x-s3cret-x', 1, null, true], s3cret: { b: 's3cret' } }, 's3cret')).toEqual({
      a: ['x-[REDACTED]-x', 1, null, true],
      '[REDACTED]': { b: '[REDACTED]' },
    });
  });
});
