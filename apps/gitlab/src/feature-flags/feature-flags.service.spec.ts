import { FEATURE_FLAG, type DemoInstance } from '#contracts';
import { FeatureFlagsService } from './feature-flags.service.js';

const instance: DemoInstance = {
  instance_id: '5a0b6c1e-6d2f-4c1b-9f3e-0e2a5b7c9d11',
  feature_flags: { some_instance_flag: true },
  users: [
    { id: 1, username: 'alice', password: 'alice-password', feature_flags: [FEATURE_FLAG.INSTANCE_ADMIN_ENABLED] },
    { id: 2, username: 'bob', password: 'bob-password' },
  ],
};
const alice = { username: 'alice' };
const bob = { username: 'bob' };

describe('FeatureFlagsService', () => {
  it('applies documented defaults to flags the fixture leaves out', () => {
    const flags = new FeatureFlagsService({ ...instance, feature_flags: {} });
    expect(flags.isEnabled(FEATURE_FLAG.CODE_SUGGESTIONS_TOKENS_API)).toBe(true);
    expect(flags.isEnabled('never_heard_of_it')).toBe(false);
  });

  it('reads instance flags and per-actor flags from the fixture', () => {
    const flags = new FeatureFlagsService(instance);
    expect(flags.isEnabled('some_instance_flag', bob)).toBe(true);
    expect(flags.isEnabled(FEATURE_FLAG.INSTANCE_ADMIN_ENABLED, alice)).toBe(true);
    expect(flags.isEnabled(FEATURE_FLAG.INSTANCE_ADMIN_ENABLED, bob)).toBe(false);
    expect(flags.isEnabled(FEATURE_FLAG.INSTANCE_ADMIN_ENABLED)).toBe(false);
  });

  it('turns a flag off for everyone, clearing actor gates', () => {
    const flags = new FeatureFlagsService(instance);
    expect(flags.set(FEATURE_FLAG.INSTANCE_ADMIN_ENABLED, { enabled: false })).toEqual({
      name: FEATURE_FLAG.INSTANCE_ADMIN_ENABLED,
      enabled: false,
      actors: [],
    });
    expect(flags.isEnabled(FEATURE_FLAG.INSTANCE_ADMIN_ENABLED, alice)).toBe(false);
  });

  it('enables a flag for listed actors only', () => {
    const flags = new FeatureFlagsService(instance);
    expect(flags.set(FEATURE_FLAG.CODE_SUGGESTIONS_TOKENS_API, { enabled: true, actors: ['Bob'] })).toEqual({
      name: FEATURE_FLAG.CODE_SUGGESTIONS_TOKENS_API,
      enabled: false,
      actors: ['bob'],
    });
    expect(flags.isEnabled(FEATURE_FLAG.CODE_SUGGESTIONS_TOKENS_API, bob)).toBe(true);
    expect(flags.isEnabled(FEATURE_FLAG.CODE_SUGGESTIONS_TOKENS_API, alice)).toBe(false);
  });

  it('restores the fixture state on reset', () => {
    const flags = new FeatureFlagsService(instance);
    flags.set('some_instance_flag', { enabled: false });
    flags.set(FEATURE_FLAG.INSTANCE_ADMIN_ENABLED, { enabled: true });
    flags.reset();
    expect(flags.isEnabled('some_instance_flag')).toBe(true);
    expect(flags.get(FEATURE_FLAG.INSTANCE_ADMIN_ENABLED)).toEqual({ name: FEATURE_FLAG.INSTANCE_ADMIN_ENABLED, enabled: false, actors: ['alice'] });
  });
});
