import { type ExecutionContext, Inject, Injectable, createParamDecorator } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ContractHttpException } from '#common';
import type { GitlabUser } from '../identity/identity.service.js';
import { signInCredentials } from './credentials.js';
import { StrategyNames } from './strategy-names.js';

/** Devise's flash for a failed sign-in, whatever was wrong (no hint whether the login exists). */
export const INVALID_LOGIN_MESSAGE = 'Invalid login or password.';

/**
 * A sign-in that signed nobody in: 401 `{"message":"Invalid login or password."}`. The sign-in
 * route's filter answers a form post with the sign-in page instead, as Devise's failure app does.
 */
export class SignInRefused extends ContractHttpException {
  constructor() {
    super({ message: INVALID_LOGIN_MESSAGE }, 401);
  }
}

const signedIn = new WeakMap<object, GitlabUser>();

/**
 * Password sign-in (the sign-in form, or its JSON twin) on @nestjs/passport: runs
 * PasswordStrategy (passport-local), throws SignInRefused when the credentials sign nobody in,
 * and otherwise hands the user to the route as `@SignedInUser()`.
 */
@Injectable()
export class PasswordSignInGuard extends AuthGuard() {
  constructor(@Inject(StrategyNames) names: StrategyNames) {
    super({ defaultStrategy: names.password });
  }

  /**
   * What passport-local reads: the credentials alone, nested as Rack nests `user[login]`
   * (passport-local looks `user[login]` up as `body.user.login`; Fastify's form parser keeps the
   * name flat). Only the body is offered: a password in the query string is not read.
   */
  override getRequest(context: ExecutionContext): { body: object } {
    const credentials = signInCredentials(context.switchToHttp().getRequest<FastifyRequest>().body);
    return { body: credentials ? { user: credentials } : {} };
  }

  override handleRequest<TUser = GitlabUser>(err: unknown, user: GitlabUser | false | null | undefined, _info: unknown, context: ExecutionContext): TUser {
    if (err) throw err;
    if (!user) throw new SignInRefused();
    signedIn.set(context.switchToHttp().getRequest<FastifyRequest>(), user);
    return user as TUser;
  }
}

/** The user PasswordSignInGuard signed in. */
export const SignedInUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): GitlabUser => {
  const user = signedIn.get(ctx.switchToHttp().getRequest<FastifyRequest>());
  if (!user) throw new Error('SignedInUser used on a route without PasswordSignInGuard');
  return user;
});
