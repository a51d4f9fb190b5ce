import { InstanceSettings, InvalidSettingError } from './instance-settings.service.js';

const TOKEN = 'glpat-unit-settings-token';

describe('InstanceSettings', () => {
  it('starts from the fixture and shows whether a token is set, never the token', () => {
    const settings = new InstanceSettings({ code_suggestions_enabled: true, ai_access_token: TOKEN });
    expect(settings.view()).toEqual({ code_suggestions_enabled: true, ai_access_token_set: true });
    expect(JSON.stringify(settings.view())).not.toContain(TOKEN);
    expect(settings.codeSuggestions).toBe(true);
    expect(settings.serviceAccessToken()).toBe(TOKEN);
  });

  it('takes GitLab\'s defaults when the fixture has no settings (off, no token)', () => {
    for (const seed of [undefined, {}, { ai_access_token: null }, { ai_access_token: '' }]) {
      const settings = new InstanceSettings(seed);
      expect(settings.view()).toEqual({ code_suggestions_enabled: false, ai_access_token_set: false });
      expect(settings.serviceAccessToken()).toBeUndefined();
    }
  });

  it('stores, replaces and clears the token (null or empty string)', () => {
    const settings = new InstanceSettings({});
    expect(settings.update({ ai_access_token: TOKEN })).toEqual({ code_suggestions_enabled: false, ai_access_token_set: true });
    expect(settings.serviceAccessToken()).toBe(TOKEN);
    settings.update({ ai_access_token: `${TOKEN}-2` });
    expect(settings.serviceAccessToken()).toBe(`${TOKEN}-2`);
    expect(settings.update({ ai_access_token: null }).ai_access_token_set).toBe(false);
    settings.update({ ai_access_token: TOKEN });
    expect(settings.update({ ai_access_token: '' }).ai_access_token_set).toBe(false);
    expect(settings.serviceAccessToken()).toBeUndefined();
  });

  it('leaves what an update does not name as it is', () => {
    const settings = new InstanceSettings({ code_suggestions_enabled: true, ai_access_token: TOKEN });
    expect(settings.update({ code_suggestions_enabled: false })).toEqual({ code_suggestions_enabled: false, ai_access_token_set: true });
    expect(settings.update({})).toEqual({ code_suggestions_enabled: false, ai_access_token_set: true });
  });

  it('refuses a token no Authorization header could carry, changing nothing, without quoting it', () => {
    const settings = new InstanceSettings({ code_suggestions_enabled: true, ai_access_token: TOKEN });
    for (const bad of ['has space', 'line\nbreak', 'x'.repeat(1025), 'tökén']) {
      expect(() => settings.update({ code_suggestions_enabled: false, ai_access_token: bad })).toThrow(InvalidSettingError);
      try {
        settings.update({ ai_access_token: bad });
      } catch (e) {
        expect((e as Error).message).not.toContain(bad);
      }
    }
    expect(settings.view()).toEqual({ code_suggestions_enabled: true, ai_access_token_set: true });
    expect(() => new InstanceSettings({ ai_access_token: 'two words' })).toThrow(/^ai_access_token must be 1 to 1024 visible ASCII/);
  });

  it('resets to the fixture\'s values', () => {
    const settings = new InstanceSettings({ code_suggestions_enabled: true, ai_access_token: TOKEN });
    settings.update({ code_suggestions_enabled: false, ai_access_token: null });
    settings.reset();
    expect(settings.view()).toEqual({ code_suggestions_enabled: true, ai_access_token_set: true });
    expect(settings.serviceAccessToken()).toBe(TOKEN);
  });
});
