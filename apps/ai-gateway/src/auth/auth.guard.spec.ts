import { jest } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  GATEWAY_AUTH_ERROR,
  GATEWAY_CODE_COMPLETIONS_FORBIDDEN,
  headerMismatchError,
  HEADER,
} from '../../../../contracts/src/index.js';
import { ContractHttpException, type Logger } from '../../../common/src/index.js';
import { PublicRoute, RequiresUnitPrimitive } from './auth.decorators.js';
import { AuthGuard, type AuthenticatedRequest } from './auth.guard.js';
import type { TokenVerifier, Verification } from './token-verifier.js';

class Routes {
  @RequiresUnitPrimitive('code_suggestions')
  completions(): void {}

  anyAuthenticated(): void {}

  @PublicRoute()
  health(): void {}
}

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
const CLAIMS = { sub: 'gid://gitlab/User/1', gitlab_realm: 'saas', gitlab_instance_id: 'inst-1', scopes: ['code_suggestions'] };
const GOOD_HEADERS = {
  authorization: `Bearer ${TOKEN}`,
  'x-gitlab-authentication-type': 'oidc',
  'x-gitlab-realm': 'saas',
  'x-gitlab-instance-id': 'inst-1',
  'x-gitlab-global-user-id': 'gid://gitlab/User/1',
};

function verified(claims: Record<string, unknown> = CLAIMS, scopes: string[] = ['code_suggestions']): Verification {
  return { ok: true, claims, scopes, issuer: 'https://gitlab.example', kid: 'k1', legacyAudience: false };
}

function setup(result: Verification = verified()) {
  const verify = jest.fn(async (_token: string) => result);
  const info = jest.fn();
  const guard = new AuthGuard(new Reflector(), { verify } as unknown as TokenVerifier, { info } as unknown as Logger);
  const run = async (headers: Record<string, string | undefined>, route: keyof Routes = 'completions') => {
    const request = { headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) } as unknown as AuthenticatedRequest;
    const context = {
      getHandler: () => Routes.prototype[route],
      getClass: () => Routes,
      switchToHttp: () => ({ getRequest: () => request }),
    } as unknown as ExecutionContext;
    try {
      return { allowed: await guard.canActivate(context), request };
    } catch (e) {
      if (!(e instanceof ContractHttpException)) throw e;
      return { status: e.getStatus(), body: e.body, request };
    }
  };
  return { verify, info, run };
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
    ['Bearer  twospaces'],
    ['Bearer two tokens'],
    ['Bearer to!ken'],
    ['Bearer abc=def'],
    [`Bearer ${TOKEN} `],
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

  it('accepts the full b64token alphabet (RFC 6750 §2.1)', async () => {
    const { run, verify } = setup();
    expect((await run({ ...GOOD_HEADERS, authorization: 'Bearer aZ09-._~+/==' })).allowed).toBe(true);
    expect(verify).toHaveBeenCalledWith('aZ09-._~+/==');
  });

  it.each([[undefined], ['OIDC'], ['jwt'], ['oidc ']])('answers X-Gitlab-Authentication-Type %j with the OIDC-only error', async (type) => {
    const { run, verify } = setup();
    const result = await run({ ...GOOD_HEADERS, 'x-gitlab-authentication-type': type });
    expect(result).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.INVALID_TYPE } });
    expect(verify).not.toHaveBeenCalled();
  });

  it('answers a refused token with Forbidden by auth provider and logs the reason, never the token', async () => {
    const { run, info } = setup({ ok: false, reason: 'expired', detail: 'exp is in the past', kid: 'k1', iss: 'https://gitlab.example' });
    expect(await run(GOOD_HEADERS)).toMatchObject({ status: 401, body: { error: GATEWAY_AUTH_ERROR.FORBIDDEN } });
    expect(info).toHaveBeenCalledWith(
      { auth: { reason: 'expired', detail: 'exp is in the past', kid: 'k1', iss: 'https://gitlab.example' } },
      'token rejected',
    );
    expect(JSON.stringify(info.mock.calls)).not.toContain(TOKEN);
  });

  it.each([
    ['x-gitlab-realm', HEADER.REALM],
    ['x-gitlab-instance-id', HEADER.INSTANCE_ID],
    ['x-gitlab-global-user-id', HEADER.GLOBAL_USER_ID],
  ])('binds the claim behind %s: missing or different -> Header mismatch', async (name, header) => {
    const { run } = setup();
    expect(await run({ ...GOOD_HEADERS, [name]: undefined })).toMatchObject({ status: 401, body: { error: headerMismatchError(header) } });
    expect(await run({ ...GOOD_HEADERS, [name]: 'something-else' })).toMatchObject({ status: 401, body: { error: headerMismatchError(header) } });
  });

  it('checks the bound headers in order realm, instance id, user id', async () => {
    const { run } = setup();
    const result = await run({ authorization: GOOD_HEADERS.authorization, 'x-gitlab-authentication-type': 'oidc' });
    expect(result.body).toEqual({ error: headerMismatchError(HEADER.REALM) });
    const second = await run({ ...GOOD_HEADERS, 'x-gitlab-instance-id': undefined, 'x-gitlab-global-user-id': undefined });
    expect(second.body).toEqual({ error: headerMismatchError(HEADER.INSTANCE_ID) });
  });

  it('does not require a header whose claim the token lacks', async () => {
    const { run } = setup(verified({ scopes: ['code_suggestions'] }));
    expect((await run({ authorization: GOOD_HEADERS.authorization, 'x-gitlab-authentication-type': 'oidc' })).allowed).toBe(true);
  });

  it('binds headers before it checks the unit primitive', async () => {
    const { run } = setup(verified(CLAIMS, []));
    expect(await run({ ...GOOD_HEADERS, 'x-gitlab-realm': 'self-managed' })).toMatchObject({ status: 401 });
  });

  it("answers a token without the route's unit primitive with 403 detail", async () => {
    const { run } = setup(verified(CLAIMS, ['duo_chat']));
    expect(await run(GOOD_HEADERS)).toEqual(expect.objectContaining({ status: 403, body: { detail: GATEWAY_CODE_COMPLETIONS_FORBIDDEN } }));
  });

  it('requires no unit primitive on routes that declare none', async () => {
    const { run } = setup(verified(CLAIMS, []));
    expect((await run(GOOD_HEADERS, 'anyAuthenticated')).allowed).toBe(true);
  });
});
