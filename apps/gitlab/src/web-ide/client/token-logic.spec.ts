import {
  GATEWAY_SELF_ISSUER,
  INSTANCE_TOKEN_BINDINGS,
  USER_TOKEN_BINDINGS,
  WEB_IDE_MESSAGE,
  boundHeaderValues,
} from '#contracts';
import { type BindingTable, boundHeaders, jwtClaims, needsNewToken, tokenFromResponse, tokenReply } from './token-logic.js';

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
