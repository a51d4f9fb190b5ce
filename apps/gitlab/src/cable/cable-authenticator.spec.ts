import { SESSION_COOKIE } from '#contracts';
import { type AuthFixture, NOW_S, authFixture } from '../test/auth-fixture.js';
import { CableAuthenticator } from './cable-authenticator.js';

describe('CableAuthenticator (ApplicationCable::Connection#connect, Channel#validate_token_scope)', () => {
  let fx: AuthFixture;
  let cable: CableAuthenticator;
  const scopes = ['api', 'read_api', 'ai_features'];
  beforeAll(async () => {
    fx = await authFixture();
    cable = new CableAuthenticator(fx.strategies.oauthAccessToken, fx.strategies.personalAccessToken, fx.strategies.session);
    fx.oauth!.issue('oauth-ai', { userId: 1, scopes: ['ai_features'], expiresAt: NOW_S + 7200, clientId: 'ide' });
  });
  afterAll(() => fx.close());

  const bearer = (token: string, cookies: Record<string, string> = {}) => ({ method: 'GET', headers: { authorization: `Bearer ${token}` }, query: {}, cookies });

  it('connects a personal access token or an OAuth access token as its user', async () => {
    expect(await cable.connect(bearer('glpat-alice-ai-features'))).toMatchObject({ via: 'personal_access_token', scopes: ['ai_features'] });
    expect(await cable.connect({ method: 'GET', headers: {}, query: { private_token: 'glpat-alice-api-000000' } })).toMatchObject({ via: 'personal_access_token', scopes: ['api'] });
    expect(await cable.connect(bearer('oauth-ai'))).toMatchObject({ via: 'oauth_access_token', clientId: 'ide' });
  });

  it('refuses unknown, expired and revoked tokens, even with a session beside them', async () => {
    const { id } = fx.sessions.create(1);
    for (const token of ['glpat-who-is-this', 'glpat-alice-expired-00', 'glpat-alice-revoked-00']) {
      expect(await cable.connect(bearer(token, { [SESSION_COOKIE]: id }))).toBe('unauthorized');
    }
  });

  it('falls back to the session cookie without a token (no CSRF token on the GET upgrade), else anonymous', async () => {
    const { id } = fx.sessions.create(1);
    expect(await cable.connect({ method: 'GET', headers: {}, cookies: { [SESSION_COOKIE]: id } })).toMatchObject({ via: 'session', user: { id: 1 } });
    expect(await cable.connect({ method: 'GET', headers: {}, cookies: { [SESSION_COOKIE]: 'made-up' } })).toBeUndefined();
    expect(await cable.connect({ method: 'GET', headers: {} })).toBeUndefined();
  });

  it('lets a token subscribe with one of the channel\'s scopes, and refuses read_user', async () => {
    expect(await cable.subscribe(bearer('glpat-alice-ai-features'), scopes)).toMatchObject({ ok: true, actor: { scopes: ['ai_features'] } });
    expect(await cable.subscribe(bearer('glpat-alice-read-api-0'), scopes)).toMatchObject({ ok: true });
    expect(await cable.subscribe(bearer('glpat-alice-read-user'), scopes)).toEqual({ ok: false });
    expect(await cable.subscribe(bearer('glpat-alice-ai-features'), ['api'])).toEqual({ ok: false });
  });

  it('re-reads the token at subscribe: one revoked since the connection opened is refused', async () => {
    fx.oauth!.issue('oauth-soon-revoked', { userId: 1, scopes: ['api'], expiresAt: NOW_S + 7200, clientId: 'ide' });
    const req = bearer('oauth-soon-revoked');
    expect(await cable.connect(req)).toMatchObject({ via: 'oauth_access_token' });
    fx.oauth!.revoke('oauth-soon-revoked');
    expect(await cable.subscribe(req, scopes)).toEqual({ ok: false });
  });

  it('lets a connection without a token subscribe (session or anonymous: GraphQL decides)', async () => {
    expect(await cable.subscribe({ method: 'GET', headers: {} }, scopes)).toEqual({ ok: true, actor: undefined });
  });
});
