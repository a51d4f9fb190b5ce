/**
 * The independent gateway doubles of test/doubles/ behave as the gateway contract says, with
 * a real token from the SaaS emulator: (a) jose-remote and (b) kid-blind accept it with the
 * headers bound to its claims, complete it through the fake model (carrying the caller's W3C
 * trace) and refuse what a correct gateway refuses; (c) refuse-all refuses everything. The conformance suite is certified against them elsewhere; this pins
 * the doubles themselves, so a suite failure against them points at the suite.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import {
  AUTHENTICATION_TYPE_OIDC,
  GATEWAY_AUTH_ERROR,
  GATEWAY_CODE_COMPLETIONS_FORBIDDEN,
  HEADER,
  PATH,
  SCHEMA,
  TRACE_HEADER,
  boundHeaderValues,
  headerBindingsFor,
  headerMismatchError,
  validateAgainst,
  type LoggedRequest,
} from '#contracts';
import { decodeJwt, makeRsaKey, signToken, withCorruptedSignature } from '#common/testing/jwt';
import type { LoopbackServer } from '#common/testing/loopback';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { startJoseRemoteGateway } from './doubles/jose-remote-gateway.js';
import { startKidBlindGateway } from './doubles/kid-blind-gateway.js';
import { startRefuseAllGateway } from './doubles/refuse-all-gateway.js';
import { demoCredentials, roleUrl, startEmbedded } from './support.js';

const FORBIDDEN = { error: GATEWAY_AUTH_ERROR.FORBIDDEN };

/** SaaS, and the fake model behind the correct doubles (its request log shows their calls). */
let stack: RunningStack;
let saasUrl: string;
let modelUrl: string;
/** A token the SaaS emulator issued to the demo ai_features PAT, and its claims. */
let token: string;
let claims: Record<string, unknown>;

beforeAll(async () => {
  stack = await startEmbedded(['gitlab-saas', 'fake-model']);
  [saasUrl, modelUrl] = [roleUrl(stack, 'gitlab-saas'), roleUrl(stack, 'fake-model')];
  const pat = demoCredentials('gitlab-saas').personal_access_tokens!.ai_features!;
  const res = await fetch(`${saasUrl}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, { method: 'POST', headers: { authorization: `Bearer ${pat}` } });
  expect(res.status).toBe(201);
  token = ((await res.json()) as { access_token: string }).access_token;
  claims = decodeJwt(token).claims;
}, 60_000);
afterAll(() => stack?.stop());

/** A token the SaaS emulator signs with its own published key, with the claims and header changed. */
async function mint(change: { claims?: Record<string, unknown>; header?: Record<string, unknown> }): Promise<{ token: string; claims: Record<string, unknown> }> {
  const res = await fetch(`${saasUrl}/-/harness/tokens`, {
    method: 'POST',
    headers: { [HEADER.HARNESS_CONTROL]: stack.controlToken, 'content-type': 'application/json' },
    body: JSON.stringify(change),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { token: string; claims: Record<string, unknown> };
}

/** What an IDE sends with a token: Bearer, the OIDC type and the headers bound to its claims. */
const headersFor = (jwt: string, jwtClaims: Record<string, unknown>): Record<string, string> => ({
  [HEADER.AUTHORIZATION]: `Bearer ${jwt}`,
  [HEADER.AUTHENTICATION_TYPE]: AUTHENTICATION_TYPE_OIDC,
  ...boundHeaderValues(jwtClaims),
});

interface Answer {
  status: number;
  text: string;
  json: unknown;
}

async function keystroke(gateway: LoopbackServer, headers: Record<string, string | string[]>, path: string = PATH.GATEWAY_COMPLETIONS): Promise<Answer> {
  // node:http, not fetch: fetch folds a repeated header into one line, and one test repeats Authorization.
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ current_file: { file_name: 'fib.py', content_above_cursor: 'def fib(n):\n    ' } });
    const req = request(`${gateway.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, json: text ? JSON.parse(text) : undefined }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** What an emulator logged since `since` (ISO 8601), read through its harness control API. */
async function loggedSince(emulatorUrl: string, since: string): Promise<LoggedRequest[]> {
  const res = await fetch(`${emulatorUrl}${PATH.HARNESS_CONTROL_PREFIX}/requests?since=${encodeURIComponent(since)}`, { headers: { [HEADER.HARNESS_CONTROL]: stack.controlToken } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { requests: LoggedRequest[] }).requests;
}

/** A fresh W3C trace: the `traceparent` a caller sends, and its trace id. */
function newTrace(): { traceId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

const getJson = async (gateway: LoopbackServer, path: string) => {
  const res = await fetch(`${gateway.url}${path}`);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe.each([
  ['jose-remote', (issuer: string, model = modelUrl) => startJoseRemoteGateway({ issuers: [issuer], modelUrl: model })],
  ['kid-blind', (issuer: string, model = modelUrl) => startKidBlindGateway({ issuers: [issuer], modelUrl: model })],
])('the %s gateway double', (_name, start) => {
  let gateway: LoopbackServer;
  beforeAll(async () => {
    gateway = await start(saasUrl);
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('is alive, and ready once it holds the issuer\'s keys', async () => {
    expect(await getJson(gateway, PATH.GATEWAY_HEALTHZ)).toEqual({ status: 200, json: { status: 'ok' } });
    const ready = await getJson(gateway, PATH.GATEWAY_READY);
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: 'ok', checks: { jwks: { issuers: [{ issuer: saasUrl, lastError: null }] } } });
  });

  it.each([PATH.GATEWAY_COMPLETIONS, PATH.GATEWAY_COMPLETIONS_ALIAS])('completes code on %s for the issued token with its bound headers', async (path) => {
    const res = await keystroke(gateway, headersFor(token, claims), path);
    expect(res.status).toBe(200);
    expect(validateAgainst(SCHEMA.COMPLETIONS_RESPONSE, res.json)).toEqual({ valid: true });
  });

  it("asks the model for the completion, within the caller's W3C trace", async () => {
    const { traceId, traceparent } = newTrace();
    const since = new Date().toISOString();
    const res = await keystroke(gateway, { ...headersFor(token, claims), [TRACE_HEADER.TRACEPARENT]: traceparent });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ model: { engine: 'fake-model' } });
    const calls = (await loggedSince(modelUrl, since)).filter((r) => r.path === PATH.MODEL_COMPLETIONS);
    // `from` is the sender our tracestate member names (ai-auth-harness=ai-gateway).
    expect(calls).toEqual([expect.objectContaining({ method: 'POST', status: 200, traceId, from: 'ai-gateway' })]);
  });

  it("fetches the issuer's keys within the trace of the keystroke that needed them", async () => {
    const cold = await start(saasUrl);
    try {
      const { traceId, traceparent } = newTrace();
      const since = new Date().toISOString();
      expect((await keystroke(cold, { ...headersFor(token, claims), [TRACE_HEADER.TRACEPARENT]: traceparent })).status).toBe(200);
      const fetched = (await loggedSince(saasUrl, since)).filter((r) => r.traceId === traceId).map((r) => ({ path: r.path, from: r.from }));
      expect(fetched).toEqual([
        { path: PATH.OPENID_CONFIGURATION, from: 'ai-gateway' },
        { path: PATH.JWKS, from: 'ai-gateway' },
      ]);
    } finally {
      await cold.close();
    }
  });

  it('answers 502 with a detail when the model is unreachable', async () => {
    const modelless = await start(saasUrl, 'http://127.0.0.1:9');
    try {
      const res = await keystroke(modelless, headersFor(token, claims));
      expect(res.status).toBe(502);
      expect(validateAgainst(SCHEMA.GATEWAY_DETAIL_ERROR, res.json)).toEqual({ valid: true });
    } finally {
      await modelless.close();
    }
  });

  it('refuses the token with one signature bit flipped, without echoing it', async () => {
    const forged = withCorruptedSignature(token);
    const res = await keystroke(gateway, headersFor(forged, claims));
    expect(res).toMatchObject({ status: 401, json: FORBIDDEN });
    expect(res.text).not.toContain(forged.split('.')[1]);
  });

  it('refuses a token signed by a key the issuer never published, even under a published kid', async () => {
    const attacker = await makeRsaKey(String(decodeJwt(token).header.kid ?? 'attacker-key'));
    expect(await keystroke(gateway, headersFor(await signToken(attacker, claims), claims))).toMatchObject({ status: 401, json: FORBIDDEN });
  });

  it.each([
    ['another audience', { aud: 'gitlab-code-suggestions' }],
    ['an untrusted issuer', { iss: 'https://gitlab.attacker.example' }],
    ['no exp', { exp: null }],
    ['an exp an hour ago', { exp: Math.floor(Date.now() / 1000) - 3600 }],
  ])('refuses a validly signed token with %s', async (_what, change) => {
    const minted = await mint({ claims: change });
    expect(await keystroke(gateway, headersFor(minted.token, minted.claims))).toMatchObject({ status: 401, json: FORBIDDEN });
  });

  it('refuses a critical header parameter it does not understand', async () => {
    const minted = await mint({ header: { crit: ['urn:example:must-understand'], 'urn:example:must-understand': true } });
    expect(await keystroke(gateway, headersFor(minted.token, minted.claims))).toMatchObject({ status: 401, json: FORBIDDEN });
  });

  it('answers 403 to a valid token whose scopes lack code_suggestions', async () => {
    const minted = await mint({ claims: { scopes: ['duo_chat'] } });
    expect(await keystroke(gateway, headersFor(minted.token, minted.claims))).toMatchObject({ status: 403, json: { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN } });
  });

  it('refuses a bound header that differs from its claim, naming the header', async () => {
    const { header } = headerBindingsFor(claims.iss).find((b) => typeof claims[b.claim] === 'string')!;
    const res = await keystroke(gateway, { ...headersFor(token, claims), [header]: 'not-the-bound-value' });
    expect(res).toMatchObject({ status: 401, json: { error: headerMismatchError(header) } });
  });

  it.each([
    ['no Authorization header', { [HEADER.AUTHORIZATION]: undefined }, GATEWAY_AUTH_ERROR.NO_HEADER],
    ['a Basic credential', { [HEADER.AUTHORIZATION]: 'Basic dXNlcjpwYXNz' }, GATEWAY_AUTH_ERROR.INVALID_HEADER],
    ['Authorization sent twice', { [HEADER.AUTHORIZATION]: ['Bearer a.b.c', 'Bearer d.e.f'] }, GATEWAY_AUTH_ERROR.INVALID_HEADER],
    ['authentication type "sat"', { [HEADER.AUTHENTICATION_TYPE]: 'sat' }, GATEWAY_AUTH_ERROR.INVALID_TYPE],
  ])('answers %s with its documented 401', async (_what, change, error) => {
    const headers: Record<string, string | string[]> = { ...headersFor(token, claims) };
    for (const [name, value] of Object.entries(change)) {
      if (value === undefined) delete headers[name];
      else headers[name] = value;
    }
    expect(await keystroke(gateway, headers)).toMatchObject({ status: 401, json: { error } });
  });

  it('accepts the lower-case scheme "bearer"', async () => {
    expect((await keystroke(gateway, { ...headersFor(token, claims), [HEADER.AUTHORIZATION]: `bearer ${token}` })).status).toBe(200);
  });
});

describe('the kid-blind double ignores kid', () => {
  let gateway: LoopbackServer;
  beforeAll(async () => {
    gateway = await startKidBlindGateway({ issuers: [saasUrl], modelUrl });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('accepts a token of a published key under a kid nobody published', async () => {
    const minted = await mint({ header: { kid: 'never-published' } });
    expect((await keystroke(gateway, headersFor(minted.token, minted.claims))).status).toBe(200);
  });
});

describe('the refuse-all double', () => {
  let gateway: LoopbackServer;
  beforeAll(async () => {
    gateway = await startRefuseAllGateway();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('claims to be ready', async () => {
    expect((await getJson(gateway, PATH.GATEWAY_READY)).status).toBe(200);
  });

  it.each([
    ['the issued token', () => headersFor(token, claims)],
    ['a corrupted signature', () => headersFor(withCorruptedSignature(token), claims)],
    ['no credentials at all', () => ({ [HEADER.AUTHENTICATION_TYPE]: AUTHENTICATION_TYPE_OIDC })],
  ])('refuses %s with 401 "Forbidden by auth provider"', async (_what, headers) => {
    expect(await keystroke(gateway, headers())).toMatchObject({ status: 401, json: FORBIDDEN });
  });
});
