import { bearerToken, csrfHeader, presentedToken, sessionCookie, signInCredentials } from './credentials.js';

describe('credential readers', () => {
  const req = (headers: Record<string, string>, query?: unknown) => ({ method: 'POST', headers, query });

  it('finds a personal access token in PRIVATE-TOKEN, private_token or Authorization: Bearer, in that order', () => {
    expect(presentedToken(req({ 'private-token': 'a', authorization: 'Bearer c' }, { private_token: 'b' }))).toBe('a');
    expect(presentedToken(req({ authorization: 'Bearer c' }, { private_token: 'b' }))).toBe('b');
    expect(presentedToken(req({ authorization: 'bearer c' }))).toBe('c');
    expect(presentedToken(req({ 'private-token': '' }, { private_token: ['x'] }))).toBeUndefined();
    expect(presentedToken(req({}))).toBeUndefined();
  });

  it('reads Authorization: Bearer only, with a non-empty token', () => {
    expect(bearerToken(req({ authorization: 'BEARER tok ' }))).toBe('tok');
    expect(bearerToken(req({ authorization: 'Basic Zm9vOmJhcg==' }))).toBeUndefined();
    expect(bearerToken(req({ authorization: 'Bearer ' }))).toBeUndefined();
    expect(bearerToken(req({ authorization: 'Bearer a b' }))).toBeUndefined();
    expect(bearerToken(req({ 'private-token': 'a' }))).toBeUndefined();
  });

  it('reads the session cookie and the CSRF header', () => {
    expect(sessionCookie({ cookies: { _gitlab_session: 'abc' } })).toBe('abc');
    expect(sessionCookie({ cookies: { _gitlab_session: '' } })).toBeUndefined();
    expect(sessionCookie({})).toBeUndefined();
    expect(csrfHeader(req({ 'x-csrf-token': 't' }))).toBe('t');
  });

  it('reads sign-in credentials from form and JSON bodies, strings only', () => {
    expect(signInCredentials({ 'user[login]': 'a', 'user[password]': 'p' })).toEqual({ login: 'a', password: 'p' });
    expect(signInCredentials({ user: { login: 'a', password: 'p' } })).toEqual({ login: 'a', password: 'p' });
    expect(signInCredentials({ user: { login: 'a' } })).toBeUndefined();
    expect(signInCredentials({ user: { login: 'a', password: 1 } })).toBeUndefined();
    expect(signInCredentials({ user: 'a' })).toBeUndefined();
    expect(signInCredentials(undefined)).toBeUndefined();
  });
});
