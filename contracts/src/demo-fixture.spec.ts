import { demoFixturePath, demoToken, demoUser, readDemoFixture } from './demo-fixture.js';

describe('demo data credentials', () => {
  const fixture = readDemoFixture();

  it('reads the default seed once per path', () => {
    expect(readDemoFixture(demoFixturePath())).toBe(fixture);
  });

  it('finds a user in either instance, with its instance', () => {
    expect(demoUser(fixture, 'saas-developer')).toMatchObject({ instance: 'saas', id: 1001 });
    expect(demoUser(fixture, 'sm-admin')).toMatchObject({ instance: 'self-managed', admin: true });
    expect(() => demoUser(fixture, 'nobody')).toThrow(/no user 'nobody' \(users: saas-developer, /);
  });

  it('resolves <username>/<token name> to the token the instance seeds', () => {
    const token = demoToken(fixture, 'sm-service-account/sm-relay');
    // The service account's PAT is the token the self-managed instance stores (seed 001).
    expect(fixture['self-managed']?.settings?.ai_access_token).toBe(token);
    expect(() => demoToken(fixture, 'saas-developer/nope')).toThrow(/'saas-developer' has no personal access token 'nope' \(tokens: ai-features, api, /);
    expect(() => demoToken(fixture, 'saas-developer')).toThrow(/expected <username>\/<token name>/);
  });
});
