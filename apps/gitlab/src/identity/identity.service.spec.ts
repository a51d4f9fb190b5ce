import type { DemoInstance } from '#contracts';
import type { Clock } from '../instance/di.js';
import { globalUserId } from './global-user-id.js';
import { IdentityService, tokenDigest } from './identity.service.js';

const INSTANCE_ID = '5a0b6c1e-6d2f-4c1b-9f3e-0e2a5b7c9d11';

const instance: DemoInstance = {
  instance_id: INSTANCE_ID,
  groups: [
    { path: 'duo-group', code_suggestions_enabled: true },
    { path: 'free-group', code_suggestions_enabled: false },
  ],
  users: [
    {
      id: 1,
      username: 'alice',
      name: 'Alice',
      password: 'alice-password',
      groups: ['free-group', 'duo-group'],
      personal_access_tokens: [
        { name: 'api', token: 'glpat-alice-api-000000', scopes: ['api'] },
        { name: 'revoked', token: 'glpat-alice-revoked-00', scopes: ['api'], revoked: true },
        { name: 'expiring', token: 'glpat-alice-expiring-0', scopes: ['ai_features'], expires_at: '2030-06-15' },
        { name: 'both', token: 'glpat-alice-both-00000', scopes: ['api'], revoked: true, expires_at: '2020-01-01' },
      ],
    },
    { id: 2, username: 'bob', password: 'bob-password', groups: ['free-group'] },
  ],
};

function clockAt(iso: string): Clock & { set(iso: string): void } {
  let now = Date.parse(iso);
  return { now: () => now, set: (t: string) => (now = Date.parse(t)) };
}

describe('IdentityService', () => {
  let clock: ReturnType<typeof clockAt>;
  let identity: IdentityService;

  beforeAll(async () => {
    clock = clockAt('2030-06-14T23:59:59Z');
    identity = await IdentityService.create(instance, clock);
  });

  describe('personal access tokens', () => {
    it('finds an active token with its user and scopes', () => {
      const found = identity.findPersonalAccessToken('glpat-alice-api-000000');
      expect(found).toMatchObject({ found: true, state: 'active', user: { username: 'alice' }, token: { name: 'api', scopes: ['api'] } });
    });

    it('does not know a token it was not seeded with', () => {
      expect(identity.findPersonalAccessToken('glpat-unknown-000000')).toEqual({ found: false });
      expect(identity.findPersonalAccessToken('')).toEqual({ found: false });
    });

    it('tells a revoked token', () => {
      expect(identity.findPersonalAccessToken('glpat-alice-revoked-00')).toMatchObject({ found: true, state: 'revoked' });
    });

    it('treats a token as expired on and after its expires_at date (UTC), not before', () => {
      clock.set('2030-06-14T23:59:59Z');
      expect(identity.findPersonalAccessToken('glpat-alice-expiring-0')).toMatchObject({ state: 'active' });
      clock.set('2030-06-15T00:00:00Z');
      expect(identity.findPersonalAccessToken('glpat-alice-expiring-0')).toMatchObject({ state: 'expired' });
      clock.set('2031-01-01T00:00:00Z');
      expect(identity.findPersonalAccessToken('glpat-alice-expiring-0')).toMatchObject({ state: 'expired' });
    });

    it('reports expired before revoked, as GitLab checks expiry first', () => {
      expect(identity.findPersonalAccessToken('glpat-alice-both-00000')).toMatchObject({ state: 'expired' });
    });

    it('keeps tokens by SHA-256 digest only', () => {
      expect(tokenDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      const internals = JSON.stringify([...(identity as unknown as { tokens: Map<string, unknown> }).tokens]);
      expect(internals).not.toContain('glpat-alice');
      expect(internals).toContain(tokenDigest('glpat-alice-api-000000'));
    });
  });

  describe('passwords', () => {
    it('accepts the right password, login case-insensitive', async () => {
      await expect(identity.verifyCredentials('alice', 'alice-password')).resolves.toMatchObject({ id: 1 });
      await expect(identity.verifyCredentials('ALICE', 'alice-password')).resolves.toMatchObject({ id: 1 });
    });

    it('refuses a wrong password and an unknown login alike', async () => {
      await expect(identity.verifyCredentials('alice', 'bob-password')).resolves.toBeUndefined();
      await expect(identity.verifyCredentials('alice', 'alice-password ')).resolves.toBeUndefined();
      await expect(identity.verifyCredentials('nobody', 'alice-password')).resolves.toBeUndefined();
    });

    it('never keeps the clear-text password', () => {
      const internals = JSON.stringify([...(identity as unknown as { users: Map<number, unknown> }).users.values()]);
      expect(internals).not.toContain('alice-password');
    });
  });

  describe('users', () => {
    it('derives a stable opaque global id per instance and user', () => {
      const alice = identity.findUserByUsername('alice');
      expect(alice?.globalId).toBe(globalUserId(INSTANCE_ID, 1));
      expect(alice?.globalId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(globalUserId(INSTANCE_ID, 1)).not.toBe(globalUserId(INSTANCE_ID, 2));
      expect(globalUserId('8c3d2e1f-0a9b-4c7d-8e6f-5a4b3c2d1e0f', 1)).not.toBe(globalUserId(INSTANCE_ID, 1));
    });

    it('enables code suggestions through any group that has them', () => {
      expect(identity.hasCodeSuggestions(identity.findUserByUsername('alice')!)).toBe(true);
      expect(identity.hasCodeSuggestions(identity.findUserByUsername('bob')!)).toBe(false);
    });

    it('follows a group switched at runtime, until reset', () => {
      const alice = identity.findUserByUsername('alice')!;
      expect(identity.setGroupCodeSuggestions('duo-group', false)).toEqual({ path: 'duo-group', codeSuggestionsEnabled: false });
      expect(identity.hasCodeSuggestions(alice)).toBe(false);
      expect(identity.setGroupCodeSuggestions('free-group', true)?.codeSuggestionsEnabled).toBe(true);
      expect(identity.hasCodeSuggestions(identity.findUserByUsername('bob')!)).toBe(true);
      expect(identity.setGroupCodeSuggestions('no-such-group', true)).toBeUndefined();
      identity.reset();
      expect(identity.findGroup('duo-group')).toEqual({ path: 'duo-group', codeSuggestionsEnabled: true });
      expect(identity.hasCodeSuggestions(alice)).toBe(true);
      expect(identity.hasCodeSuggestions(identity.findUserByUsername('bob')!)).toBe(false);
    });

    it('lists users in fixture order and finds them by id', () => {
      expect(identity.listUsers().map((u) => u.username)).toEqual(['alice', 'bob']);
      expect(identity.findUserById(2)?.name).toBe('bob');
      expect(identity.findUserById(3)).toBeUndefined();
    });
  });
});
