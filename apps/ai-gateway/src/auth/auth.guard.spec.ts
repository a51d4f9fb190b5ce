import { jest } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  AUTHENTICATION_TYPE_OAUTH2,
  GATEWAY_AUTH_ERROR,
  GATEWAY_TOKEN_VERIFICATION_UNAVAILABLE,
  GATEWAY_CODE_COMPLETIONS_FORBIDDEN,
  GATEWAY_SELF_ISSUER,
  headerMismatchError,
  HEADER,
} from '#contracts';
import { ContractHttpException, type Logger } from '#common';
import { PublicRoute, RequiresUnitPrimitive } from './auth.decorators.js';
import { AuthGuard, type AuthenticatedRequest } from './auth.guard.js';
import type { OAuthTokenVerifier, OAuthVerification } from './oauth-token-verifier.js';
import type { TokenVerifier, Verification } from './token-verifier.js';

class Routes {
  @RequiresUnitPrimitive('code_suggestions')
  completions(): void {}

  anyAuthenticated(): void {}

  @PublicRoute()
  health(): void {}
}

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
const ISSUER = 'https://gitlab.example';
const INSTANCE = '5a0b6c1e-6d2f-4c1b-9f3e-0e2a5b7c9d11';
const USER = 'ZmFrZS1nbG9iYWwtdXNlci1pZA';
/** Today's instance token (cloud-connector shape): sub = the instance UUID, no gitlab_instance_id. */
const INSTANCE_CLAIMS = { iss: ISSUER, sub: INSTANCE, gitlab_realm: 'saas', scopes: ['code_suggestions'] };
/** The gateway's own user token (UJWT): iss gitlab-ai-gateway, sub = the global user id, gitlab_instance_id set. */
const USER_CLAIMS = { iss: GATEWAY_SELF_ISSUER, sub: USER, gitlab_realm: 'saas', gitlab_instance_id: INSTANCE, scopes: ['code_suggestions'] };
const GOOD_HEADERS = {
  authorization: `Bearer ${TOKEN}`,
  'x-gitlab-authentication-type': 'oidc',
  'x-gitlab-realm': 'saas',
  'x-gitlab-instance-id': INSTANCE,
};

function verified(claims: Record<string, unknown> = INSTANCE_CLAIMS, scopes: string[] = ['code_suggestions']): Verification {
  return { ok: true, claims, scopes, issuer: String(claims.iss), kid: 'k1', legacyAudience: false };
}

type Headers = Record<string, string | undefined>;

const OPAQUE = '4f2c0a7e9b1d3c5e7f9a1b3d5c7e9f1a3b5d7c9e1f3a5b7d9c1e3f5a7b9d1c3e';
const activeOAuth = (scopes: string[] = ['code_suggestions']): OAuthVerification => ({ ok: true, kind: 'oauth2', oauthScopes: ['api'], scopes, expiresAt: undefined });

/** `oauth`: the OAuth verifier's answer (seed 000 option 1 on), or undefined for a gateway with option 1 off. */
function setup(result: Verification = verified(), oauth?: OAuthVerification) {
  const verify = jest.fn(async (_token: string) => result);
  const verifyOAuth = jest.fn(async (_token: string) => oauth!);
  const debug = jest.fn();
  const warn = jest.fn();
  const error = jest.fn();
  const oauthVerifier = oauth === undefined ? null : ({ verify: verifyOAuth } as unknown as OAuthTokenVerifier);
  const guard = new AuthGuard(new Reflector(), { verify } as unknown as TokenVerifier, { debug, warn, error, isLevelEnabled: () => true } as unknown as Logger, oauthVerifier);
  /** `rawHeaders` as Node keeps every header line; `headers` keeps only the first Authorization, as Node does. */
  const run = async (headers: Headers, route: keyof Routes = 'completions', rawHeaders?: string[]) => {
    const present = Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined);
    const request = {
      headers: Object.fromEntries(present),
      raw: { rawHeaders: rawHeaders ?? present.flat() },
    } as unknown as AuthenticatedRequest;
    const context = {
      getHandler: () => Routes.prototype[route],
      getClass: () => Routes,
      switchToHttp: () => ({ getRequest: () => request }),
    } as unknown as ExecutionContext;
    try {
      return { allowed: await guard.canActivate(context), request };
    } catch (e) {
      if (!(e instanceof ContractHttpException)) throw e;
      return { status: e.getStatus(), body: e.body, headers: e.headers, request };
    }
  };
  return { verify, verifyOAuth, debug, warn, error, run };
}

describe('AuthGuard', () => {
  it('lets a valid token with the unit primitive through and hands the verified token to the handler', async () => {
    const { run, verify } = setup();
    const result = await run(GOOD_HEADERS);
    expect(result.allowed).toBe(true);
    expect(verify).toHaveBeenCalledWith(TOKEN);
    expect(result.request.aiAccessToken).toMatchObject({ ok: true, kid: 'k1' });
  });

  it('skips public routes', async () => {
    const { run, verify } = setup();
    expect((await run({}, 'health')).allowed).toBe(true);
    expect(verify).not.toHaveBeenCalled();
  });

  describe('Authorization header', () => {
    it('answers a missing Authorization header first, whatever else is wrong', async () => {
      const { run, verify } = setup();
      expect(await run({ 'x-gitlab-authentication-type': 'jwt' })).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.NO_HEADER } });
      expect(verify).not.toHaveBeenCalled();
    });

    it.each([
      ['Basic dXNlcjpwdw=='],
      ['Token abc'],
      [''],
      ['Bearer'],
      ['Bearer '],
      ['Bearer\ttab'],
      ['Bearer \ttab'],
      [' Bearer leading'],
      ['Bearer two tokens'],
      ['Bearer to!ken'],
      ['Bearer abc=def'],
      [`Bearer ${TOKEN} `],
      [`Bearer ${TOKEN}, Bearer ${TOKEN}`],
      [TOKEN],
    ])('answers the malformed Authorization %j with Invalid authorization header, before the type check', async (authorization) => {
      const { run, verify } = setup();
      const result = await run({ authorization });
      expect(result).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.INVALID_HEADER } });
      expect(verify).not.toHaveBeenCalled();
    });

    it.each([['bearer'], ['BEARER'], ['BeArEr']])('accepts the scheme %s case-insensitively', async (scheme) => {
      const { run } = setup();
      expect((await run({ ...GOOD_HEADERS, authorization: `${scheme} ${TOKEN}` })).allowed).toBe(true);
    });

    it.each([[2], [5]])('accepts Bearer followed by %i spaces (RFC 6750 §2.1: "Bearer" 1*SP b64token)', async (spaces) => {
      const { run, verify } = setup();
      expect((await run({ ...GOOD_HEADERS, authorization: `Bearer${' '.repeat(spaces)}${TOKEN}` })).allowed).toBe(true);
      expect(verify).toHaveBeenCalledWith(TOKEN);
    });

    it('accepts the full b64token alphabet (RFC 6750 §2.1)', async () => {
      const { run, verify } = setup();
      expect((await run({ ...GOOD_HEADERS, authorization: 'Bearer aZ09-._~+/==' })).allowed).toBe(true);
      expect(verify).toHaveBeenCalledWith('aZ09-._~+/==');
    });

    it.each([
      ['the same token twice', ['Authorization', `Bearer ${TOKEN}`, 'authorization', `Bearer ${TOKEN}`]],
      ['a valid token and a bogus one', ['Authorization', `Bearer ${TOKEN}`, 'AUTHORIZATION', 'Bearer other']],
      ['a valid token and a Basic credential', ['authorization', `Bearer ${TOKEN}`, 'Authorization', 'Basic dXNlcjpwdw==']],
    ])('answers two Authorization headers (%s) with Invalid authorization header, never picking one', async (_name, authorizations) => {
      const { run, verify } = setup();
      const rest = Object.entries(GOOD_HEADERS).filter(([name]) => name !== 'authorization').flat();
      // Node keeps only the first Authorization in `headers`; `rawHeaders` still has both.
      const result = await run(GOOD_HEADERS, 'completions', [...authorizations, ...rest]);
      expect(result).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.INVALID_HEADER } });
      expect(verify).not.toHaveBeenCalled();
    });

    it('counts only headers named Authorization (any case), not look-alikes', async () => {
      const { run } = setup();
      const raw = [...Object.entries(GOOD_HEADERS).flat(), 'Proxy-Authorization', 'Basic eA==', 'x-authorization', 'Bearer x', 'Authorizatio\u000e', 'y'];
      expect((await run(GOOD_HEADERS, 'completions', raw)).allowed).toBe(true);
    });
  });

  it.each([[undefined], ['OIDC'], ['jwt'], ['oidc ']])('answers X-Gitlab-Authentication-Type %j with the OIDC-only error', async (type) => {
    const { run, verify } = setup();
    const result = await run({ ...GOOD_HEADERS, 'x-gitlab-authentication-type': type });
    expect(result).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.INVALID_TYPE } });
    expect(verify).not.toHaveBeenCalled();
  });

  it('answers a refused token with Forbidden by auth provider and logs the reason, never the token', async () => {
    const { run, debug } = setup({ ok: false, reason: 'expired', detail: 'exp is in the past', kid: 'k1', iss: ISSUER });
    expect(await run(GOOD_HEADERS)).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.FORBIDDEN } });
    expect(debug).toHaveBeenCalledWith({ auth: { reason: 'expired', detail: 'exp is in the past', kid: 'k1', iss: ISSUER } }, 'token rejected');
    expect(JSON.stringify(debug.mock.calls)).not.toContain(TOKEN);
  });

  it('answers 401 Forbidden by auth provider, never a 500, should the verifier throw', async () => {
    const { run, verify, error } = setup();
    verify.mockRejectedValueOnce(new RangeError('Maximum call stack size exceeded'));
    expect(await run(GOOD_HEADERS)).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.FORBIDDEN } });
    expect(error).toHaveBeenCalledTimes(1);
  });

  describe('header binding (ai_gateway _validate_headers)', () => {
    it.each([
      ['x-gitlab-realm', HEADER.REALM],
      ['x-gitlab-instance-id', HEADER.INSTANCE_ID],
    ])('binds an instance token to %s: missing or different -> Header mismatch', async (name, header) => {
      const { run } = setup();
      expect(await run({ ...GOOD_HEADERS, [name]: undefined })).toMatchObject({ status: 401, body: { error: headerMismatchError(header) } });
      expect(await run({ ...GOOD_HEADERS, [name]: 'something-else' })).toMatchObject({ status: 401, body: { error: headerMismatchError(header) } });
    });

    it("binds an instance token's sub (the instance UUID) to X-Gitlab-Instance-Id, not to X-Gitlab-Global-User-Id", async () => {
      const { run } = setup();
      expect((await run({ ...GOOD_HEADERS, 'x-gitlab-global-user-id': 'anything' })).allowed).toBe(true);
      const other = await run({ ...GOOD_HEADERS, 'x-gitlab-instance-id': 'another-instance', 'x-gitlab-global-user-id': INSTANCE });
      expect(other.body).toEqual({ error: headerMismatchError(HEADER.INSTANCE_ID) });
    });

    it('binds a gateway user token (iss gitlab-ai-gateway) sub to X-Gitlab-Global-User-Id and gitlab_instance_id to X-Gitlab-Instance-Id', async () => {
      const { run } = setup(verified(USER_CLAIMS));
      const headers = { ...GOOD_HEADERS, 'x-gitlab-global-user-id': USER };
      expect((await run(headers)).allowed).toBe(true);
      expect((await run({ ...headers, 'x-gitlab-global-user-id': undefined })).body).toEqual({ error: headerMismatchError(HEADER.GLOBAL_USER_ID) });
      expect((await run({ ...headers, 'x-gitlab-global-user-id': INSTANCE })).body).toEqual({ error: headerMismatchError(HEADER.GLOBAL_USER_ID) });
      expect((await run({ ...headers, 'x-gitlab-instance-id': USER })).body).toEqual({ error: headerMismatchError(HEADER.INSTANCE_ID) });
    });

    it('refuses an instance token whose sub and gitlab_instance_id differ: one header cannot carry both', async () => {
      const { run } = setup(verified({ ...INSTANCE_CLAIMS, gitlab_instance_id: 'another-instance' }));
      expect((await run(GOOD_HEADERS)).body).toEqual({ error: headerMismatchError(HEADER.INSTANCE_ID) });
      expect((await run({ ...GOOD_HEADERS, 'x-gitlab-instance-id': 'another-instance' })).body).toEqual({ error: headerMismatchError(HEADER.INSTANCE_ID) });
    });

    it('reports the first mismatch in the order realm, instance id, sub', async () => {
      const { run } = setup(verified(USER_CLAIMS));
      const bare = { authorization: GOOD_HEADERS.authorization, 'x-gitlab-authentication-type': 'oidc' };
      expect((await run(bare)).body).toEqual({ error: headerMismatchError(HEADER.REALM) });
      expect((await run({ ...bare, 'x-gitlab-realm': 'saas' })).body).toEqual({ error: headerMismatchError(HEADER.INSTANCE_ID) });
      expect((await run({ ...bare, 'x-gitlab-realm': 'saas', 'x-gitlab-instance-id': INSTANCE })).body).toEqual({
        error: headerMismatchError(HEADER.GLOBAL_USER_ID),
      });
    });

    it.each([
      ['absent', {}],
      ['empty', { gitlab_realm: '', sub: '', gitlab_instance_id: '' }],
    ])('binds nothing for %s claims', async (_name, claims) => {
      const { run } = setup(verified({ iss: ISSUER, ...claims }));
      expect((await run({ authorization: GOOD_HEADERS.authorization, 'x-gitlab-authentication-type': 'oidc' })).allowed).toBe(true);
    });

    it('never matches a claim that is not a string', async () => {
      const { run } = setup(verified({ ...INSTANCE_CLAIMS, gitlab_realm: 42 }));
      expect((await run({ ...GOOD_HEADERS, 'x-gitlab-realm': '42' })).body).toEqual({ error: headerMismatchError(HEADER.REALM) });
    });

    it('compares header values exactly (no trimming, no case folding)', async () => {
      const { run } = setup();
      expect((await run({ ...GOOD_HEADERS, 'x-gitlab-realm': 'SaaS' })).body).toEqual({ error: headerMismatchError(HEADER.REALM) });
      expect((await run({ ...GOOD_HEADERS, 'x-gitlab-realm': 'saas ' })).body).toEqual({ error: headerMismatchError(HEADER.REALM) });
    });
  });

  it('binds headers before it checks the unit primitive', async () => {
    const { run } = setup(verified(INSTANCE_CLAIMS, []));
    expect(await run({ ...GOOD_HEADERS, 'x-gitlab-realm': 'self-managed' })).toMatchObject({ status: 401 });
  });

  it("answers a token without the route's unit primitive with 403 detail", async () => {
    const { run } = setup(verified(INSTANCE_CLAIMS, ['duo_chat']));
    expect(await run(GOOD_HEADERS)).toEqual(expect.objectContaining({ status: 403, body: { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN } }));
  });

  it('requires no unit primitive on routes that declare none', async () => {
    const { run } = setup(verified(INSTANCE_CLAIMS, []));
    expect((await run(GOOD_HEADERS, 'anyAuthenticated')).allowed).toBe(true);
  });

  describe('seed 000 option 1: opaque OAuth tokens (X-Gitlab-Authentication-Type: oauth2)', () => {
    const OAUTH_HEADERS = { authorization: `Bearer ${OPAQUE}`, 'x-gitlab-authentication-type': AUTHENTICATION_TYPE_OAUTH2 };

    it('answers oauth2 as an unknown type when option 1 is off, as the production gateway does', async () => {
      const { run, verify } = setup();
      expect(await run(OAUTH_HEADERS)).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.INVALID_TYPE } });
      expect(verify).not.toHaveBeenCalled();
    });

    it('lets an active OAuth token with an AI scope through, without the JWT verifier, and hands it to the handler', async () => {
      const { run, verify, verifyOAuth } = setup(verified(), activeOAuth());
      const result = await run(OAUTH_HEADERS);
      expect(result.allowed).toBe(true);
      expect(verifyOAuth).toHaveBeenCalledWith(OPAQUE);
      expect(verify).not.toHaveBeenCalled();
      expect(result.request.oauthAccessToken).toMatchObject({ kind: 'oauth2', scopes: ['code_suggestions'] });
      expect(result.request.aiAccessToken).toBeUndefined();
    });

    it('binds no header to an OAuth token (it has no claims): realm and instance id headers are not read', async () => {
      const { run } = setup(verified(), activeOAuth());
      const headers = { ...OAUTH_HEADERS, 'x-gitlab-realm': 'self-managed', 'x-gitlab-instance-id': 'another', 'x-gitlab-global-user-id': 'x' };
      expect((await run(headers)).allowed).toBe(true);
    });

    it('answers 403 with the contract detail when the scopes grant no code_suggestions', async () => {
      const { run, debug } = setup(verified(), activeOAuth([]));
      expect(await run(OAUTH_HEADERS)).toMatchObject({ status: 403, body: { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN } });
      expect(debug).toHaveBeenCalledWith({ auth: expect.objectContaining({ reason: 'missing-unit-primitive', type: 'oauth2' }) }, 'request forbidden');
    });

    it('refuses a token GitLab refused, and a JWT sent as oauth2, with 401 Forbidden by auth provider and the reason logged, never the token', async () => {
      for (const reason of ['inactive', 'jose-shaped'] as const) {
        const { run, debug, verify } = setup(verified(), { ok: false, reason, detail: 'why' });
        expect(await run(OAUTH_HEADERS)).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.FORBIDDEN } });
        expect(debug).toHaveBeenCalledWith({ auth: { reason, detail: 'why', type: 'oauth2' } }, 'token rejected');
        expect(JSON.stringify(debug.mock.calls)).not.toContain(OPAQUE);
        expect(verify).not.toHaveBeenCalled();
      }
    });

    it('refuses an opaque token sent as oidc through the JWT verifier (its first check), logging it as an opaque token', async () => {
      const { run, debug, verifyOAuth } = setup({ ok: false, reason: 'malformed', detail: 'not three base64url segments' }, activeOAuth());
      expect(await run({ ...OAUTH_HEADERS, 'x-gitlab-authentication-type': 'oidc' })).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.FORBIDDEN } });
      expect(verifyOAuth).not.toHaveBeenCalled();
      expect(debug).toHaveBeenCalledWith({ auth: expect.objectContaining({ reason: 'opaque-token-as-oidc' }) }, 'token rejected');
    });

    it('answers 503 with Retry-After, never 401 or 500, when GitLab cannot say', async () => {
      const { run, warn } = setup(verified(), { ok: false, unavailable: true, reason: 'back-channel-failed', detail: 'timeout', retryAfterSeconds: 1 });
      expect(await run(OAUTH_HEADERS)).toMatchObject({ status: 503, body: { detail: GATEWAY_TOKEN_VERIFICATION_UNAVAILABLE }, headers: { 'retry-after': '1' } });
      expect(warn).toHaveBeenCalledWith({ auth: { reason: 'back-channel-failed', detail: 'timeout', type: 'oauth2' } }, 'token not verifiable now');
    });

    it('matches the type exactly, as oidc is matched', async () => {
      const { run, verifyOAuth } = setup(verified(), activeOAuth());
      for (const type of ['OAUTH2', 'oauth2 ', 'oauth']) {
        expect(await run({ ...OAUTH_HEADERS, 'x-gitlab-authentication-type': type })).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.INVALID_TYPE } });
      }
      expect(verifyOAuth).not.toHaveBeenCalled();
    });
  });
});
