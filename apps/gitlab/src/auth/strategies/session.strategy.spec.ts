import { SESSION_COOKIE } from '#contracts';
import { type AuthFixture, authFixture } from '../../test/auth-fixture.js';
import type { SessionStrategy } from './session.strategy.js';

describe('SessionStrategy', () => {
  let fx: AuthFixture;
  let strategy: SessionStrategy;
  beforeAll(async () => {
    fx = await authFixture();
    strategy = fx.strategies.session;
  });
  afterAll(() => fx.close());

  const request = (method: string, id: string, headers: Record<string, string> = {}) => ({ method, headers, cookies: { [SESSION_COOKIE]: id } });

  it('is registered with passport under its instance\'s name', () => {
    expect(strategy.name).toBe(fx.names.session);
  });

  it('authenticates GET and HEAD by the cookie alone', () => {
    const { id } = fx.sessions.create(1);
    for (const method of ['GET', 'HEAD']) {
      expect(strategy.validate(request(method, id))).toEqual({ via: 'session', user: expect.objectContaining({ id: 1 }) });
    }
  });

  it('needs the session\'s own CSRF token on any other method, otherwise passes', () => {
    const { id, session } = fx.sessions.create(1);
    expect(strategy.validate(request('POST', id, { 'x-csrf-token': session.csrfToken }))).toMatchObject({ via: 'session' });
    expect(strategy.validate(request('POST', id))).toBeNull();
    expect(strategy.validate(request('DELETE', id, { 'x-csrf-token': 'forged' }))).toBeNull();
    const other = fx.sessions.create(1).session;
    expect(strategy.validate(request('PUT', id, { 'x-csrf-token': other.csrfToken }))).toBeNull();
  });

  it('passes on no cookie, an unknown or an ended session, and a user who is gone', () => {
    const { id } = fx.sessions.create(1);
    fx.sessions.destroy(id);
    expect(strategy.validate({ method: 'GET', headers: {} })).toBeNull();
    expect(strategy.validate(request('GET', id))).toBeNull();
    expect(strategy.validate(request('GET', 'made-up'))).toBeNull();
    expect(strategy.validate(request('GET', fx.sessions.create(404).id))).toBeNull();
  });
});
