import { corsDecision } from './cors-policy.js';

const IDE = 'http://localhost:3001';
const policy = { allowedOrigins: [IDE] };
const PREFLIGHT_HEADERS = {
  vary: 'Origin',
  'access-control-allow-methods': 'POST',
  'access-control-max-age': '600',
  'access-control-allow-headers':
    'Accept, Accept-Language, Authorization, Content-Language, Content-Type, X-Gitlab-Authentication-Type, X-Gitlab-Global-User-Id, X-Gitlab-Instance-Id, X-Gitlab-Realm',
};

describe('the gateway CORS policy (Starlette CORSMiddleware semantics, listed origins)', () => {
  it('leaves requests without Origin alone', () => {
    expect(corsDecision(policy, { method: 'POST' })).toEqual({ kind: 'pass' });
    expect(corsDecision(policy, { method: 'OPTIONS', requestMethod: 'POST' })).toEqual({ kind: 'pass' });
  });

  it('answers the preflight of an IDE keystroke: its origin, POST, Authorization and the X-Gitlab-* headers', () => {
    const decision = corsDecision(policy, {
      method: 'OPTIONS',
      origin: IDE,
      requestMethod: 'POST',
      requestHeaders: 'authorization,content-type,x-gitlab-authentication-type,x-gitlab-instance-id,x-gitlab-realm',
    });
    expect(decision).toEqual({ kind: 'preflight', status: 200, body: 'OK', headers: { ...PREFLIGHT_HEADERS, 'access-control-allow-origin': IDE } });
  });

  it('refuses a preflight naming each disallowed part, without echoing the foreign origin', () => {
    expect(corsDecision(policy, { method: 'OPTIONS', origin: 'http://evil.example', requestMethod: 'POST' })).toEqual({
      kind: 'preflight',
      status: 400,
      body: 'Disallowed CORS origin',
      headers: PREFLIGHT_HEADERS,
    });
    expect(corsDecision(policy, { method: 'OPTIONS', origin: IDE, requestMethod: 'GET', requestHeaders: 'Authorization, Cookie' })).toMatchObject({
      status: 400,
      body: 'Disallowed CORS method, headers',
    });
    expect(corsDecision(policy, { method: 'OPTIONS', origin: `${IDE}/`, requestMethod: 'DELETE' })).toMatchObject({ status: 400, body: 'Disallowed CORS origin, method' });
  });

  it('marks the answer to an allowed origin readable, and only that one', () => {
    expect(corsDecision(policy, { method: 'POST', origin: IDE })).toEqual({ kind: 'simple', headers: { 'access-control-allow-origin': IDE, vary: 'Origin' } });
    expect(corsDecision(policy, { method: 'POST', origin: 'http://127.0.0.1:3001' })).toEqual({ kind: 'simple', headers: {} });
    // OPTIONS without Access-Control-Request-Method is no preflight: routing answers it.
    expect(corsDecision(policy, { method: 'OPTIONS', origin: IDE })).toEqual({ kind: 'simple', headers: { 'access-control-allow-origin': IDE, vary: 'Origin' } });
  });

  it('allows nothing when no origin is configured', () => {
    expect(corsDecision({ allowedOrigins: [] }, { method: 'OPTIONS', origin: IDE, requestMethod: 'POST' })).toMatchObject({ status: 400, body: 'Disallowed CORS origin' });
  });
});
