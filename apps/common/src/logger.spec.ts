import { Writable } from 'node:stream';
import { REDACTED } from '#contracts';
import { createLogger } from './logger.js';

function capture(level = 'trace') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ app: 'test', level, destination: stream }) };
}

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';
const PAT = 'glpat-Zq8xY2pLm3Nw4Rt5Uv6W';
const OPAQUE = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b';

describe('createLogger', () => {
  it('scrubs tokens from messages and censors credential headers', () => {
    const { lines, logger } = capture('info');
    logger.info(`verifying ${JWT} for glpat-saas-dev-api`);
    logger.info({ headers: { authorization: `Bearer ${JWT}`, 'private-token': 'glpat-secret-token' } }, 'request');
    logger.info({ req: { method: 'GET', url: '/api/v4/user?private_token=glpat-in-query', headers: { 'user-agent': 'curl' } } }, 'incoming');
    const all = lines.join('');
    expect(all).not.toContain('c2lnbmF0dXJl');
    expect(all).not.toContain('glpat-saas-dev-api');
    expect(all).not.toContain('glpat-secret-token');
    expect(all).not.toContain('glpat-in-query');
    expect(all).toContain('"app":"test"');
    expect(all).toContain('curl');
  });

  it('redacts a token in a request path segment, raw or percent-encoded, and keeps the route readable', () => {
    const { lines, logger } = capture();
    logger.info({ req: { method: 'GET', url: `/api/v4/projects/${PAT}/issues`, headers: {} } }, 'incoming request');
    logger.info({ req: { method: 'GET', url: `/api/v4/x/${JWT.replace(/\./g, '%2E')}/y`, headers: {} } }, 'incoming request');
    const all = lines.join('');
    expect(all).not.toContain(PAT.slice(6));
    expect(all).not.toContain('c2lnbmF0dXJl');
    expect(all).toContain(`/api/v4/projects/glpat-${REDACTED}/issues`);
    expect(all).toContain(`/api/v4/x/${REDACTED}/y`);
  });

  it('redacts private_token and private_token[] and opaque query values, and keeps readable ones', () => {
    const { lines, logger } = capture();
    logger.info({ req: { method: 'GET', url: `/api/v4/user?private_token=tok-one&page=2`, headers: {} } }, 'incoming request');
    logger.info({ req: { method: 'GET', url: `/api/v4/user?private_token[]=tok-two&private_token%5B%5D=tok-three`, headers: {} } }, 'incoming request');
    logger.info({ req: { method: 'GET', url: `/feed.atom?sid=${OPAQUE}&since=2025-01-01T00%3A00%3A00Z`, headers: {} } }, 'incoming request');
    const all = lines.join('');
    for (const secret of ['tok-one', 'tok-two', 'tok-three', OPAQUE]) expect(all).not.toContain(secret);
    expect(all).toContain('page=2');
    expect(all).toContain('since=2025-01-01T00%3A00%3A00Z');
  });

  it('scrubs user agent strings and keeps the product token readable', () => {
    const { lines, logger } = capture();
    logger.info({ req: { method: 'GET', url: '/', headers: { 'user-agent': `evil/1.0 (${PAT}; ${JWT})` } } }, 'incoming request');
    const all = lines.join('');
    expect(all).not.toContain(PAT.slice(6));
    expect(all).not.toContain('c2lnbmF0dXJl');
    expect(all).toContain('evil/1.0 (');
  });

  it('scrubs the unverified kid and iss of a refused token, which the caller controls', () => {
    const { lines, logger } = capture();
    logger.info({ auth: { reason: 'unknown-issuer', kid: JWT, iss: `https://evil.example/${PAT}` } }, 'token rejected');
    const record = JSON.parse(lines[0]!) as { auth: { kid: string; iss: string; reason: string } };
    expect(record.auth.kid).toBe(REDACTED);
    expect(record.auth.iss).toBe(`https://evil.example/glpat-${REDACTED}`);
    expect(record.auth.reason).toBe('unknown-issuer');
  });

  it('scrubs error messages and stacks, and keeps error codes', () => {
    const { lines, logger } = capture();
    const err = Object.assign(new Error(`upstream said Bearer ${JWT} for ${PAT}`), { code: 'ECONNREFUSED' });
    logger.error({ err }, `relay failed: ${PAT}`);
    logger.error(err);
    const all = lines.join('');
    expect(all).not.toContain(PAT.slice(6));
    expect(all).not.toContain('c2lnbmF0dXJl');
    expect(all).toContain('"code":"ECONNREFUSED"');
    expect(all).toContain('upstream said Bearer');
  });

  it('scrubs child logger bindings and interpolated arguments', () => {
    const { lines, logger } = capture();
    logger.child({ session: PAT }).info('from a child');
    logger.info('interpolated %s and %j', JWT, { token: 'plain-secret' });
    const all = lines.join('');
    expect(all).not.toContain(PAT.slice(6));
    expect(all).not.toContain('c2lnbmF0dXJl');
    expect(all).not.toContain('plain-secret');
    expect(all).toContain('from a child');
  });

  it('redacts credential-named members anywhere, keeping numbers such as expiry times', () => {
    const { lines, logger } = capture();
    logger.info({ body: { access_token: 'opaque-access', refresh_token: 'opaque-refresh', expires_in: 7200, client_secret_expires_at: 0 } }, 'token response');
    const record = JSON.parse(lines[0]!) as { body: Record<string, unknown> };
    expect(record.body).toEqual({ access_token: REDACTED, refresh_token: REDACTED, expires_in: 7200, client_secret_expires_at: 0 });
  });
});
