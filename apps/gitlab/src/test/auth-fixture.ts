import type { DemoInstance } from '#contracts';
import { OAuthAccessTokenStrategy } from '../auth/strategies/oauth-access-token.strategy.js';
import { PasswordStrategy } from '../auth/strategies/password.strategy.js';
import { PersonalAccessTokenStrategy } from '../auth/strategies/personal-access-token.strategy.js';
import { SessionStrategy } from '../auth/strategies/session.strategy.js';
import { StrategyNames } from '../auth/strategy-names.js';
import { IdentityService } from '../identity/identity.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { FakeOAuthAccessTokens } from './fake-oauth-access-tokens.js';

/** The fixed "now" of the auth unit tests: 2030-01-01T00:00:00Z, in milliseconds and seconds. */
export const NOW_MS = Date.parse('2030-01-01T00:00:00Z');
export const NOW_S = NOW_MS / 1000;

/** One user with a token of each interesting kind (names are the tests' own). */
export const ALICE: DemoInstance = {
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

export interface AuthFixture {
  identity: IdentityService;
  sessions: SessionsService;
  /** The OAuth store, or undefined for an app without the oauth module. */
  oauth: FakeOAuthAccessTokens | undefined;
  names: StrategyNames;
  strategies: {
    oauthAccessToken: OAuthAccessTokenStrategy;
    personalAccessToken: PersonalAccessTokenStrategy;
    session: SessionStrategy;
    password: PasswordStrategy;
  };
  /** Unregisters the strategies from passport, as the app does when it closes. */
  close(): void;
}

/**
 * The four strategies of one app instance over `instance`, built as Nest builds them (each
 * registers itself with passport under this instance's names), with a fake OAuth store unless
 * `withOAuth` is false.
 */
export async function authFixture(instance: DemoInstance = ALICE, withOAuth = true): Promise<AuthFixture> {
  const clock = { now: () => NOW_MS };
  const identity = await IdentityService.create(instance, clock);
  const sessions = new SessionsService(clock);
  const oauth = withOAuth ? new FakeOAuthAccessTokens() : undefined;
  const names = new StrategyNames();
  const strategies = {
    oauthAccessToken: new OAuthAccessTokenStrategy(names, identity, clock, oauth),
    personalAccessToken: new PersonalAccessTokenStrategy(names, identity),
    session: new SessionStrategy(names, identity, sessions),
    password: new PasswordStrategy(names, identity),
  };
  return { identity, sessions, oauth, names, strategies, close: () => Object.values(strategies).forEach((s) => s.onModuleDestroy()) };
}
