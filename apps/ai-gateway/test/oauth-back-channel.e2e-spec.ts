import { AUTHENTICATION_TYPE_OAUTH2, GATEWAY_AUTH_ERROR, GATEWAY_CODE_COMPLETIONS_FORBIDDEN, GATEWAY_TOKEN_VERIFICATION_UNAVAILABLE, HEADER, PATH } from '#contracts';
import { startTestApp, type TestApp } from '#common/testing/app';
import { aiTokenClaims, makeRsaKey, signToken, type TestKey } from '#common/testing/jwt';
import { listenOnLoopback, sendJson, type LoopbackServer } from '#common/testing/loopback';
import { aiGateway } from '../src/app.js';
import type { AiGatewayConfig } from '../src/config.js';
import { BODY, keystroke, keystrokeHeaders } from './support/keystroke.js';
import { ManualClock } from './support/manual-clock.js';
import { ModelStub } from './support/model-stub.js';
import { TestIssuer } from './support/test-issuer.js';
import { TokenInfoDouble } from './support/token-info-double.js';

/**
 * Seed 000 option 1 at the gateway: the Web IDE's opaque OAuth access token, sent with
 * X-Gitlab-Authentication-Type: oauth2, verified by GET /oauth/token/info on a loopback double
 * of GitLab (the gitlab app's OAuth server is not a dependency of these tests). The gateway's
 * clock is a manual one, so cache bounds are crossed without waiting.
 */
const CACHE_SECONDS = 30;
const TIMEOUT_MS = 300;
const FORBIDDEN = { error: GATEWAY_AUTH_ERROR.FORBIDDEN };
const UNAVAILABLE = { detail: GATEWAY_TOKEN_VERIFICATION_UNAVAILABLE };

type Gateway = TestApp<AiGatewayConfig>;
let k1: TestKey;
let issuer: TestIssuer;
let model: ModelStub;
let gitlab: TokenInfoDouble;
let clock: ManualClock;
let gateway: Gateway;
let serial = 0;

beforeAll(async () => {
  k1 = await makeRsaKey('k1');
  [issuer, model] = await Promise.all([TestIssuer.start([k1]), ModelStub.start()]);
});

beforeEach(async () => {
  gitlab = await TokenInfoDouble.start();
  clock = new ManualClock(Date.now());
  gateway = await startTestApp(
    aiGateway,
    {
      AIGW_TRUSTED_ISSUERS: issuer.url,
      AIGW_MODEL_URL: model.url,
      AIGW_OAUTH_TOKEN_VERIFICATION: 'token-info',
      AIGW_OAUTH_GITLAB_URL: gitlab.url,
      AIGW_OAUTH_CACHE_SECONDS: String(CACHE_SECONDS),
      AIGW_OAUTH_TIMEOUT_MS: String(TIMEOUT_MS),
      LOG_LEVEL: 'trace',
    },
    { clock: clock.now },
  );
});

afterEach(async () => {
  await gateway?.close();
  await gitlab?.close();
});

afterAll(async () => {
  await model?.close();
  await issuer?.stop();
});

/** A fresh opaque token, as Doorkeeper mints them (64 hex characters). */
function opaqueToken(): string {
  serial++;
  return `${serial.toString(16).padStart(8, '0')}${'9f3e0e2a5b7c9d11'.repeat(3)}${'a1b2c3d4'}`;
}

/** A keystroke as the Web IDE sends it under option 1: the OAuth token, type oauth2, no bound headers. */
async function oauthKeystroke(token: string, type: string = AUTHENTICATION_TYPE_OAUTH2): Promise<{ status: number; json: unknown; retryAfter: string | null }> {
  const res = await fetch(`${gateway.url}${PATH.GATEWAY_COMPLETIONS}`, {
    method: 'POST',
    headers: keystrokeHeaders(token, { [HEADER.AUTHENTICATION_TYPE]: type, [HEADER.REALM]: undefined, [HEADER.INSTANCE_ID]: undefined }),
    body: JSON.stringify(BODY),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: await res.json(), retryAfter: res.headers.get('retry-after') };
}

describe('an active OAuth token', () => {
  it('completes keystrokes, asking GitLab once (Bearer token at /oauth/token/info) while the answer is cached', async () => {
    const token = opaqueToken();
    gitlab.grant(token, ['api']);
    for (let i = 0; i < 5; i++) expect(await oauthKeystroke(token)).toMatchObject({ status: 200, json: { object: 'text_completion' } });
    expect(gitlab.requests).toEqual([{ method: 'GET', path: '/oauth/token/info', authorization: `Bearer ${token}` }]);
  });

  it('makes one back-channel call for concurrent keystrokes with the same new token', async () => {
    const token = opaqueToken();
    gitlab.grant(token, ['ai_features']);
    gitlab.delayMs = 100;
    const results = await Promise.all(Array.from({ length: 10 }, () => oauthKeystroke(token)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(gitlab.lookups).toBe(1);
  });

  it('is refused at most AIGW_OAUTH_CACHE_SECONDS after GitLab revokes it', async () => {
    const token = opaqueToken();
    gitlab.grant(token, ['api']);
    expect((await oauthKeystroke(token)).status).toBe(200);
    gitlab.revoke(token);
    clock.advanceSeconds(CACHE_SECONDS - 1);
    expect((await oauthKeystroke(token)).status).toBe(200);
    clock.advanceSeconds(1);
    expect(await oauthKeystroke(token)).toMatchObject({ status: 401, json: FORBIDDEN });
    expect(gitlab.lookups).toBe(2);
  });

  it('is refused at once after GitLab revokes it once the harness empties the cache (POST /-/harness/oauth-cache/clear)', async () => {
    const token = opaqueToken();
    gitlab.grant(token, ['api']);
    expect((await oauthKeystroke(token)).status).toBe(200);
    gitlab.revoke(token);
    expect((await gateway.control('POST', '/-/harness/oauth-cache/clear')).status).toBe(204);
    expect(await oauthKeystroke(token)).toMatchObject({ status: 401, json: FORBIDDEN });
  });

  it('is asked about again once its expires_in has passed, even inside the cache period', async () => {
    const token = opaqueToken();
    gitlab.grant(token, ['api'], 10);
    expect((await oauthKeystroke(token)).status).toBe(200);
    clock.advanceSeconds(10);
    expect((await oauthKeystroke(token)).status).toBe(200);
    expect(gitlab.lookups).toBe(2);
  });

  it('whose scopes allow no AI feature gets 403 with the contract detail', async () => {
    const token = opaqueToken();
    gitlab.grant(token, ['read_user', 'openid']);
    expect(await oauthKeystroke(token)).toMatchObject({ status: 403, json: { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN } });
  });
});

describe('tokens of the wrong kind', () => {
  it('refuses an unknown token with 401, and never logs a token', async () => {
    const token = opaqueToken();
    expect(await oauthKeystroke(token)).toMatchObject({ status: 401, json: FORBIDDEN });
    expect(gateway.lines.join('\n')).not.toContain(token);
  });

  it('refuses an AI JWT sent as oauth2 without asking GitLab, and an OAuth token sent as oidc without asking GitLab', async () => {
    const jwt = await signToken(k1, aiTokenClaims(issuer.url));
    expect(await keystroke(gateway.url, jwt)).toMatchObject({ status: 200 }); // the same JWT is good as oidc
    expect(await oauthKeystroke(jwt)).toMatchObject({ status: 401, json: FORBIDDEN });

    const token = opaqueToken();
    gitlab.grant(token, ['api']);
    expect(await oauthKeystroke(token, 'oidc')).toMatchObject({ status: 401, json: FORBIDDEN });
    expect(gitlab.requests).toEqual([]);
    const reasons = gateway.lines.map((l) => (JSON.parse(l) as { auth?: { reason?: string } }).auth?.reason).filter(Boolean);
    expect(reasons).toEqual(expect.arrayContaining(['jose-shaped', 'opaque-token-as-oidc']));
    expect(gateway.lines.join('\n')).not.toContain(token);
  });
});

describe('GitLab failing', () => {
  it.each([
    ['slow (past AIGW_OAUTH_TIMEOUT_MS)', 'hang'],
    ['answering 500', 'http-500'],
    ['answering a body over AIGW_OAUTH_MAX_BYTES', 'huge'],
  ] as const)('%s: 503 with Retry-After, never 401 or 500', async (_name, fault) => {
    const token = opaqueToken();
    gitlab.grant(token, ['api']);
    gitlab.fault = fault;
    expect(await oauthKeystroke(token)).toEqual({ status: 503, json: UNAVAILABLE, retryAfter: '1' });
    gitlab.fault = undefined;
    expect((await oauthKeystroke(token)).status).toBe(200); // nothing remembered of the failure
  });

  it('redirecting: 503, the redirect never followed', async () => {
    let followed = 0;
    const elsewhere: LoopbackServer = await listenOnLoopback((_req, res) => {
      followed++;
      sendJson(res, 200, { scopes: ['api'], expires_in_seconds: 7200 });
    });
    try {
      gitlab.redirectTo = `${elsewhere.url}/oauth/token/info`;
      gitlab.fault = 'redirect';
      expect(await oauthKeystroke(opaqueToken())).toMatchObject({ status: 503, json: UNAVAILABLE });
      expect(followed).toBe(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('keeps serving a cached token until its bound, keeps JWT keystrokes working, and stays ready while saying the back channel fails', async () => {
    const token = opaqueToken();
    gitlab.grant(token, ['api']);
    expect((await oauthKeystroke(token)).status).toBe(200);
    gitlab.fault = 'http-500';
    expect((await oauthKeystroke(opaqueToken())).status).toBe(503);
    clock.advanceSeconds(CACHE_SECONDS - 1);
    expect((await oauthKeystroke(token)).status).toBe(200);
    clock.advanceSeconds(1);
    expect((await oauthKeystroke(token)).status).toBe(503);
    expect((await keystroke(gateway.url, await signToken(k1, aiTokenClaims(issuer.url, {}, clock.now())))).status).toBe(200);

    const ready = await fetch(`${gateway.url}${PATH.GATEWAY_READY}`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      checks: { jwks: { status: 'ok' }, oauth: { status: 'failing', url: `${gitlab.url}/oauth/token/info`, lastError: expect.stringContaining('HTTP 500') } },
    });
  });
});
