import { AUDIENCE, compileValidator, GATEWAY_AUTH_ERROR, HEADER, PATH, SCHEMA, USER_AGENT } from '#contracts';
import { startTestApp, type TestApp } from '#common/testing/app';
import { aiTokenClaims, makeRsaKey, signToken, type TestKey } from '#common/testing/jwt';
import { closedPort, listenOnLoopback } from '#common/testing/loopback';
import { aiGateway } from '../src/app.js';
import type { AiGatewayConfig } from '../src/config.js';
import { BODY, keystrokeHeaders as headersFor } from './support/keystroke.js';
import { ModelStub, STUB_MODEL, stubCompletion } from './support/model-stub.js';
import { TestIssuer } from './support/test-issuer.js';

/**
 * The gateway over HTTP with an issuer and a model of the test's own: what the conformance
 * suite cannot see from outside (the model call and its failures, 422 details, the control API,
 * logs). Its verdicts on tokens and headers are the suite's, run against the embedded stack.
 */
const validCompletion = compileValidator(SCHEMA.COMPLETIONS_RESPONSE);
const validDetailError = compileValidator(SCHEMA.GATEWAY_DETAIL_ERROR);

const MODEL_TIMEOUT_MS = 800;

let k1: TestKey;
let attacker: TestKey;
let issuer: TestIssuer;
let model: ModelStub;
let gateway: TestApp<AiGatewayConfig>;

beforeAll(async () => {
  [k1, attacker] = await Promise.all([makeRsaKey('k1'), makeRsaKey('k1')]);
  issuer = await TestIssuer.start([k1]);
  model = await ModelStub.start();
  gateway = await startTestApp(aiGateway, {
    AIGW_TRUSTED_ISSUERS: issuer.url,
    AIGW_MODEL_URL: model.url,
    AIGW_MODEL_TIMEOUT_MS: String(MODEL_TIMEOUT_MS),
    AIGW_JWKS_REFETCH_INTERVAL_MS: '0',
    LOG_LEVEL: 'trace',
  });
});

afterAll(async () => {
  await gateway?.close();
  await model?.close();
  await issuer?.stop();
});

/** An instance token of the test issuer (cloud-connector shape: sub = the instance UUID). */
function token(overrides: Record<string, unknown> = {}, key: TestKey = k1): Promise<string> {
  return signToken(key, aiTokenClaims(issuer.url, overrides));
}

async function complete(headers: Record<string, string>, body: unknown = BODY, url = gateway.url) {
  const res = await fetch(`${url}${PATH.GATEWAY_COMPLETIONS}`, {
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

describe('ai-gateway completions (HTTP, in-test issuer and model)', () => {
  afterEach(() => {
    model.failNext = 0;
    model.hangNext = 0;
  });

  it("answers a valid token with the model's completion, its language from the file name", async () => {
    const res = await complete(headersFor(await token()));
    expect(res.status).toBe(200);
    expect(validCompletion(res.json)).toEqual({ valid: true });
    const body = res.json as { model: unknown; choices: Array<{ text: string; finish_reason: string }> };
    expect(body.model).toEqual({ engine: 'fake', name: STUB_MODEL, lang: 'python' });
    expect(body.choices).toEqual([{ text: stubCompletion(BODY.current_file.content_above_cursor), index: 0, finish_reason: 'stop' }]);
    expect(model.requests.at(-1)?.body).toEqual({ prompt: BODY.current_file.content_above_cursor, suffix: BODY.current_file.content_below_cursor, language: 'python' });
  });

  it('takes the language from language_identifier when the file name has none', async () => {
    const body = { current_file: { file_name: 'noext', content_above_cursor: 'function f(', language_identifier: 'javascript' } };
    const res = await complete(headersFor(await token()), body);
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
    const before = model.requests.length;
    expect((await complete(headersFor(await token()))).status).toBe(200);
    expect(model.requests.slice(before).map((r) => r.userAgent)).toEqual([USER_AGENT.GATEWAY]);
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
    model.failNext = 1;
    model.failStatus = 503;
    const res = await complete(headersFor(await token()));
    expect(res.status).toBe(502);
    expect(validDetailError(res.json)).toEqual({ valid: true });
    expect(res.json).toEqual({ detail: 'Model answered HTTP 503' });
  });

  it('answers 504 when the model hangs, once the model timeout has passed', async () => {
    model.hangNext = 1;
    const res = await complete(headersFor(await token()));
    expect(res.status).toBe(504);
    expect(res.json).toEqual({ detail: `Model did not answer within ${MODEL_TIMEOUT_MS} ms` });
    expect((await complete(headersFor(await token()))).status).toBe(200);
  });
});

describe('ai-gateway control API', () => {
  afterEach(async () => {
    expect((await gateway.control('POST', '/-/harness/reset')).status).toBe(204);
  });

  it('needs the control token', async () => {
    expect((await fetch(`${gateway.url}${PATH.HARNESS_CONTROL_PREFIX}/jwks-cache`)).status).toBe(401);
  });

  it('POST /-/harness/reset restores AIGW_AUDIENCE and AIGW_LEGACY_AUDIENCE_WINDOW and keeps the cached keys', async () => {
    expect((await complete(headersFor(await token()))).status).toBe(200);
    const cached = async () => ((await (await gateway.control('GET', '/-/harness/jwks-cache')).json()) as { issuers: Array<{ keys: unknown[] }> }).issuers[0]!.keys;
    const keysBefore = await cached();
    expect(keysBefore.length).toBeGreaterThan(0);
    await gateway.control('PUT', '/-/harness/auth', { audience: 'another-audience', legacyAudienceWindow: 'closed' });
    expect((await gateway.control('POST', '/-/harness/reset')).status).toBe(204);
    expect(await (await gateway.control('GET', '/-/harness/auth')).json()).toMatchObject({ audience: AUDIENCE.AI_GATEWAY, legacyAudienceWindow: 'open' });
    expect(await cached()).toEqual(keysBefore);
  });

  it('rejects bad auth settings', async () => {
    const res = await gateway.control('PUT', '/-/harness/auth', { legacyAudienceWindow: 'ajar' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ detail: "legacyAudienceWindow must be 'open' or 'closed'" });
  });

  it('clears the JWKS cache, and the next token loads the keys again, which the snapshot shows', async () => {
    const cleared = await gateway.control('POST', '/-/harness/jwks-cache/clear');
    expect(cleared.status).toBe(204);
    const cold = (await (await gateway.control('GET', '/-/harness/jwks-cache')).json()) as { issuers: Array<Record<string, unknown>> };
    expect(cold.issuers).toEqual([
      { issuer: issuer.url, status: 'unavailable', discoveredIssuer: null, jwksUri: null, keys: [], fetchedAt: null, fetches: 0, lastError: null },
    ]);

    const jwksBefore = issuer.count(PATH.JWKS);
    expect((await complete(headersFor(await token()))).status).toBe(200);
    expect(issuer.count(PATH.JWKS)).toBe(jwksBefore + 1);
    expect(issuer.requests.every((r) => r.userAgent === USER_AGENT.GATEWAY)).toBe(true);

    const warm = (await (await gateway.control('GET', '/-/harness/jwks-cache')).json()) as { issuers: Array<Record<string, unknown>> };
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
    const res = await gateway.control('GET', `/-/harness/requests?since=${encodeURIComponent(since)}`);
    const { requests } = (await res.json()) as { requests: Array<{ method: string; path: string; status: number }> };
    expect(requests).toEqual(expect.arrayContaining([expect.objectContaining({ method: 'POST', path: PATH.GATEWAY_COMPLETIONS, status: 401 })]));
  });
});

describe('ai-gateway logs', () => {
  it('never contain a token, and name the reason for a refusal', async () => {
    const tokens = [await token(), await token({}, attacker), await token({ exp: 1 }), await token({ aud: 'x' })];
    for (const t of tokens) await complete(headersFor(t));
    await complete(headersFor(tokens[0], { [HEADER.REALM]: 'self-managed' }));
    await fetch(`${gateway.url}${PATH.GATEWAY_COMPLETIONS}?access_token=${tokens[0]}`, { method: 'POST', headers: headersFor(undefined), body: '{}' });
    await complete(headersFor(tokens[0]), { ...BODY, current_file: { ...BODY.current_file, content_above_cursor: 42 } });

    const all = gateway.lines.join('\n');
    expect(all).toMatch(/"reason":"bad-signature"/);
    expect(all).toMatch(/"reason":"expired"/);
    expect(all).toMatch(/"reason":"audience"/);
    for (const t of tokens) {
      const [, payload, signature] = t.split('.');
      expect(all).not.toContain(t);
      expect(all).not.toContain(payload);
      expect(all).not.toContain(signature);
    }
  });
});

describe('ai-gateway when the model is unreachable', () => {
  it('answers 502, never a hang or a 500', async () => {
    const app = await startTestApp(aiGateway, { AIGW_TRUSTED_ISSUERS: issuer.url, AIGW_MODEL_URL: `http://127.0.0.1:${await closedPort()}` });
    try {
      const res = await complete(headersFor(await token()), BODY, app.url);
      expect(res.status).toBe(502);
      expect(res.json).toEqual({ detail: 'Model unreachable' });
    } finally {
      await app.close();
    }
  });
});

describe('ai-gateway when the model answers more than AIGW_MODEL_MAX_RESPONSE_BYTES', () => {
  it('stops reading, answers 502 naming the cap, and logs why', async () => {
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let written = 0;
    const huge = await listenOnLoopback((_req, res) => {
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
    const app = await startTestApp(aiGateway, { AIGW_TRUSTED_ISSUERS: issuer.url, AIGW_MODEL_URL: huge.url, AIGW_MODEL_MAX_RESPONSE_BYTES: '65536', LOG_LEVEL: 'trace' });
    try {
      const res = await complete(headersFor(await token()), BODY, app.url);
      expect(res.status).toBe(502);
      expect(res.json).toEqual({ detail: 'Model answer exceeds 65536 bytes' });
      expect(written).toBeLessThan(16 * 1024 * 1024); // the gateway hung up instead of reading it all
      expect(app.lines.join('\n')).toMatch(/"failure":"bad-response".*"detail":"Model answer exceeds 65536 bytes".*model call failed/);
    } finally {
      await app.close();
      await huge.close();
    }
  });
});

describe('ai-gateway without HARNESS_CONTROL_TOKEN', () => {
  it('has no control API', async () => {
    const app = await startTestApp(aiGateway, { AIGW_TRUSTED_ISSUERS: 'http://127.0.0.1:1', AIGW_MODEL_URL: 'http://127.0.0.1:1', HARNESS_CONTROL_TOKEN: undefined });
    try {
      for (const [method, path] of [
        ['GET', '/jwks-cache'],
        ['POST', '/jwks-cache/clear'],
        ['PUT', '/auth'],
        ['GET', '/requests'],
        ['POST', '/reset'],
      ] as const) {
        const res = await app.control(method, `${PATH.HARNESS_CONTROL_PREFIX}${path}`, method === 'PUT' ? {} : undefined);
        expect([path, res.status]).toEqual([path, 404]);
        expect(await res.json()).toEqual({ detail: 'Not Found' });
      }
    } finally {
      await app.close();
    }
  });
});
