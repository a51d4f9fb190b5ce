import { PATH, USER_AGENT } from '#contracts';
import { closedPort } from '#common/testing/loopback';
import { FakeSaas, never, reply } from '../test/fake-saas.js';
import { MAX_SAAS_BODY_BYTES, mapSaasAnswer } from './saas-answer.js';
import { SaasRelayClient } from './saas-relay-client.js';

const SERVICE_TOKEN = 'glpat-unit-stored-service-token';
const VALID = { access_token: 'eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiIxIn0.c2lnbmF0dXJl', expires_in: 3600, created_at: 1685541918 };
const VALID_TEXT = JSON.stringify(VALID);
/**
 * JSON nested 10 000 deep, under MAX_SAAS_BODY_BYTES: parses (V8's JSON.parse is iterative) but
 * overflows the stack of anything recursive (JSON.stringify, a recursive scrubber).
 */
const DEEP = (inner: string) => '{"a":'.repeat(10_000) + inner + '}'.repeat(10_000);

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
    saas.answer = reply(201, VALID_TEXT);
    expect(await client.requestToken(SERVICE_TOKEN)).toEqual({ outcome: 'token', saasStatus: 201, result: { status: 201, body: VALID, bodyText: VALID_TEXT } });
  });

  it('passes a token response with members of SaaS\'s own through byte for byte', async () => {
    // A newer GitLab may add members; Rails escapes <, > and & in JSON. Neither is ours to change.
    const text = `{"access_token":"${VALID.access_token}", "expires_in":3600,"created_at":1685541918,"extra":1,"note":"\\u003cb\\u003e"}`;
    saas.answer = reply(201, text);
    const exchange = await client.requestToken(SERVICE_TOKEN);
    expect(exchange.outcome).toBe('token');
    expect(exchange.result.bodyText).toBe(text);
    expect(exchange.result.body).toEqual({ ...VALID, extra: 1, note: '<b>' });
  });

  it('passes a 401 JSON body through unchanged, with its WWW-Authenticate', async () => {
    const body = { error: 'invalid_token', error_description: 'Token was revoked. You have to re-authorize from the user.' };
    saas.answer = reply(401, JSON.stringify(body), { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="x", error="invalid_token"' });
    expect(await client.requestToken(SERVICE_TOKEN)).toEqual({
      outcome: 'saas-client-error',
      saasStatus: 401,
      result: { status: 401, body, bodyText: JSON.stringify(body), headers: { 'www-authenticate': 'Bearer realm="x", error="invalid_token"' } },
    });
    saas.answer = reply(401, '{"message":"401 Unauthorized"}');
    expect((await client.requestToken(SERVICE_TOKEN)).result).toEqual({
      status: 401,
      body: { message: '401 Unauthorized' },
      bodyText: '{"message":"401 Unauthorized"}',
      headers: {},
    });
  });

  it('passes a 4xx status without JSON through with a message of its own naming the cause', async () => {
    saas.answer = reply(403, '<html>Forbidden</html>', { 'content-type': 'text/html; charset=utf-8' });
    expect(await client.requestToken(SERVICE_TOKEN)).toEqual({
      outcome: 'saas-client-error-without-json',
      saasStatus: 403,
      problem: 'not-json',
      result: { status: 403, body: { message: '403 Forbidden - GitLab SaaS answered HTTP 403 with a body that is not JSON (text/html)' }, headers: {} },
    });
    const cases: Array<[ReturnType<typeof reply>, string]> = [
      [reply(429, '', { 'retry-after': '5' }), '429 Too Many Requests - GitLab SaaS answered HTTP 429 with an empty body'],
      [reply(400, '"bad"'), '400 Bad Request - GitLab SaaS answered HTTP 400 with JSON that is not an object'],
      [reply(401, 'x'.repeat(MAX_SAAS_BODY_BYTES + 1), { 'content-type': 'text/plain' }), `401 Unauthorized - GitLab SaaS answered HTTP 401 with a body over ${MAX_SAAS_BODY_BYTES} bytes`],
    ];
    for (const [answer, message] of cases) {
      saas.answer = answer;
      const { result } = await client.requestToken(SERVICE_TOKEN);
      expect([result.status, result.body]).toEqual([Number(message.slice(0, 3)), { message }]);
    }
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

  it('answers 502 for a 2xx that is no token response, naming the cause and SaaS\'s status', async () => {
    const cases: Array<[ReturnType<typeof reply>, string, string]> = [
      [reply(200, '<!DOCTYPE html><html><body>Sign in</body></html>', { 'content-type': 'text/html' }), 'not-json', 'answered HTTP 200 with a body that is not JSON (text/html)'],
      [reply(200, '{"access_token":', { 'content-type': 'application/json' }), 'not-json', 'answered HTTP 200 with a body that is not JSON (application/json)'],
      [reply(204, ''), 'empty', 'answered HTTP 204 with an empty body'],
      [reply(200, '3600'), 'not-an-object', 'answered HTTP 200 with JSON that is not an object'],
      [
        reply(200, JSON.stringify({ token: 'x', expires_in: 3600 })),
        'not-a-token-response',
        "answered HTTP 200 with JSON that is not a token response (the body must have required property 'access_token'; the body must have required property 'created_at')",
      ],
      [
        reply(201, JSON.stringify({ ...VALID, access_token: 'not-a-jws', expires_in: '3600' })),
        'not-a-token-response',
        'answered HTTP 201 with JSON that is not a token response (access_token must match pattern "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$"; expires_in must be integer)',
      ],
      [reply(200, JSON.stringify([VALID])), 'not-a-token-response', 'answered HTTP 200 with JSON that is not a token response (the body must be object)'],
    ];
    for (const [answer, problem, cause] of cases) {
      saas.answer = answer;
      expect(await client.requestToken(SERVICE_TOKEN)).toEqual({
        outcome: 'malformed',
        saasStatus: expect.any(Number),
        problem,
        result: { status: 502, body: { message: `502 Bad Gateway - GitLab SaaS ${cause}` } },
      });
    }
  });

  it('does not read a body past its limit, announced or streamed, and says so', async () => {
    const big = JSON.stringify({ ...VALID, pad: 'x'.repeat(MAX_SAAS_BODY_BYTES) });
    for (const answer of [reply(200, big), reply(200, big, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(big)) })]) {
      saas.answer = answer;
      expect(await client.requestToken(SERVICE_TOKEN)).toEqual({
        outcome: 'malformed',
        saasStatus: 200,
        problem: 'too-large',
        result: { status: 502, body: { message: `502 Bad Gateway - GitLab SaaS answered HTTP 200 with a body over ${MAX_SAAS_BODY_BYTES} bytes` } },
      });
    }
  });

  it('answers 502 when SaaS cuts the connection mid-body', async () => {
    saas.answer = (_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.write('{"access_token":"eyJ');
      setTimeout(() => res.destroy(), 10);
    };
    expect(await client.requestToken(SERVICE_TOKEN)).toEqual({
      outcome: 'malformed',
      saasStatus: 201,
      problem: 'incomplete',
      result: { status: 502, body: { message: '502 Bad Gateway - GitLab SaaS answered HTTP 201 but the connection closed before the body was complete' } },
    });
  });

  it('answers 502, never a crash, for JSON nested too deep or too large, whatever the status', async () => {
    const cases: Array<[number, string, string]> = [
      [201, DEEP('1'), 'nested deeper than 32 levels'],
      [401, DEEP(`"${SERVICE_TOKEN}"`), 'nested deeper than 32 levels'],
      [403, '['.repeat(32_000) + ']'.repeat(32_000), 'nested deeper than 32 levels'],
      [400, JSON.stringify({ errors: Array.from({ length: 10_001 }, () => 0) }), 'has more than 10000 members and elements'],
    ];
    for (const [status, body, violation] of cases) {
      // Under the size limit, so the depth bound, not the byte bound, is what answers.
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_SAAS_BODY_BYTES);
      saas.answer = reply(status, body);
      const exchange = await client.requestToken(SERVICE_TOKEN);
      expect(exchange).toEqual({
        outcome: 'malformed',
        saasStatus: status,
        problem: 'too-complex',
        result: { status: 502, body: { message: `502 Bad Gateway - GitLab SaaS answered HTTP ${status} with JSON too complex to relay (${violation})` } },
      });
    }
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

  it('replaces the stored token wherever a passed-through body echoes it, and re-serialises only then', async () => {
    saas.answer = reply(401, JSON.stringify({ message: `401 Unauthorized: ${SERVICE_TOKEN} is unknown`, [SERVICE_TOKEN]: [SERVICE_TOKEN] }));
    const { result } = await client.requestToken(SERVICE_TOKEN);
    expect(JSON.stringify(result)).not.toContain(SERVICE_TOKEN);
    expect(result.body).toEqual({ message: '401 Unauthorized: [REDACTED] is unknown', '[REDACTED]': ['[REDACTED]'] });
    expect(result).not.toHaveProperty('bodyText');
  });

  it('finds the token however the JSON text spells it (escaped, percent-encoded)', async () => {
    const escaped = SERVICE_TOKEN.replace('-', '\\u002d');
    const tokenWithSlash = 'glpat-unit/stored+token';
    for (const [secret, text] of [
      [SERVICE_TOKEN, `{"message":"401 Unauthorized: ${escaped}"}`],
      [tokenWithSlash, `{"message":"see https://saas.example/x?t=${encodeURIComponent(tokenWithSlash)}"}`],
    ] as const) {
      saas.answer = reply(401, text);
      const { result } = await client.requestToken(secret);
      expect(JSON.stringify(result)).not.toContain(secret);
      expect(JSON.stringify(result)).not.toContain(encodeURIComponent(secret));
      expect(JSON.stringify(result.body)).toContain('[REDACTED]');
      expect(result).not.toHaveProperty('bodyText');
    }
  });

  it('takes the token out of every header it passes on (WWW-Authenticate, Retry-After)', async () => {
    const challenge = `Bearer realm="GitLab", error="invalid_token", error_description="token ${SERVICE_TOKEN} was revoked"`;
    saas.answer = reply(401, '{"message":"401 Unauthorized"}', { 'content-type': 'application/json', 'www-authenticate': challenge, 'retry-after': SERVICE_TOKEN });
    const { result } = await client.requestToken(SERVICE_TOKEN);
    expect(result.headers).toEqual({ 'www-authenticate': 'Bearer realm="GitLab", error="invalid_token", error_description="token [REDACTED] was revoked"' });
    saas.answer = reply(503, 'down', { 'content-type': 'text/plain', 'www-authenticate': `Bearer ${SERVICE_TOKEN}`, 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' });
    expect((await client.requestToken(SERVICE_TOKEN)).result.headers).toEqual({
      'www-authenticate': 'Bearer [REDACTED]',
      'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT',
    });
    saas.answer = reply(429, '', { 'www-authenticate': `Basic realm="${SERVICE_TOKEN}"` });
    const withoutJson = await client.requestToken(SERVICE_TOKEN);
    expect(withoutJson.result.headers).toEqual({ 'www-authenticate': 'Basic realm="[REDACTED]"' });
    expect(JSON.stringify(withoutJson)).not.toContain(SERVICE_TOKEN);
  });

  it('answers 502 naming SAAS_URL when nothing listens there', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
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
  it('judges a body that could not be read by why', () => {
    expect(mapSaasAnswer(201, { unreadable: 'incomplete' }, none, SERVICE_TOKEN)).toMatchObject({ outcome: 'malformed', problem: 'incomplete' });
    expect(mapSaasAnswer(401, { unreadable: 'too-large' }, none, SERVICE_TOKEN)).toMatchObject({
      outcome: 'saas-client-error-without-json',
      problem: 'too-large',
      result: { status: 401 },
    });
  });

  it('leaves an odd content type out of its message', () => {
    const odd = new Headers({ 'content-type': `text/${'x'.repeat(100)}` });
    expect(mapSaasAnswer(200, { text: '<html>' }, odd, SERVICE_TOKEN).result.body).toEqual({
      message: '502 Bad Gateway - GitLab SaaS answered HTTP 200 with a body that is not JSON',
    });
  });

  it('answers 502 for statuses that are neither success, client error nor server error', () => {
    expect(mapSaasAnswer(304, { text: '' }, none, SERVICE_TOKEN).result).toEqual({
      status: 502,
      body: { message: '502 Bad Gateway - GitLab SaaS answered HTTP 304' },
      headers: {},
    });
  });
});
