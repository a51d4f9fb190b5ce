import { OAuthStore, RETENTION_MS, StoreFullError } from './oauth-store.js';

const at = (t: { now: number }) => () => t.now;

describe('OAuthStore', () => {
  it('keeps far more than 1000 live tokens (no LRU eviction as in oidc-provider memory adapter)', () => {
    const store = new OAuthStore(10_000);
    for (let i = 0; i < 5000; i++) store.upsert('AccessToken', `t${i}`, { grantId: 'g', accountId: '1' }, 7200);
    expect(store.find('AccessToken', 't0')).toBeDefined();
    expect(store.size).toBe(5000);
  });

  it('refuses a write when full of live entries (503 temporarily_unavailable), never evicting one', () => {
    const store = new OAuthStore(3);
    for (const id of ['a', 'b', 'c']) store.upsert('AccessToken', id, {}, 7200);
    expect(() => store.upsert('AccessToken', 'd', {}, 7200)).toThrow(StoreFullError);
    try {
      store.upsert('AccessToken', 'd', {}, 7200);
    } catch (e) {
      expect(e).toMatchObject({ status: 503, error: 'temporarily_unavailable' });
    }
    expect(['a', 'b', 'c'].map((id) => store.find('AccessToken', id) !== undefined)).toEqual([true, true, true]);
  });

  it('makes room by sweeping what expired', () => {
    const clock = { now: 1_000_000 };
    const store = new OAuthStore(2, at(clock));
    store.upsert('AuthorizationCode', 'old', {}, 1);
    store.upsert('AuthorizationCode', 'live', {}, 600);
    clock.now += 2000;
    store.upsert('AuthorizationCode', 'new', {}, 600);
    expect(store.find('AuthorizationCode', 'old')).toBeUndefined();
    expect(store.find('AuthorizationCode', 'live')).toBeDefined();
  });

  it('keeps a revoked access token as a tombstone, and an expired one for RETENTION_MS', () => {
    const clock = { now: 1_000_000 };
    const store = new OAuthStore(100, at(clock));
    store.upsert('AccessToken', 'revoked', { grantId: 'g1' }, 7200);
    store.upsert('AccessToken', 'expiring', { grantId: 'g2' }, 10);
    store.revokeGrant('g1');
    expect(store.find('AccessToken', 'revoked')).toBeUndefined();
    expect(store.accessToken('revoked')).toMatchObject({ revoked: true });
    clock.now += 20_000;
    expect(store.accessToken('expiring')).toMatchObject({ revoked: false });
    clock.now += RETENTION_MS;
    expect(store.accessToken('expiring')).toBeUndefined();
  });

  it('revokes every member of a grant, and only those', () => {
    const store = new OAuthStore(100);
    store.upsert('AccessToken', 'at1', { grantId: 'g1' }, 7200);
    store.upsert('RefreshToken', 'rt1', { grantId: 'g1' }, 7200);
    store.upsert('AccessToken', 'at2', { grantId: 'g2' }, 7200);
    store.adapterFor('RefreshToken').revokeByGrantId('g1');
    expect(store.find('RefreshToken', 'rt1')).toBeUndefined();
    expect(store.accessToken('at1')?.revoked).toBe(true);
    expect(store.find('AccessToken', 'at2')).toBeDefined();
  });

  it('revokes the older access tokens of a chain when a newer one is used', () => {
    const store = new OAuthStore(100);
    for (const id of ['first', 'second', 'third']) store.upsert('AccessToken', id, { grantId: 'g' }, 7200);
    expect(store.revokeAccessTokensBefore('g', 'second')).toBe(1);
    expect([store.accessToken('first')?.revoked, store.accessToken('second')?.revoked, store.accessToken('third')?.revoked]).toEqual([true, false, false]);
    expect(store.revokeAccessTokensBefore('g', 'unknown')).toBe(0);
  });

  it('marks a code consumed (single use) and finds sessions by uid', async () => {
    const store = new OAuthStore(100);
    const codes = store.adapterFor('AuthorizationCode');
    await codes.upsert('c', { grantId: 'g' }, 600);
    await codes.consume('c');
    expect((await codes.find('c'))?.consumed).toEqual(expect.any(Number));
    await store.adapterFor('Session').upsert('s', { uid: 'u1' }, 60);
    expect(await store.adapterFor('Session').findByUid('u1')).toMatchObject({ uid: 'u1' });
  });

  it('forgets everything on clear (the control API reset)', () => {
    const store = new OAuthStore(100);
    store.upsert('Client', 'c', { client_id: 'c' });
    store.clear();
    expect([store.size, store.list('Client')]).toEqual([0, []]);
  });
});
