import { ContractHttpException } from '#common';
import { controlSettingsBody, parseAdminSettingsParams } from './settings.params.js';

const TOKEN = 'glpat-unit-params-token';

function badRequestOf(query: unknown, body: unknown): string {
  try {
    parseAdminSettingsParams(query, body);
  } catch (e) {
    expect(e).toBeInstanceOf(ContractHttpException);
    expect((e as ContractHttpException).getStatus()).toBe(400);
    return ((e as ContractHttpException).body as { message: string }).message;
  }
  throw new Error('expected a 400');
}

describe('parseAdminSettingsParams', () => {
  it('reads JSON values', () => {
    expect(parseAdminSettingsParams({}, { code_suggestions_enabled: false, ai_access_token: TOKEN })).toEqual({
      code_suggestions_enabled: false,
      ai_access_token: TOKEN,
    });
  });

  it('coerces booleans as Grape does (forms and query strings carry strings)', () => {
    for (const [given, expected] of [['true', true], ['1', true], ['YES', true], ['false', false], ['0', false], ['off', false], [1, true], [0, false]] as const) {
      expect(parseAdminSettingsParams({}, { code_suggestions_enabled: given })).toEqual({ code_suggestions_enabled: expected });
    }
    // Only dry-types' own spellings: no trimming, no case folding beyond them (gitlab.yaml's enum).
    for (const word of ['tRuE', ' true', 'yes ', 'oN']) expect(badRequestOf({}, { code_suggestions_enabled: word })).toMatch(/code_suggestions_enabled is invalid/);
  });

  it('merges the query string under the body and ignores private_token', () => {
    expect(parseAdminSettingsParams({ code_suggestions_enabled: 'true', private_token: 'glpat-x' }, { ai_access_token: TOKEN })).toEqual({
      code_suggestions_enabled: true,
      ai_access_token: TOKEN,
    });
    expect(parseAdminSettingsParams({ code_suggestions_enabled: 'true' }, { code_suggestions_enabled: false })).toEqual({ code_suggestions_enabled: false });
  });

  it('clears the token with null or an empty string', () => {
    expect(parseAdminSettingsParams({}, { ai_access_token: null })).toEqual({ ai_access_token: null });
    expect(parseAdminSettingsParams({}, { ai_access_token: '' })).toEqual({ ai_access_token: null });
  });

  it('answers 400 naming what is wrong, never quoting a token', () => {
    expect(badRequestOf({}, { code_suggestions_enabled: 'maybe' })).toBe('400 Bad request - code_suggestions_enabled is invalid (expected true or false)');
    expect(badRequestOf({}, { code_suggestions_enabled: null })).toMatch(/code_suggestions_enabled is invalid/);
    expect(badRequestOf({}, { ai_access_token: 42 })).toMatch(/^400 Bad request - ai_access_token must be 1 to 1024 visible ASCII/);
    const spaced = `${TOKEN} with spaces`;
    const message = badRequestOf({}, { ai_access_token: spaced });
    expect(message).not.toContain(TOKEN);
    expect(badRequestOf({}, {})).toBe('400 Bad request - code_suggestions_enabled, ai_access_token are missing, at least one parameter must be provided');
    expect(badRequestOf({}, undefined)).toMatch(/at least one parameter must be provided/);
    expect(badRequestOf({}, { signup_enabled: false })).toBe(
      '400 Bad request - signup_enabled is not a setting of this emulator (known: code_suggestions_enabled, ai_access_token)',
    );
    expect(badRequestOf({}, [1])).toBe('400 Bad request - the body must be a JSON object or a form');
    expect(badRequestOf({}, 'text')).toBe('400 Bad request - the body must be a JSON object or a form');
  });
});

describe('controlSettingsBody', () => {
  it('accepts booleans, strings and null, and nothing else', () => {
    expect(controlSettingsBody.parse({ code_suggestions_enabled: true, ai_access_token: null })).toEqual({ code_suggestions_enabled: true, ai_access_token: null });
    expect(controlSettingsBody.parse({ ai_access_token: '' })).toEqual({ ai_access_token: '' });
    expect(controlSettingsBody.safeParse({ code_suggestions_enabled: 'true' }).success).toBe(false);
    expect(controlSettingsBody.safeParse({ ai_access_token: 'two words' }).success).toBe(false);
    expect(controlSettingsBody.safeParse({ other: 1 }).success).toBe(false);
  });
});
