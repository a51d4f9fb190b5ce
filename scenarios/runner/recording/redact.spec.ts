import { MAX_RECORDED_BODY_BYTES, redactRecordedBody, redactRecordedHeaders, redactRecordedUrl } from './redact.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJnaXRsYWItYWktZ2F0ZXdheSJ9.U0lHTkFUVVJFLVNFQ1JFVA';
const JWT_SHOWN = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJnaXRsYWItYWktZ2F0ZXdheSJ9.[REDACTED]';

describe('record-time redaction', () => {
  it('keeps a JWT bearer token readable (header.payload) but unusable, and removes PATs, cookies and control tokens', () => {
    const out = redactRecordedHeaders(
      {
        Authorization: `Bearer ${JWT}`,
        'PRIVATE-TOKEN': 'glpat-secret-value-1234',
        Cookie: '_gitlab_session=abcdef0123; other=xyz',
        'X-Harness-Control-Token': 'ffeeddccbbaa99887766554433221100',
        'X-Gitlab-Realm': 'saas',
        'WWW-Authenticate': `Bearer realm="x", error="invalid_token" ${JWT}`,
      },
      ['_gitlab_session=abcdef0123; path=/; HttpOnly'],
    );
    expect(out.authorization).toBe(`Bearer ${JWT_SHOWN}`);
    expect(out['private-token']).toBe('[REDACTED]');
    expect(out.cookie).toBe('_gitlab_session=[REDACTED]; other=[REDACTED]');
    expect(out['set-cookie']).toBe('_gitlab_session=[REDACTED]; path=/; HttpOnly');
    expect(out['x-harness-control-token']).toBe('[REDACTED]');
    expect(out['x-gitlab-realm']).toBe('saas');
    const all = JSON.stringify(out);
    for (const secret of ['U0lHTkFUVVJFLVNFQ1JFVA', 'glpat-secret-value-1234', 'abcdef0123', 'xyz', 'ffeeddccbbaa']) {
      expect(all).not.toContain(secret);
    }
  });

  it('removes an OAuth code from a Location header and credential query parameters from URLs', () => {
    const out = redactRecordedHeaders({ location: 'http://ide.example/cb?code=authcode-123&state=s1' });
    expect(out.location).toContain('state=s1');
    expect(out.location).not.toContain('authcode-123');
    expect(redactRecordedUrl('http://x/api?private_token=glpat-zzzzzzzz&page=2')).not.toContain('glpat-zzzzzzzz');
  });

  it('redacts JSON bodies by field and by pattern, form bodies by field, text by pattern', () => {
    const json = redactRecordedBody(JSON.stringify({ access_token: JWT, password: 'hunter2', nested: { note: 'glpat-abcdefgh1234' } }), 'application/json');
    expect(json).toContain(JWT_SHOWN);
    expect(json).not.toContain('hunter2');
    expect(json).not.toContain('glpat-abcdefgh1234');
    const form = redactRecordedBody('grant_type=authorization_code&code=c0de&code_verifier=v3r&client_id=app', 'application/x-www-form-urlencoded');
    expect(form).toContain('grant_type=authorization_code');
    expect(form).toContain('client_id=app');
    expect(form).not.toMatch(/c0de|v3r/);
    expect(redactRecordedBody(`<p>token ${JWT}</p>`, 'text/html')).toBe(`<p>token ${JWT_SHOWN}</p>`);
  });

  it('truncates a body to 16 KiB after redaction and says so', () => {
    const body = 'a'.repeat(MAX_RECORDED_BODY_BYTES * 2);
    const out = redactRecordedBody(body, 'text/plain');
    expect(out.startsWith('a'.repeat(MAX_RECORDED_BODY_BYTES))).toBe(true);
    expect(out).toContain(`truncated: ${MAX_RECORDED_BODY_BYTES * 2} bytes in total`);
    expect(Buffer.byteLength(out)).toBeLessThan(MAX_RECORDED_BODY_BYTES + 100);
  });
});
