import { REDACTED, isSecretFieldName, redactHeaders, redactJson, redactText, redactUrl } from './redaction.js';

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

describe('redaction by pattern', () => {
  const PAT = 'glpat-Zq8xY2pLm3Nw4Rt5Uv6W';

  it('redacts a token in a path segment, raw or percent-encoded, and keeps the rest of the path', () => {
    expect(redactUrl(`/api/v4/projects/${PAT}/issues`)).toBe(`/api/v4/projects/glpat-${REDACTED}/issues`);
    expect(redactUrl(`/api/v4/x/${JWT}/y`)).toBe(`/api/v4/x/${REDACTED}/y`);
    const encoded = `/api/v4/x/${encodeURIComponent(PAT).replace('-', '%2D')}/y`;
    expect(redactUrl(encoded)).toBe(`/api/v4/x/${REDACTED}/y`);
  });

  it('redacts private_token whatever its Rack form, and credential names in fragments', () => {
    for (const name of ['private_token', 'private_token[]', 'private_token%5B%5D', 'PRIVATE_TOKEN', 'private_token[0]', 'user[password]', 'feed_token']) {
      const out = redactUrl(`/api/v4/user?page=2&${name}=s3cr3t-value&per_page=20`);
      expect(out).not.toContain('s3cr3t-value');
      expect(out).toContain('page=2&');
      expect(out).toContain('per_page=20');
    }
    expect(redactUrl('https://ide.example/cb#access_token=opaque-123&token_type=Bearer')).toBe(
      `https://ide.example/cb#access_token=${encodeURIComponent(REDACTED)}&token_type=Bearer`,
    );
  });

  it('redacts opaque query values of unknown names only when asked (logs), never readable ones', () => {
    const url = '/x?sid=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b&since=2025-01-01T00%3A00%3A00.000Z&path=%2Foauth%2Fdiscovery%2Fkeys&page=2';
    expect(redactUrl(url)).toBe(url);
    expect(redactUrl(url, { opaqueQueryValues: true })).toBe(
      `/x?sid=${encodeURIComponent(REDACTED)}&since=2025-01-01T00%3A00%3A00.000Z&path=%2Foauth%2Fdiscovery%2Fkeys&page=2`,
    );
  });

  it('redacts code= in a URL (RFC 6749 authorization code) but not an error code in prose', () => {
    expect(redactText('redirected to /cb?code=abc123&state=xyz')).toBe(`redirected to /cb?code=${encodeURIComponent(REDACTED)}&state=xyz`);
    expect(redactText('exit code=1 from the child')).toBe('exit code=1 from the child');
  });

  it('redacts credential members of JSON quoted in a message, credential headers quoted in prose, and PEM keys', () => {
    const out = redactText(
      'SaaS answered 200 {"access_token": "opaque-abc", "expires_in": 3600} after PRIVATE-TOKEN: tok-123; key -----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY----- done',
    );
    expect(out).not.toMatch(/opaque-abc|tok-123|MIIEv/);
    expect(out).toContain('"expires_in": 3600');
    expect(out).toContain(' done');
  });

  it('finds GitLab tokens of every type prefix, including the newer dotted PATs', () => {
    const tokens = ['glpat-abcd1234.01.xyz89', 'gldt-abcdefgh', 'glrt-abcdefgh', 'glcbt-abcdefgh', 'glft-abcdefgh', 'GR1348941abcdefgh'];
    const out = redactText(tokens.join(' '));
    for (const t of tokens) expect(out).not.toContain(t.slice(6));
  });

  it('finds a JWE (five segments) and a JWS whose header does not start with eyJ', () => {
    const jweHeader = Buffer.from('{"alg":"RSA-OAEP","enc":"A256GCM"}').toString('base64url');
    const jwe = `${jweHeader}.ZW5jcnlwdGVka2V5.aXY.Y2lwaGVydGV4dA.dGFn`;
    expect(redactText(`x ${jwe} y`)).toBe(`x ${REDACTED} y`);
    const spaced = `${Buffer.from('{ "alg": "RS256" }').toString('base64url')}.eyJzdWIiOiJ1In0.c2ln`;
    expect(redactText(spaced)).toBe(REDACTED);
  });

  it('is idempotent, also when JWT claims are kept', () => {
    for (const options of [{}, { keepJwtClaims: true }, { opaqueQueryValues: true }]) {
      const once = redactText(`/p/${JWT}?private_token=glpat-abcdef&x=${JWT} Bearer abc`, options);
      expect(redactText(once, options)).toBe(once);
    }
  });

  it('keeps ordinary text readable, dotted names included', () => {
    const text =
      'GET /api/v4/users/42?page=2 took 3 ms; user agent ai-auth-harness/0.1.0 (node); realm saas, kid key-1, token_type=Bearer; ' +
      'at /work/apps/common/src/exceptions.e2e-spec.ts:28:11 on example.gitlab.com.au';
    expect(redactText(text)).toBe(text);
  });

  it('finds a GitLab token glued to the text before it', () => {
    expect(redactText(`/items/xxxx${'glpat-Zq8xY2pLm3Nw4Rt5Uv6W'}`)).toBe(`/items/xxxxglpat-${REDACTED}`);
  });

  // Each pass is linear: a pattern that rescanned a long run from each of its positions would
  // take minutes on this input (and fail by the test timeout), not a few milliseconds.
  it('scrubs hostile runs in one pass each: dotless eyJ runs stay, a run of glpat- prefixes goes', () => {
    const eyj = 'eyJ'.repeat(20_000);
    const pairs = 'a='.repeat(20_000);
    const out = redactText(`${eyj} ${pairs} ${'glpat-'.repeat(10_000)}`, { opaqueQueryValues: true });
    expect(out).toBe(`${eyj} ${pairs} glpat-${REDACTED}`);
  });
});

describe('isSecretFieldName', () => {
  it.each([
    ['private_token', true],
    ['private_token[]', true],
    ['user[password]', true],
    ['accessToken', true],
    ['X-Gitlab-Oidc-Token', true],
    ['job_token', true],
    ['client_secret', true],
    ['token_type', false],
    ['client_secret_expires_at', false],
    ['expires_in', false],
    ['kid', false],
  ])('%s -> %s', (name, expected) => {
    expect(isSecretFieldName(name)).toBe(expected);
  });
});
