import {
  GATEWAY_SELF_ISSUER,
  INSTANCE_TOKEN_BINDINGS,
  USER_TOKEN_BINDINGS,
  WEB_IDE_MESSAGE,
  boundHeaderValues,
} from '#contracts';
import { createHash } from 'node:crypto';
import { type BindingTable, authorizationResponse, base64url, boundHeaders, jwtClaims, needsNewToken, oauthTokenSet, tokenFromResponse, tokenReply } from './token-logic.js';

const TABLE: BindingTable = { selfIssuer: GATEWAY_SELF_ISSUER, instance: INSTANCE_TOKEN_BINDINGS, user: USER_TOKEN_BINDINGS };
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: unknown) => `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.c2ln`;
const TYPES = { token: WEB_IDE_MESSAGE.TOKEN, error: WEB_IDE_MESSAGE.TOKEN_ERROR };

describe('the Web IDE token logic (run in the browser)', () => {
  it.each([
    ['an instance token (sub = instance UUID)', { iss: 'https://gitlab.example', sub: 'uuid-1', gitlab_realm: 'saas', scopes: ['code_suggestions'] }],
    ['a seed-000 token (no bound claims)', { iss: 'https://gitlab.example', aud: 'gitlab-code-suggestions' }],
    ['a gateway user token', { iss: GATEWAY_SELF_ISSUER, sub: 'user-7', gitlab_instance_id: 'uuid-2', gitlab_realm: 'self-managed' }],
    ['sub and gitlab_instance_id apart (the first wins)', { iss: 'https://gitlab.example', gitlab_instance_id: 'a', sub: 'b' }],
    ['empty and non-string claims (bind nothing)', { iss: 'https://gitlab.example', gitlab_realm: '', sub: 42, gitlab_instance_id: null }],
  ])('binds the headers contracts boundHeaderValues binds, for %s', (_label, claims) => {
    expect(boundHeaders(claims, TABLE)).toEqual(boundHeaderValues(claims));
  });

  it('reads a JWT payload, UTF-8 included, and refuses what is not one', () => {
    expect(jwtClaims(jwt({ sub: 'ü', n: 1 }))).toEqual({ sub: 'ü', n: 1 });
    expect(jwtClaims('opaque-oauth-token')).toBeUndefined();
    expect(jwtClaims(`a.${b64url([1, 2])}.c`)).toBeUndefined();
    expect(jwtClaims(`a.${b64url(null)}.c`)).toBeUndefined();
    expect(jwtClaims('a.%%%.c')).toBeUndefined();
    expect(jwtClaims(`a.${Buffer.from([0xff, 0xfe]).toString('base64url')}.c`)).toBeUndefined();
  });

  it('takes a token from a 201 and says why there is none otherwise', () => {
    expect(tokenFromResponse(201, { access_token: 'eyJ.x.y', expires_in: 3600, created_at: 1 })).toEqual({ accessToken: 'eyJ.x.y', expiresIn: 3600 });
    expect(tokenFromResponse(401, { message: '401 Unauthorized' })).toEqual({ error: '401: 401 Unauthorized' });
    expect(tokenFromResponse(400, { error: 'invalid_grant' })).toEqual({ error: '400: invalid_grant' });
    expect(tokenFromResponse(502, undefined)).toEqual({ error: '502' });
    expect(tokenFromResponse(201, { expires_in: 3600 })).toEqual({ error: '201 without an access_token' });
    expect(tokenFromResponse(201, { access_token: 't', expires_in: '3600' })).toEqual({ error: '201 without a positive expires_in' });
    expect(tokenFromResponse(201, { access_token: 't', expires_in: 0 })).toEqual({ error: '201 without a positive expires_in' });
  });

  it('asks for a new token when none is held or it expires within the margin', () => {
    const nowMs = 1_000_000_000;
    expect(needsNewToken(undefined, nowMs, 60)).toBe(true);
    expect(needsNewToken({ expiresAt: nowMs / 1000 + 61 }, nowMs, 60)).toBe(false);
    expect(needsNewToken({ expiresAt: nowMs / 1000 + 60 }, nowMs, 60)).toBe(true);
    expect(needsNewToken({ expiresAt: nowMs / 1000 - 1 }, nowMs, 0)).toBe(true);
  });

  it("reads the host's replies and nothing else", () => {
    expect(tokenReply({ type: WEB_IDE_MESSAGE.TOKEN, id: 3, accessToken: 't', expiresAt: 9, headers: { 'X-Gitlab-Realm': 'saas', bad: 1 } }, TYPES)).toEqual({
      id: 3,
      token: { accessToken: 't', expiresAt: 9, headers: { 'X-Gitlab-Realm': 'saas' } },
    });
    expect(tokenReply({ type: WEB_IDE_MESSAGE.TOKEN_ERROR, id: 4, message: 'POST answered 401' }, TYPES)).toEqual({ id: 4, error: 'POST answered 401' });
    expect(tokenReply({ type: WEB_IDE_MESSAGE.TOKEN_ERROR, id: 4 }, TYPES)).toEqual({ id: 4, error: 'the Web IDE page could not get a token' });
    for (const junk of [null, 'x', { type: WEB_IDE_MESSAGE.TOKEN, id: '3', accessToken: 't', expiresAt: 9 }, { type: WEB_IDE_MESSAGE.TOKEN, id: 3, expiresAt: 9 }, { type: 'other', id: 1 }]) {
      expect(tokenReply(junk, TYPES)).toBeUndefined();
    }
  });
});

describe('option 1 in the browser', () => {
  const now = 1_700_000_000_000;

  it('keeps the tokens of a token response, and the old refresh token when a refresh answers none', () => {
    expect(oauthTokenSet(200, { access_token: 'a', token_type: 'bearer', expires_in: 7200, refresh_token: 'r' }, now)).toEqual({ accessToken: 'a', refreshToken: 'r', expiresAt: 1_700_007_200 });
    expect(oauthTokenSet(200, { access_token: 'a2', token_type: 'Bearer', expires_in: 60 }, now, 'r')).toEqual({ accessToken: 'a2', refreshToken: 'r', expiresAt: 1_700_000_060 });
  });

  it('refuses a token response without a Bearer token or a lifetime, and keeps the OAuth error', () => {
    expect(oauthTokenSet(200, { access_token: 'a', token_type: 'mac', expires_in: 1 }, now)).toEqual({ error: 'token_type is not Bearer' });
    expect(oauthTokenSet(200, { access_token: 'a', token_type: 'Bearer' }, now)).toEqual({ error: '200 without a positive expires_in' });
    expect(oauthTokenSet(400, { error: 'invalid_grant', error_description: 'grant request is invalid' }, now)).toEqual({ error: '400: invalid_grant (grant request is invalid)' });
  });

  it('accepts an authorization response only with the state sent and the issuer (RFC 9207), then reads code or error', () => {
    const expected = { state: 's1', issuer: 'http://127.0.0.1:3001' };
    expect(authorizationResponse('?code=c&state=s1&iss=http%3A%2F%2F127.0.0.1%3A3001', expected)).toEqual({ code: 'c' });
    expect(authorizationResponse('?code=c&state=s2&iss=http%3A%2F%2F127.0.0.1%3A3001', expected)).toEqual({ error: expect.stringContaining('state') });
    expect(authorizationResponse('?code=c&state=s1', expected)).toEqual({ error: expect.stringContaining('RFC 9207') });
    expect(authorizationResponse('?code=c&state=s1&iss=http%3A%2F%2Fevil.example', expected)).toEqual({ error: expect.stringContaining('RFC 9207') });
    expect(authorizationResponse('?error=access_denied&error_description=no&state=s1&iss=http%3A%2F%2F127.0.0.1%3A3001', expected)).toEqual({ error: 'access_denied (no)' });
  });

  it('encodes PKCE values as base64url without padding (RFC 7636 appendix B)', () => {
    // RFC 7636 appendix B: this verifier's S256 challenge is E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM.
    const verifierBytes = Uint8Array.from([116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121]);
    const verifier = base64url(verifierBytes);
    expect(verifier).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
    expect(base64url(createHash('sha256').update(verifier).digest())).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});
