import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  CODE_SUGGESTIONS_TOKEN_SCOPES,
  type DemoInstance,
  GITLAB_ERROR,
  GITLAB_INVALID_TOKEN_DESCRIPTION,
  SESSION_COOKIE,
  gitlabInvalidTokenError,
  insufficientScopeError,
} from '#contracts';
import { ContractHttpException } from '#common';
import { IdentityService } from '../identity/identity.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { ALLOWED_SCOPES_KEY, actorOf } from './allow-access-with-scope.decorator.js';
import { type AuthRequest, ApiAuthService, allowedScopes, presentedToken } from './api-auth.service.js';
import { ApiGuard } from './api.guard.js';

const instance: DemoInstance = {
  instance_id: '5a0b6c1e-6d2f-4c1b-9f3e-0e2a5b7c9d11',
  users: [
    {
      id: 1,
      username: 'alice',
      password: 'alice-password',
      personal_access_tokens: [
        { name: 'ai', token: 'glpat-alice-ai-features', scopes: ['ai_features'] },
        { name: 'api', token: 'glpat-alice-api-000000', scopes: ['api'] },
        { name: 'read-api', token: 'glpat-alice-read-api-0', scopes: ['read_api'] },
        { name: 'read-user', token: 'glpat-alice-read-user', scopes: ['read_user'] },
        { name: 'revoked', token: 'glpat-alice-revoked-00', scopes: ['api'], revoked: true },
        { name: 'expired', token: 'glpat-alice-expired-00', scopes: ['api'], expires_at: '2024-01-31' },
        { name: 'expired-ro', token: 'glpat-alice-exp-ro-000', scopes: ['read_user'], expires_at: '2024-01-31' },
      ],
    },
  ],
};

const clock = { now: () => Date.parse('2030-01-01T00:00:00Z') };
const AI = ['ai_features'];

describe('API authentication (API::APIGuard semantics)', () => {
  let auth: ApiAuthService;
  let sessions: SessionsService;

  beforeAll(async () => {
    sessions = new SessionsService(clock);
    auth = new ApiAuthService(await IdentityService.create(instance, clock), sessions);
  });

  const post = (headers: AuthRequest['headers'], extra: Partial<AuthRequest> = {}): AuthRequest => ({ method: 'POST', headers, ...extra });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('assembles allowed scopes in GitLab\'s order', () => {
    expect(allowedScopes('POST', AI)).toEqual([...CODE_SUGGESTIONS_TOKEN_SCOPES]);
    expect(allowedScopes('GET', ['read_user'])).toEqual(['read_user', 'api', 'read_api']);
    expect(allowedScopes('head', [])).toEqual(['api', 'read_api']);
    expect(allowedScopes('POST', ['api'])).toEqual(['api']);
  });

  it('finds the token in PRIVATE-TOKEN, private_token or Authorization: Bearer', () => {
    expect(presentedToken(post({ 'private-token': 'a' }))).toBe('a');
    expect(presentedToken(post({}, { query: { private_token: 'b' } }))).toBe('b');
    expect(presentedToken(post({ authorization: 'bearer c' }))).toBe('c');
    expect(presentedToken(post({ authorization: 'Basic Zm9vOmJhcg==' }))).toBeUndefined();
    expect(presentedToken(post({ authorization: 'Bearer ' }))).toBeUndefined();
    expect(presentedToken(post({}))).toBeUndefined();
  });

  it('accepts an ai_features or an api token for the tokens endpoint', () => {
    for (const token of ['glpat-alice-ai-features', 'glpat-alice-api-000000']) {
      const d = auth.authenticate(post(bearer(token)), AI);
      expect(d).toMatchObject({ ok: true, actor: { via: 'personal_access_token', user: { username: 'alice' } } });
    }
  });

  it('answers 401 message for no credentials and for an unknown token', () => {
    expect(auth.authenticate(post({}), AI)).toEqual({ ok: false, status: 401, body: GITLAB_ERROR.UNAUTHORIZED });
    expect(auth.authenticate(post(bearer('glpat-who-is-this')), AI)).toEqual({ ok: false, status: 401, body: GITLAB_ERROR.UNAUTHORIZED });
  });

  it('answers invalid_token with a challenge for revoked and expired tokens', () => {
    const revoked = gitlabInvalidTokenError(GITLAB_INVALID_TOKEN_DESCRIPTION.REVOKED);
    expect(auth.authenticate(post({ 'private-token': 'glpat-alice-revoked-00' }), AI)).toEqual({
      ok: false,
      status: 401,
      body: revoked.body,
      headers: { 'WWW-Authenticate': revoked.wwwAuthenticate },
    });
    const expired = gitlabInvalidTokenError(GITLAB_INVALID_TOKEN_DESCRIPTION.EXPIRED);
    expect(auth.authenticate(post(bearer('glpat-alice-expired-00')), AI)).toMatchObject({ status: 401, body: expired.body });
  });

  it('checks token validity before scopes (an expired read_user token is 401, not 403)', () => {
    expect(auth.authenticate(post(bearer('glpat-alice-exp-ro-000')), AI)).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  });

  it('answers 403 insufficient_scope naming the allowed scopes', () => {
    expect(auth.authenticate(post(bearer('glpat-alice-read-user')), AI)).toEqual({
      ok: false,
      status: 403,
      body: insufficientScopeError(['ai_features', 'api']),
    });
  });

  it('lets read_api through on GET and HEAD only', () => {
    expect(auth.authenticate({ method: 'GET', headers: bearer('glpat-alice-read-api-0') }, [])).toMatchObject({ ok: true });
    expect(auth.authenticate(post(bearer('glpat-alice-read-api-0')), [])).toMatchObject({ ok: false, status: 403 });
  });

  it('does not fall back to the session when a bad token is presented', () => {
    const { id, session } = sessions.create(1);
    const d = auth.authenticate(
      post({ ...bearer('glpat-who-is-this'), 'x-csrf-token': session.csrfToken }, { cookies: { [SESSION_COOKIE]: id } }),
      AI,
    );
    expect(d).toMatchObject({ ok: false, status: 401 });
  });

  describe('browser session', () => {
    it('authenticates GET by cookie alone', () => {
      const { id } = sessions.create(1);
      expect(auth.authenticate({ method: 'GET', headers: {}, cookies: { [SESSION_COOKIE]: id } }, [])).toMatchObject({
        ok: true,
        actor: { via: 'session', user: { id: 1 } },
      });
    });

    it('needs the session\'s CSRF token on POST, otherwise ignores the session', () => {
      const { id, session } = sessions.create(1);
      const cookies = { [SESSION_COOKIE]: id };
      expect(auth.authenticate(post({ 'x-csrf-token': session.csrfToken }, { cookies }), AI)).toMatchObject({ ok: true });
      expect(auth.authenticate(post({}, { cookies }), AI)).toEqual({ ok: false, status: 401, body: GITLAB_ERROR.UNAUTHORIZED });
      expect(auth.authenticate(post({ 'x-csrf-token': 'forged' }, { cookies }), AI)).toMatchObject({ ok: false, status: 401 });
      const other = sessions.create(1).session;
      expect(auth.authenticate(post({ 'x-csrf-token': other.csrfToken }, { cookies }), AI)).toMatchObject({ ok: false, status: 401 });
    });

    it('refuses an unknown or destroyed session', () => {
      const { id } = sessions.create(1);
      sessions.destroy(id);
      expect(auth.authenticate({ method: 'GET', headers: {}, cookies: { [SESSION_COOKIE]: id } }, [])).toMatchObject({ ok: false, status: 401 });
      expect(auth.authenticate({ method: 'GET', headers: {}, cookies: { [SESSION_COOKIE]: 'made-up' } }, [])).toMatchObject({ ok: false });
    });
  });

  describe('ApiGuard', () => {
    function contextFor(req: object, scopes: string[] | undefined): ExecutionContext {
      const handler = () => undefined;
      if (scopes) Reflect.defineMetadata(ALLOWED_SCOPES_KEY, scopes, handler);
      return {
        switchToHttp: () => ({ getRequest: () => req }),
        getHandler: () => handler,
        getClass: () => class {},
      } as unknown as ExecutionContext;
    }

    it('reads the endpoint scopes from @AllowAccessWithScope and records the actor', () => {
      const guard = new ApiGuard(auth, new Reflector());
      const req = { method: 'POST', headers: bearer('glpat-alice-ai-features'), query: {} };
      expect(guard.canActivate(contextFor(req, ['ai_features']))).toBe(true);
      expect(actorOf(req as never)?.user.username).toBe('alice');
      expect(() => guard.canActivate(contextFor({ ...req }, undefined))).toThrow(ContractHttpException);
    });

    it('throws the exact contract error with its headers', () => {
      const guard = new ApiGuard(auth, new Reflector());
      try {
        guard.canActivate(contextFor({ method: 'POST', headers: bearer('glpat-alice-revoked-00'), query: {} }, AI));
        throw new Error('expected a ContractHttpException');
      } catch (e) {
        expect(e).toBeInstanceOf(ContractHttpException);
        const ex = e as ContractHttpException;
        expect(ex.getStatus()).toBe(401);
        expect(ex.body).toEqual({ error: 'invalid_token', error_description: GITLAB_INVALID_TOKEN_DESCRIPTION.REVOKED });
        expect(ex.headers['WWW-Authenticate']).toMatch(/^Bearer realm="Protected by OAuth 2.0", error="invalid_token"/);
      }
    });
  });
});
