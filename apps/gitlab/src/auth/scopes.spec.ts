import { CODE_SUGGESTIONS_TOKEN_SCOPES } from '#contracts';
import { allowedScopes, grantsAnyOf, isSafeMethod } from './scopes.js';

describe('API scopes (API::APIGuard)', () => {
  it('assembles allowed scopes in GitLab\'s order: the endpoint\'s, api, then read_api on GET and HEAD', () => {
    expect(allowedScopes('POST', ['ai_features'])).toEqual([...CODE_SUGGESTIONS_TOKEN_SCOPES]);
    expect(allowedScopes('GET', ['read_user'])).toEqual(['read_user', 'api', 'read_api']);
    expect(allowedScopes('head', [])).toEqual(['api', 'read_api']);
    expect(allowedScopes('POST', ['api'])).toEqual(['api']);
  });

  it('grants when any one scope is in common', () => {
    expect(grantsAnyOf(['openid', 'read_user'], ['read_user', 'api'])).toBe(true);
    expect(grantsAnyOf(['openid', 'profile', 'email'], ['read_user', 'api'])).toBe(false);
    expect(grantsAnyOf([], ['api'])).toBe(false);
  });

  it('treats GET and HEAD as safe, whatever the case', () => {
    expect([isSafeMethod('get'), isSafeMethod('HEAD'), isSafeMethod('POST'), isSafeMethod('OPTIONS')]).toEqual([true, true, false, false]);
  });
});
