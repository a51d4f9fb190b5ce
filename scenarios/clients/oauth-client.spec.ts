import { PKCE_VERIFIER, authorizationParams, authorizationUrl, basicAuthorization, callbackParams, codeVerifier, s256 } from './oauth-client.js';

describe('the checks\' OAuth client', () => {
  it('computes the S256 challenge of RFC 7636 Appendix B', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes verifiers of 43 unreserved characters, each new', () => {
    const a = codeVerifier();
    expect(a).toMatch(PKCE_VERIFIER);
    expect(a).toHaveLength(43);
    expect(codeVerifier()).not.toBe(a);
    expect(PKCE_VERIFIER.test(a.slice(0, 42))).toBe(false);
    expect(PKCE_VERIFIER.test(`${a.slice(0, 42)}+`)).toBe(false);
  });

  it('form-encodes client_id and secret before base64 in HTTP Basic (RFC 6749 §2.3.1)', () => {
    const header = basicAuthorization('my app:1', 's/é');
    expect(Buffer.from(header.replace(/^Basic /, ''), 'base64').toString()).toBe('my+app%3A1:s%2F%C3%A9');
  });

  it('leaves out the parameters a variant removes, and sends the rest as given', () => {
    const params = authorizationParams({ clientId: 'c', redirectUri: 'https://rp.example/cb', scopes: ['api', 'read_user'] }, 'CH', 'st');
    const url = new URL(authorizationUrl('https://as.example/oauth/authorize?x=1', { ...params, code_challenge: undefined }));
    expect(Object.fromEntries(url.searchParams)).toEqual({ x: '1', response_type: 'code', client_id: 'c', redirect_uri: 'https://rp.example/cb', scope: 'api read_user', state: 'st', code_challenge_method: 'S256' });
  });

  it('reads the authorization response from the query, else from the fragment', () => {
    expect(callbackParams(new URL('https://rp.example/cb?code=a&state=s')).get('code')).toBe('a');
    expect(callbackParams(new URL('https://rp.example/cb?x=1#error=access_denied&state=s')).get('error')).toBe('access_denied');
  });
});
