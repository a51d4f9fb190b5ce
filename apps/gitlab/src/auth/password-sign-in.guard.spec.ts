import type { ExecutionContext } from '@nestjs/common';
import { type AuthFixture, authFixture } from '../test/auth-fixture.js';
import { contractError } from '../test/rejection.js';
import { INVALID_LOGIN_MESSAGE, PasswordSignInGuard, SignInRefused } from './password-sign-in.guard.js';

function contextFor(req: object): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}) }) } as unknown as ExecutionContext;
}

/** The sign-in form through PasswordSignInGuard, real passport and passport-local (PasswordStrategy). */
describe('PasswordSignInGuard', () => {
  let fx: AuthFixture;
  let guard: PasswordSignInGuard;
  beforeAll(async () => {
    fx = await authFixture();
    guard = new PasswordSignInGuard(fx.names);
  });
  afterAll(() => fx.close());

  it('signs in with the form (flat user[login] names) and with JSON (nested), handing the user on', async () => {
    for (const body of [{ 'user[login]': 'alice', 'user[password]': 'alice-password' }, { user: { login: 'ALICE', password: 'alice-password' } }]) {
      const req = { method: 'POST', headers: {}, body };
      expect(await guard.canActivate(contextFor(req))).toBe(true);
      expect(guard.getRequest(contextFor(req))).toEqual({ body: { user: { login: body.user?.login ?? 'alice', password: 'alice-password' } } });
    }
  });

  it('refuses a wrong password, an unknown login, missing or non-string credentials with 401 "Invalid login or password."', async () => {
    for (const body of [
      { user: { login: 'alice', password: 'wrong-password' } },
      { user: { login: 'nobody', password: 'alice-password' } },
      { user: { login: 'alice' } },
      { user: { login: 'alice', password: 1 } },
      { user: 'alice' },
      undefined,
    ]) {
      const refused = await contractError(() => guard.canActivate(contextFor({ method: 'POST', headers: {}, body })));
      expect(refused).toEqual({ status: 401, body: { message: INVALID_LOGIN_MESSAGE }, headers: {} });
    }
    await expect(guard.canActivate(contextFor({ method: 'POST', headers: {}, body: {} }))).rejects.toBeInstanceOf(SignInRefused);
  });

  it('does not read a password from the query string', async () => {
    const req = { method: 'POST', headers: {}, body: {}, query: { 'user[login]': 'alice', 'user[password]': 'alice-password', user: { login: 'alice', password: 'alice-password' } } };
    await expect(guard.canActivate(contextFor(req))).rejects.toBeInstanceOf(SignInRefused);
  });

  it('leaves only strings to the password check', async () => {
    expect(await fx.strategies.password.validate(1, 'alice-password')).toBeNull();
    expect(await fx.strategies.password.validate('alice', 'alice-password')).toMatchObject({ username: 'alice' });
  });
});
