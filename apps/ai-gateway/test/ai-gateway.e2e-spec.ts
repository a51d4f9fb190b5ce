import {
  AUDIENCE,
  compileValidator,
  GATEWAY_AUTH_ERROR,
  GATEWAY_CODE_COMPLETIONS_FORBIDDEN,
  HEADER,
  headerMismatchError,
  PATH,
  SCHEMA,
  USER_AGENT,
} from '../../../contracts/src/index.js';
import { request as httpRequest, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  aiTokenClaims,
  CI_JOB_SUB,
  ciJobTokenClaims,
  legacyTokenClaims,
  makeRsaKey,
  rawToken,
  signToken,
  type TestKey,
} from './support/keys.js';
import { closedPort, CONTROL_TOKEN, startFakeModel, startGateway, type RunningApp } from './support/stack.js';
import { BODY, keystrokeHeaders } from './support/keystroke.js';
import { TestIssuer } from './support/test-issuer.js';

const validCompletion = compileValidator(SCHEMA.COMPLETIONS_RESPONSE);
const validAuthError = compileValidator(SCHEMA.GATEWAY_AUTH_ERROR);
const validDetailError = compileValidator(SCHEMA.GATEWAY_DETAIL_ERROR);

const MODEL_TIMEOUT_MS = 800;


let k1: TestKey;
let k2: TestKey;
let attacker: TestKey;
let issuer: TestIssuer;
let model: RunningApp;
let gateway: RunningApp;
const logLines: string[] = [];
const usedTokens: string[] = [];

beforeAll(async () => {
  [k1, k2, attacker] = await Promise.all([makeRsaKey('k1'), makeRsaKey('k2'), makeRsaKey('k1')]);
  issuer = await TestIssuer.start([k1]);
  model = await startFakeModel();
  gateway = await startGateway(
    {
      AIGW_TRUSTED_ISSUERS: issuer.url,
      AIGW_MODEL_URL: model.url,
      AIGW_MODEL_TIMEOUT_MS: String(MODEL_TIMEOUT_MS),
      AIGW_JWKS_REFETCH_INTERVAL_MS: '0',
      HARNESS_CONTROL_TOKEN: CONTROL_TOKEN,
    },
    logLines,
  );
});

afterAll(async () => {
  await gateway?.close();
  await model?.close();
  await issuer?.stop();
});

/** An instance token of the test issuer (cloud-connector shape: sub = the instance UUID). */
async function token(overrides: Record<string, unknown> = {}, key: TestKey = k1, header: Record<string, unknown> = {}): Promise<string> {
  return signed(aiTokenClaims(issuer.url, overrides), key, header);
}

async function signed(claims: Record<string, unknown>, key: TestKey = k1, header: Record<string, unknown> = {}): Promise<string> {
  const jwt = await signToken(key, claims, { header });
  usedTokens.push(jwt);
  return jwt;
}

const headersFor = keystrokeHeaders;

async function complete(headers: Record<string, string>, body: unknown = BODY, path: string = PATH.GATEWAY_COMPLETIONS) {
  const res = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(MODEL_TIMEOUT_MS * 5),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** A POST through node:http, which sends a header given as an array as several header lines (fetch would join them). */
function rawPost(url: string, headers: Record<string, string | string[]>, body: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function control(app: RunningApp, method: string, path: string, body?: unknown, tokenValue: string | null = CONTROL_TOKEN) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (tokenValue) headers[HEADER.HARNESS_CONTROL] = tokenValue;
  return fetch(`${app.url}${PATH.HARNESS_CONTROL_PREFIX}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

describe('ai-gateway (HTTP, in-test issuer and fake model)', () => {
  describe('completions', () => {
    it('answers a valid token with a schema-valid completion from the model', async () => {
      const res = await complete(headersFor(await token()));
      expect(res.status).toBe(200);
      expect(validCompletion(res.json)).toEqual({ valid: true });
      const body = res.json as { model: { engine: string; name: string; lang: string }; object: string; choices: Array<{ text: string; finish_reason: string }> };
      expect(body.model).toEqual({ engine: 'fake', name: 'fake-code-model', lang: 'python' });
      expect(body.choices[0]?.text).toMatch(/^\):\n {4}# fake-model [0-9a-f]{8}\n/);
      expect(body.choices[0]?.finish_reason).toBe('stop');
    });

    it('answers on the /v2/completions alias too, with the language from language_identifier', async () => {
      const body = { current_file: { file_name: 'noext', content_above_cursor: 'function f(', language_identifier: 'javascript' } };
      const res = await complete(headersFor(await token()), body, PATH.GATEWAY_COMPLETIONS_ALIAS);
      expect(res.status).toBe(200);
      expect((res.json as { model: { lang: string } }).model.lang).toBe('javascript');
    });

    it('streams the same completion text as text/event-stream when stream is true', async () => {
      const plain = await complete(headersFor(await token()));
      const streamed = await complete(headersFor(await token()), { ...BODY, stream: true });
      expect(streamed.status).toBe(200);
      expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(streamed.text).toBe((plain.json as { choices: Array<{ text: string }> }).choices[0]?.text);
    });

    it('calls the model with the gateway User-Agent', async () => {
      const since = new Date().toISOString();
      await complete(headersFor(await token()));
      const res = await control(model, 'GET', `/requests?since=${encodeURIComponent(since)}&path=${encodeURIComponent(PATH.MODEL_COMPLETIONS)}`);
      const { requests } = (await res.json()) as { requests: Array<{ userAgent: string }> };
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.every((r) => r.userAgent === USER_AGENT.GATEWAY)).toBe(true);
    });

    it('answers an invalid body with FastAPI 422 detail after authentication', async () => {
      const res = await complete(headersFor(await token()), { current_file: { content_above_cursor: 1 } });
      expect(res.status).toBe(422);
      expect(validDetailError(res.json)).toEqual({ valid: true });
      expect((res.json as { detail: unknown[] }).detail).toEqual(
        expect.arrayContaining([
          { loc: ['body', 'current_file', 'file_name'], msg: 'Field required', type: 'missing' },
          { loc: ['body', 'current_file', 'content_above_cursor'], msg: 'Input should be a valid string', type: 'string_type' },
        ]),
      );
    });

    it('answers malformed JSON and non-JSON bodies with 422, but only after authentication', async () => {
      const bad = await complete(headersFor(await token()), '{"current_file":');
      expect(bad.status).toBe(422);
      expect(bad.json).toEqual({ detail: [{ loc: ['body', 0], msg: 'JSON decode error', type: 'json_invalid' }] });
      const text = await complete({ ...headersFor(await token()), 'content-type': 'text/plain' }, 'hello');
      expect(text.status).toBe(422);
      const empty = await complete(headersFor(await token()), '');
      expect(empty.json).toEqual({ detail: [{ loc: ['body'], msg: 'Field required', type: 'missing' }] });
      const unauthenticated = await complete(headersFor(undefined), '{"current_file":');
      expect(unauthenticated).toMatchObject({ status: 401, json: { error: GATEWAY_AUTH_ERROR.NO_HEADER } });
    });

    it('answers 502 when the model fails', async () => {
      await control(model, 'PUT', '/faults', { failNext: 1, failStatus: 503 });
      const res = await complete(headersFor(await token()));
      expect(res.status).toBe(502);
      expect(validDetailError(res.json)).toEqual({ valid: true });
      expect(res.json).toEqual({ detail: 'Model answered HTTP 503' });
    });

    it('answers 504 when the model hangs, once the model timeout has passed', async () => {
      await control(model, 'PUT', '/faults', { hangNext: 1 });
      const res = await complete(headersFor(await token()));
      expect(res.status).toBe(504);
      expect(res.json).toEqual({ detail: `Model did not answer within ${MODEL_TIMEOUT_MS} ms` });
      expect((await complete(headersFor(await token()))).status).toBe(200);
    });

    it('answers unknown routes with FastAPI 404', async () => {
      const res = await fetch(`${gateway.url}/v3/nothing`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ detail: 'Not Found' });
    });
  });

  describe('authentication and authorization bodies', () => {
    const cases: Array<[string, () => Promise<Record<string, string>>, number, unknown]> = [
      ['no Authorization header', async () => headersFor(undefined), 401, { error: GATEWAY_AUTH_ERROR.NO_HEADER }],
      ['a Basic credential', async () => ({ ...headersFor(undefined), authorization: 'Basic dXNlcjpwYXNz' }), 401, { error: GATEWAY_AUTH_ERROR.INVALID_HEADER }],
      ['Bearer without token', async () => ({ ...headersFor(undefined), authorization: 'Bearer ' }), 401, { error: GATEWAY_AUTH_ERROR.INVALID_HEADER }],
      ['no authentication type', async () => headersFor(await token(), { [HEADER.AUTHENTICATION_TYPE]: undefined }), 401, { error: GATEWAY_AUTH_ERROR.INVALID_TYPE }],
      ['authentication type jwt', async () => headersFor(await token(), { [HEADER.AUTHENTICATION_TYPE]: 'jwt' }), 401, { error: GATEWAY_AUTH_ERROR.INVALID_TYPE }],
      ['an expired token', async () => headersFor(await token({ exp: Math.floor(Date.now() / 1000) - 3600 })), 401, { error: GATEWAY_AUTH_ERROR.FORBIDDEN }],
      ['a token signed by another key', async () => headersFor(await token({}, attacker)), 401, { error: GATEWAY_AUTH_ERROR.FORBIDDEN }],
      ['alg none', async () => headersFor(rawToken({ alg: 'none' }, aiTokenClaims(issuer.url))), 401, { error: GATEWAY_AUTH_ERROR.FORBIDDEN }],
      ['garbage', async () => headersFor('not.a.jwt'), 401, { error: GATEWAY_AUTH_ERROR.FORBIDDEN }],
      ['an untrusted issuer', async () => headersFor(await token({ iss: 'http://127.0.0.1:1' })), 401, { error: GATEWAY_AUTH_ERROR.FORBIDDEN }],
      ['the wrong audience', async () => headersFor(await token({ aud: 'somebody-else' })), 401, { error: GATEWAY_AUTH_ERROR.FORBIDDEN }],
      ['a realm header that differs', async () => headersFor(await token(), { [HEADER.REALM]: 'self-managed' }), 401, { error: headerMismatchError(HEADER.REALM) }],
      ['no instance id header', async () => headersFor(await token(), { [HEADER.INSTANCE_ID]: undefined }), 401, { error: headerMismatchError(HEADER.INSTANCE_ID) }],
      ['another instance id', async () => headersFor(await token(), { [HEADER.INSTANCE_ID]: 'another-instance' }), 401, { error: headerMismatchError(HEADER.INSTANCE_ID) }],
      ['Bearer and a tab', async () => headersFor(undefined, { authorization: `Bearer\t${await token()}` }), 401, { error: GATEWAY_AUTH_ERROR.INVALID_HEADER }],
      ['a validly signed token without aud', async () => headersFor(await token({ aud: undefined })), 401, { error: GATEWAY_AUTH_ERROR.FORBIDDEN }],
      ['a validly signed token without exp', async () => headersFor(await token({ exp: undefined })), 401, { error: GATEWAY_AUTH_ERROR.FORBIDDEN }],
      ['no code_suggestions scope', async () => headersFor(await token({ scopes: ['duo_chat'] })), 403, { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN }],
      [
        'a CI job ID token with aud gitlab-ai-gateway (no scopes)',
        async () => headersFor(await signed(ciJobTokenClaims(issuer.url, AUDIENCE.AI_GATEWAY)), { [HEADER.INSTANCE_ID]: CI_JOB_SUB }),
        403,
        { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN },
      ],
      [
        'a CI job ID token with aud gitlab-code-suggestions (legacy window open)',
        async () => headersFor(await signed(ciJobTokenClaims(issuer.url, AUDIENCE.LEGACY_CODE_SUGGESTIONS)), { [HEADER.INSTANCE_ID]: CI_JOB_SUB }),
        403,
        { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN },
      ],
    ];

    it.each(cases)('answers %s with the contract body', async (_name, headers, status, body) => {
      const res = await complete(await headers());
      expect(res.status).toBe(status);
      expect(res.json).toEqual(body);
      expect((status === 401 ? validAuthError : validDetailError)(res.json)).toEqual({ valid: true });
    });

    it('accepts Bearer followed by several spaces (RFC 6750 §2.1: 1*SP)', async () => {
      const res = await complete(headersFor(undefined, { authorization: `Bearer   ${await token()}` }));
      expect(res.status).toBe(200);
    });

    it('answers two Authorization headers with Invalid authorization header, even when both carry a valid token', async () => {
      const jwt = await token();
      const headers = { ...headersFor(undefined), authorization: [`Bearer ${jwt}`, `Bearer ${jwt}`] };
      const res = await rawPost(`${gateway.url}${PATH.GATEWAY_COMPLETIONS}`, headers, JSON.stringify(BODY));
      expect(res).toEqual({ status: 401, json: { error: GATEWAY_AUTH_ERROR.INVALID_HEADER } });
    });

    it('never follows a jku header to fetch keys', async () => {
      const before = issuer.requests.length;
      const res = await complete(headersFor(await token({}, attacker, { kid: 'attacker', jku: `${issuer.url}/attacker-jwks` })));
      expect(res.status).toBe(401);
      expect(issuer.requests.slice(before).map((r) => r.path)).not.toContain('/attacker-jwks');
    });

    it('accepts a key added to the JWKS at once, through the unknown-kid re-fetch', async () => {
      issuer.keys = [k1, k2];
      try {
        expect((await complete(headersFor(await token({}, k2)))).status).toBe(200);
      } finally {
        issuer.keys = [k1];
      }
    });
  });

  describe('audience migration (seed 002)', () => {
    afterEach(async () => {
      await control(gateway, 'PUT', '/auth', { audience: AUDIENCE.AI_GATEWAY, legacyAudienceWindow: 'open' });
    });

    it('accepts a legacy token (seed-000 claims, no kid) while the window is open, and refuses it once closed', async () => {
      const legacy = await signed(legacyTokenClaims(issuer.url), k1, { kid: undefined });
      // The legacy token binds no header: it has no realm, sub or instance id.
      expect((await complete(headersFor(legacy, { [HEADER.REALM]: undefined, [HEADER.INSTANCE_ID]: undefined }))).status).toBe(200);

      const put = await control(gateway, 'PUT', '/auth', { legacyAudienceWindow: 'closed' });
      expect(put.status).toBe(200);
      expect(await put.json()).toMatchObject({ audience: AUDIENCE.AI_GATEWAY, legacyAudienceWindow: 'closed', acceptedAudiences: [AUDIENCE.AI_GATEWAY] });
      expect(await complete(headersFor(legacy))).toMatchObject({ status: 401, json: { error: GATEWAY_AUTH_ERROR.FORBIDDEN } });
      expect((await complete(headersFor(await token()))).status).toBe(200);
    });

    it('POST /-/harness/reset restores AIGW_AUDIENCE and AIGW_LEGACY_AUDIENCE_WINDOW and keeps the cached keys', async () => {
      expect((await complete(headersFor(await token()))).status).toBe(200);
      const cached = async () => ((await (await control(gateway, 'GET', '/jwks-cache')).json()) as { issuers: Array<{ keys: unknown[] }> }).issuers[0]!.keys;
      const keysBefore = await cached();
      expect(keysBefore.length).toBeGreaterThan(0);
      await control(gateway, 'PUT', '/auth', { audience: 'another-audience', legacyAudienceWindow: 'closed' });
      expect((await control(gateway, 'POST', '/reset')).status).toBe(204);
      expect(await (await control(gateway, 'GET', '/auth')).json()).toMatchObject({ audience: AUDIENCE.AI_GATEWAY, legacyAudienceWindow: 'open' });
      expect(await cached()).toEqual(keysBefore);
    });

    it('rejects bad settings', async () => {
      const res = await control(gateway, 'PUT', '/auth', { legacyAudienceWindow: 'ajar' });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ detail: "legacyAudienceWindow must be 'open' or 'closed'" });
    });
  });

  describe('monitoring', () => {
    it('reports liveness and readiness without a token', async () => {
      const health = await fetch(`${gateway.url}${PATH.GATEWAY_HEALTHZ}`);
      expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
      const ready = await fetch(`${gateway.url}${PATH.GATEWAY_READY}`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ok', checks: { jwks: { status: 'ok' } } });
    });
  });

  describe('control API', () => {
    it('needs the control token', async () => {
      expect((await control(gateway, 'GET', '/jwks-cache', undefined, null)).status).toBe(401);
    });

    it('clears the JWKS cache, and the next token loads the keys again, which the snapshot shows', async () => {
      const cleared = await control(gateway, 'POST', '/jwks-cache/clear');
      expect(cleared.status).toBe(204);
      const cold = (await (await control(gateway, 'GET', '/jwks-cache')).json()) as { issuers: Array<Record<string, unknown>> };
      expect(cold.issuers).toEqual([
        { issuer: issuer.url, status: 'unavailable', discoveredIssuer: null, jwksUri: null, keys: [], fetchedAt: null, fetches: 0, lastError: null },
      ]);

      const jwksBefore = issuer.count(PATH.JWKS);
      expect((await complete(headersFor(await token()))).status).toBe(200);
      expect(issuer.count(PATH.JWKS)).toBe(jwksBefore + 1);
      expect(issuer.requests.every((r) => r.userAgent === USER_AGENT.GATEWAY)).toBe(true);

      const warm = (await (await control(gateway, 'GET', '/jwks-cache')).json()) as { issuers: Array<Record<string, unknown>> };
      expect(warm.issuers).toEqual([
        {
          issuer: issuer.url,
          status: 'ok',
          discoveredIssuer: issuer.url,
          jwksUri: `${issuer.url}${PATH.JWKS}`,
          keys: ['k1'],
          fetchedAt: expect.any(String),
          fetches: 1,
          lastError: null,
        },
      ]);
    });

    it('lists the requests the gateway answered', async () => {
      const since = new Date().toISOString();
      await complete(headersFor(undefined));
      const res = await control(gateway, 'GET', `/requests?since=${encodeURIComponent(since)}`);
      const { requests } = (await res.json()) as { requests: Array<{ method: string; path: string; status: number }> };
      expect(requests).toEqual(expect.arrayContaining([expect.objectContaining({ method: 'POST', path: PATH.GATEWAY_COMPLETIONS, status: 401 })]));
    });
  });

  describe('logs', () => {
    it('never contain a token, and name the reason for a refusal', async () => {
      const secretTokens = [await token(), await token({}, attacker), await token({ exp: 1 }), await token({ aud: 'x' })];
      for (const t of secretTokens) await complete(headersFor(t));
      await complete(headersFor(secretTokens[0], { [HEADER.REALM]: 'self-managed' }));
      await fetch(`${gateway.url}/v2/code/completions?access_token=${secretTokens[0]}`, { method: 'POST', headers: headersFor(undefined), body: '{}' });
      await complete(headersFor(secretTokens[0]), { ...BODY, current_file: { ...BODY.current_file, content_above_cursor: 42 } });

      const all = logLines.join('\n');
      expect(all).toMatch(/"reason":"bad-signature"/);
      expect(all).toMatch(/"reason":"expired"/);
      expect(all).toMatch(/"reason":"audience"/);
      for (const t of usedTokens) {
        const [, payload, signature] = t.split('.');
        expect(all).not.toContain(t);
        expect(all).not.toContain(payload);
        expect(all).not.toContain(signature);
      }
    });
  });
});

describe('ai-gateway when the model is unreachable', () => {
  it('answers 502, never a hang or a 500', async () => {
    const key = await makeRsaKey('k-unreachable');
    const own = await TestIssuer.start([key]);
    const app = await startGateway({ AIGW_TRUSTED_ISSUERS: own.url, AIGW_MODEL_URL: `http://127.0.0.1:${await closedPort()}` });
    try {
      const jwt = await signToken(key, aiTokenClaims(own.url));
      const res = await fetch(`${app.url}${PATH.GATEWAY_COMPLETIONS}`, { method: 'POST', headers: headersFor(jwt), body: JSON.stringify(BODY) });
      expect(res.status).toBe(502);
      expect(await res.json()).toEqual({ detail: 'Model unreachable' });
    } finally {
      await app.close();
      await own.stop();
    }
  });
});

describe('ai-gateway when the model answers more than AIGW_MODEL_MAX_RESPONSE_BYTES', () => {
  it('stops reading, answers 502 naming the cap, and logs why', async () => {
    const key = await makeRsaKey('k-huge-model');
    const own = await TestIssuer.start([key]);
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let written = 0;
    const model = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.write('{"id":"');
      const pump = (): void => {
        while (written < 16 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => model.listen(0, '127.0.0.1', resolve));
    const logs: string[] = [];
    const app = await startGateway(
      {
        AIGW_TRUSTED_ISSUERS: own.url,
        AIGW_MODEL_URL: `http://127.0.0.1:${(model.address() as AddressInfo).port}`,
        AIGW_MODEL_MAX_RESPONSE_BYTES: '65536',
      },
      logs,
    );
    try {
      const jwt = await signToken(key, aiTokenClaims(own.url));
      const res = await fetch(`${app.url}${PATH.GATEWAY_COMPLETIONS}`, { method: 'POST', headers: headersFor(jwt), body: JSON.stringify(BODY) });
      expect(res.status).toBe(502);
      expect(await res.json()).toEqual({ detail: 'Model answer exceeds 65536 bytes' });
      expect(written).toBeLessThan(16 * 1024 * 1024); // the gateway hung up instead of reading it all
      expect(logs.join('\n')).toMatch(/"failure":"bad-response".*"detail":"Model answer exceeds 65536 bytes".*model call failed/);
    } finally {
      await app.close();
      await own.stop();
      model.closeAllConnections();
      await new Promise<void>((resolve) => model.close(() => resolve()));
    }
  });
});

describe('ai-gateway without HARNESS_CONTROL_TOKEN', () => {
  it('has no control API', async () => {
    const app = await startGateway({ AIGW_TRUSTED_ISSUERS: 'http://127.0.0.1:1', AIGW_MODEL_URL: 'http://127.0.0.1:1' });
    try {
      for (const [method, path] of [
        ['GET', '/jwks-cache'],
        ['POST', '/jwks-cache/clear'],
        ['PUT', '/auth'],
        ['GET', '/requests'],
        ['POST', '/reset'],
      ] as const) {
        const res = await control(app, method, path, method === 'PUT' ? {} : undefined);
        expect([path, res.status]).toEqual([path, 404]);
        expect(await res.json()).toEqual({ detail: 'Not Found' });
      }
    } finally {
      await app.close();
    }
  });
});
