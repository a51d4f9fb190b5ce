import { GATEWAY_AUTH_ERROR, PATH } from '#contracts';
import { ConfigError } from '#common';
import { startTestApp, type TestApp } from '#common/testing/app';
import { aiTokenClaims, makeRsaKey, signToken, type TestKey } from '#common/testing/jwt';
import { BODY, keystrokeHeaders } from '../../test/support/keystroke.js';
import { ModelStub } from '../../test/support/model-stub.js';
import { TestIssuer } from '../../test/support/test-issuer.js';
import { aiGateway } from '../app.js';
import { type AiGatewayConfig, loadAiGatewayConfig } from '../config.js';

/** CORS over HTTP: what a browser IDE's keystroke meets at the gateway, preflight first. */
const IDE = 'http://localhost:3001';

let key: TestKey;
let issuer: TestIssuer;
let model: ModelStub;
let gateway: TestApp<AiGatewayConfig>;
let plain: TestApp<AiGatewayConfig>;

beforeAll(async () => {
  key = await makeRsaKey('k1');
  issuer = await TestIssuer.start([key]);
  model = await ModelStub.start();
  const env = { AIGW_TRUSTED_ISSUERS: issuer.url, AIGW_MODEL_URL: model.url };
  gateway = await startTestApp(aiGateway, { ...env, AIGW_CORS_ALLOWED_ORIGINS: `${IDE}, https://ide.example` });
  plain = await startTestApp(aiGateway, env);
});
afterAll(async () => {
  await Promise.all([gateway?.close(), plain?.close()]);
  await model?.close();
  await issuer?.stop();
});

const preflight = (url: string, origin: string, requestHeaders = 'authorization,content-type,x-gitlab-authentication-type,x-gitlab-instance-id,x-gitlab-realm') =>
  fetch(`${url}${PATH.GATEWAY_COMPLETIONS}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
  });

describe('ai-gateway CORS for browser IDEs', () => {
  it('answers an allowed origin\'s preflight before authentication', async () => {
    const res = await preflight(gateway.url, IDE);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
    expect(res.headers.get('access-control-allow-origin')).toBe(IDE);
    expect(res.headers.get('access-control-allow-methods')).toBe('POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('refuses a foreign origin\'s preflight with 400 and no Allow-Origin', async () => {
    const res = await preflight(gateway.url, 'http://evil.example');
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('Disallowed CORS origin');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('marks the completion and the 401 readable by the allowed origin only', async () => {
    const token = await signToken(key, aiTokenClaims(issuer.url));
    const ok = await fetch(`${gateway.url}${PATH.GATEWAY_COMPLETIONS}`, { method: 'POST', headers: { ...keystrokeHeaders(token), origin: IDE }, body: JSON.stringify(BODY) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(IDE);
    expect(ok.headers.get('vary')).toContain('Origin');
    const refused = await fetch(`${gateway.url}${PATH.GATEWAY_COMPLETIONS}`, { method: 'POST', headers: { ...keystrokeHeaders(undefined), origin: IDE }, body: JSON.stringify(BODY) });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: GATEWAY_AUTH_ERROR.NO_HEADER });
    expect(refused.headers.get('access-control-allow-origin')).toBe(IDE);
    const foreign = await fetch(`${gateway.url}${PATH.GATEWAY_COMPLETIONS}`, { method: 'POST', headers: { ...keystrokeHeaders(token), origin: 'http://evil.example' }, body: JSON.stringify(BODY) });
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('changes nothing without AIGW_CORS_ALLOWED_ORIGINS: OPTIONS is routed as before', async () => {
    const withCors = await fetch(`${gateway.url}${PATH.GATEWAY_COMPLETIONS}`, { method: 'OPTIONS' });
    const res = await preflight(plain.url, IDE);
    expect(res.status).toBe(withCors.status);
    expect([404, 405]).toContain(res.status);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("refuses '*' and anything that is not an origin, naming them", () => {
    let error: unknown;
    try {
      loadAiGatewayConfig({ AIGW_TRUSTED_ISSUERS: issuer.url, AIGW_MODEL_URL: model.url, AIGW_CORS_ALLOWED_ORIGINS: '*, http://localhost:3001/' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("'*' is not allowed");
    expect((error as Error).message).toContain("'http://localhost:3001/' is not an origin");
  });
});
