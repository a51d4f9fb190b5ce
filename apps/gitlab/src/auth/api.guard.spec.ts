import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  type DemoInstance,
  GITLAB_ERROR,
  GITLAB_INVALID_TOKEN_DESCRIPTION,
  SESSION_COOKIE,
  gitlabInvalidTokenError,
  insufficientScopeError,
} from '#contracts';
import { type AuthFixture, NOW_S, authFixture } from '../test/auth-fixture.js';
import { contractError } from '../test/rejection.js';
import type { Actor } from './actor.js';
import { ALLOWED_SCOPES_KEY, actorOf } from './allow-access-with-scope.decorator.js';
import { ApiGuard } from './api.guard.js';

interface Req {
  method: string;
  headers: Record<string, string>;
  query?: object;
  cookies?: Record<string, string>;
}

function contextFor(req: Req, endpointScopes?: string[]): ExecutionContext {
  const handler = () => undefined;
  if (endpointScopes) Reflect.defineMetadata(ALLOWED_SCOPES_KEY, endpointScopes, handler);
  return {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}) }),
    getHandler: () => handler,
    getClass: () => class {},
  } as unknown as ExecutionContext;
}

const AI = ['ai_features'];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const post = (headers: Record<string, string>, extra: Partial<Req> = {}): Req => ({ method: 'POST', headers, query: {}, ...extra });
const get = (headers: Record<string, string>, extra: Partial<Req> = {}): Req => ({ method: 'GET', headers, query: {}, ...extra });

/**
 * ApiGuard over real passport and the four real strategies: the composition, its order and
 * every answer. OAuth access tokens come from a fake store (the oauth module's port).
 */
describe('ApiGuard (API::APIGuard on @nestjs/passport)', () => {
  let fx: AuthFixture;
  let guard: ApiGuard;

  beforeAll(async () => {
    fx = await authFixture();
    guard = new ApiGuard(fx.names, new Reflector());
    const live = { userId: 1, expiresAt: NOW_S + 7200, clientId: 'web-ide' };
    fx.oauth!
      .issue('oauth-ai', { ...live, scopes: ['ai_features'] })
      .issue('oauth-api', { ...live, scopes: ['api'] })
      .issue('oauth-read-api', { ...live, scopes: ['read_api'] })
      .issue('oauth-read-user', { ...live, scopes: ['read_user', 'openid'] })
      .issue('oauth-openid', { ...live, scopes: ['openid', 'profile', 'email'] })
      .issue('oauth-expired-openid', { ...live, scopes: ['openid'], expiresAt: NOW_S - 1 })
      .issue('oauth-revoked', { ...live, scopes: ['api'] });
    fx.oauth!.revoke('oauth-revoked');
  });
  afterAll(() => fx.close());

  async function actorFor(req: Req, endpointScopes: string[] = []): Promise<Actor> {
    expect(await guard.canActivate(contextFor(req, endpointScopes))).toBe(true);
    return actorOf(req as never)!;
  }
  const refusal = (req: Req, endpointScopes: string[] = []) => contractError(() => guard.canActivate(contextFor(req, endpointScopes)));

  describe('GitLab\'s order: OAuth access token, personal access token, then session', () => {
    it('takes a known OAuth token over a PRIVATE-TOKEN in the same request (find_oauth_access_token first)', async () => {
      expect(await actorFor(post({ ...bearer('oauth-ai'), 'private-token': 'glpat-alice-revoked-00' }), AI)).toMatchObject({
        via: 'oauth_access_token',
        clientId: 'web-ide',
      });
    });

    it('asks the OAuth store first, then takes a Bearer token it does not know as a personal access token', async () => {
      fx.oauth!.asked.length = 0;
      expect(await actorFor(post(bearer('glpat-alice-ai-features')), AI)).toMatchObject({ via: 'personal_access_token', tokenName: 'ai' });
      expect(fx.oauth!.asked).toEqual(['glpat-alice-ai-features']);
    });

    it('takes a token over the session, and never falls back to the session when the token is refused', async () => {
      const { id, session } = fx.sessions.create(1);
      const browser = { cookies: { [SESSION_COOKIE]: id } };
      const csrf = { 'x-csrf-token': session.csrfToken };
      expect(await actorFor(post({ ...csrf, 'private-token': 'glpat-alice-api-000000' }, browser), AI)).toMatchObject({ via: 'personal_access_token' });
      expect(await refusal(post({ ...csrf, ...bearer('glpat-who-is-this') }, browser), AI)).toMatchObject({ status: 401, body: GITLAB_ERROR.UNAUTHORIZED });
      expect(await refusal(post({ ...csrf, ...bearer('oauth-revoked') }, browser), AI)).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
      expect(await refusal(get({ ...bearer('oauth-openid') }, browser), ['read_user'])).toMatchObject({ status: 403 });
      expect(await actorFor(post(csrf, browser), AI)).toMatchObject({ via: 'session' });
    });
  });

  it('accepts an ai_features or an api token, personal or OAuth, for the tokens endpoint, and records the actor', async () => {
    for (const token of ['glpat-alice-ai-features', 'glpat-alice-api-000000', 'oauth-ai', 'oauth-api']) {
      expect(await actorFor(post(bearer(token)), AI)).toMatchObject({ user: { username: 'alice' }, scopes: expect.any(Array) });
    }
  });

  it('answers 401 {"message":"401 Unauthorized"} for no credentials and for a token nobody knows', async () => {
    for (const req of [post({}), post(bearer('glpat-who-is-this')), post({ 'private-token': 'oauth-ai' }), post({ authorization: 'Basic Zm9vOmJhcg==' })]) {
      expect(await refusal(req, AI)).toEqual({ status: 401, body: GITLAB_ERROR.UNAUTHORIZED, headers: {} });
    }
  });

  it('answers invalid_token with its challenge for expired and revoked tokens, personal and OAuth', async () => {
    for (const [token, description] of [
      ['glpat-alice-expired-00', GITLAB_INVALID_TOKEN_DESCRIPTION.EXPIRED],
      ['glpat-alice-revoked-00', GITLAB_INVALID_TOKEN_DESCRIPTION.REVOKED],
      ['oauth-expired-openid', GITLAB_INVALID_TOKEN_DESCRIPTION.EXPIRED],
      ['oauth-revoked', GITLAB_INVALID_TOKEN_DESCRIPTION.REVOKED],
    ] as const) {
      const error = gitlabInvalidTokenError(description);
      expect(await refusal(post(bearer(token)), AI)).toEqual({ status: 401, body: error.body, headers: { 'WWW-Authenticate': error.wwwAuthenticate } });
    }
  });

  it('checks validity before scopes (an expired token without the scope is 401, not 403)', async () => {
    expect(await refusal(post(bearer('glpat-alice-exp-ro-000')), AI)).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(await refusal(post(bearer('oauth-expired-openid')), AI)).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  });

  it('answers 403 insufficient_scope naming the scopes that would do, for both kinds of token', async () => {
    for (const token of ['glpat-alice-read-user', 'oauth-read-user', 'oauth-openid']) {
      expect(await refusal(post(bearer(token)), AI)).toEqual({ status: 403, body: insufficientScopeError(['ai_features', 'api']), headers: {} });
    }
    expect(await refusal(get(bearer('oauth-openid')), ['read_user'])).toMatchObject({ body: insufficientScopeError(['read_user', 'api', 'read_api']) });
  });

  it('maps OAuth scopes onto @AllowAccessWithScope as personal access token scopes: read_user reads the user, read_api only GET and HEAD', async () => {
    expect(await actorFor(get(bearer('oauth-read-user')), ['read_user'])).toMatchObject({ via: 'oauth_access_token', scopes: ['read_user', 'openid'] });
    for (const token of ['glpat-alice-read-api-0', 'oauth-read-api']) {
      expect(await actorFor(get(bearer(token)), [])).toMatchObject({ user: { id: 1 } });
      expect(await actorFor({ ...get(bearer(token)), method: 'HEAD' }, [])).toMatchObject({ user: { id: 1 } });
      expect(await refusal(post(bearer(token)), [])).toMatchObject({ status: 403, body: insufficientScopeError(['api']) });
    }
  });

  it('lets a session through on GET by its cookie and on POST with its CSRF token only', async () => {
    const { id, session } = fx.sessions.create(1);
    const browser = { cookies: { [SESSION_COOKIE]: id } };
    expect(await actorFor(get({}, browser), ['read_user'])).toMatchObject({ via: 'session', user: { id: 1 } });
    expect(await actorFor(post({ 'x-csrf-token': session.csrfToken }, browser), AI)).toMatchObject({ via: 'session' });
    expect(await refusal(post({}, browser), AI)).toEqual({ status: 401, body: GITLAB_ERROR.UNAUTHORIZED, headers: {} });
  });

  it('without an authorization server, takes Bearer tokens as personal access tokens only', async () => {
    const bare = await authFixture(undefined, false);
    try {
      const bareGuard = new ApiGuard(bare.names, new Reflector());
      const req = post(bearer('glpat-alice-ai-features'));
      expect(await bareGuard.canActivate(contextFor(req, AI))).toBe(true);
      expect(actorOf(req as never)).toMatchObject({ via: 'personal_access_token' });
      expect(await contractError(() => bareGuard.canActivate(contextFor(post(bearer('oauth-ai')), AI)))).toMatchObject({ status: 401, body: GITLAB_ERROR.UNAUTHORIZED });
    } finally {
      bare.close();
    }
  });

  it('keeps app instances apart: each guard uses its own instance\'s strategies (passport\'s registry is per process)', async () => {
    const bob: DemoInstance = {
      instance_id: '00000000-0000-4000-8000-000000000002',
      users: [{ id: 7, username: 'bob', password: 'bob-password', personal_access_tokens: [{ name: 'api', token: 'glpat-bob-api-0000000', scopes: ['api'] }] }],
    };
    const other = await authFixture(bob);
    try {
      const otherGuard = new ApiGuard(other.names, new Reflector());
      const req = post(bearer('glpat-bob-api-0000000'));
      expect(await otherGuard.canActivate(contextFor(req, AI))).toBe(true);
      expect(actorOf(req as never)?.user.username).toBe('bob');
      expect(await refusal(post(bearer('glpat-bob-api-0000000')), AI)).toMatchObject({ status: 401 });
      expect(await contractError(() => otherGuard.canActivate(contextFor(post(bearer('glpat-alice-api-000000')), AI)))).toMatchObject({ status: 401 });
    } finally {
      other.close();
    }
  });
});
