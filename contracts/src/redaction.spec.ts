import { REDACTED, redactHeaders, redactJson, redactText, redactUrl } from './redaction.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLWJ5dGVz';

describe('redaction', () => {
  it('removes JWTs, PATs and bearer credentials from prose', () => {
    const text = `token ${JWT} pat glpat-saas-dev-api header Bearer abc.def`;
    const out = redactText(text);
    expect(out).not.toContain(JWT);
    expect(out).not.toContain('glpat-saas-dev-api');
    expect(out).not.toContain('abc.def');
  });

  it('keeps a JWT\'s header and claims but never its signature when asked', () => {
    const out = redactText(`x ${JWT} y`, { keepJwtClaims: true });
    expect(out).toContain('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.');
    expect(out).not.toContain('c2lnbmF0dXJlLWJ5dGVz');
  });

  it('redacts credential headers whatever their case, and keeps the others', () => {
    const out = redactHeaders({ Authorization: `Bearer ${JWT}`, 'PRIVATE-TOKEN': 'glpat-x', Cookie: '_gitlab_session=abc', Accept: 'application/json' });
    expect(out).toEqual({ Authorization: `Bearer ${REDACTED}`, 'PRIVATE-TOKEN': REDACTED, Cookie: REDACTED, Accept: 'application/json' });
  });

  it('redacts credential query parameters', () => {
    expect(redactUrl('/api/v4/user?private_token=glpat-secret&page=2')).toBe(`/api/v4/user?private_token=${encodeURIComponent(REDACTED)}&page=2`);
    expect(redactUrl('/oauth/discovery/keys')).toBe('/oauth/discovery/keys');
  });

  it('redacts credential fields in nested JSON', () => {
    const out = redactJson({ access_token: JWT, expires_in: 3600, nested: [{ password: 'duo-demo-password', note: 'glpat-abcdef' }] }) as Record<string, unknown>;
    expect(JSON.stringify(out)).not.toMatch(/duo-demo-password|glpat-abcdef|c2lnbmF0dXJl/);
    expect(out.expires_in).toBe(3600);
  });
});
