import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { type GitlabUser, IdentityService } from '../../identity/identity.service.js';
import { NamedLocalStrategy, StrategyNames } from '../strategy-names.js';

/** The sign-in form's field names (Devise's `params[:user][:login]`, `params[:user][:password]`). */
export const SIGN_IN_FIELDS = { login: 'user[login]', password: 'user[password]' } as const;

/**
 * Password sign-in through the sign-in form (passport-local). Login and password are checked
 * by IdentityService (scrypt, constant time, one hash for unknown logins too); a wrong pair is
 * no user, never an error. Missing credentials are refused by passport-local itself.
 */
@Injectable()
export class PasswordStrategy extends PassportStrategy(NamedLocalStrategy) {
  constructor(
    @Inject(StrategyNames) names: StrategyNames,
    @Inject(IdentityService) private readonly identity: IdentityService,
  ) {
    super(names.password, { usernameField: SIGN_IN_FIELDS.login, passwordField: SIGN_IN_FIELDS.password });
  }

  async validate(login: unknown, password: unknown): Promise<GitlabUser | null> {
    // passport-local hands over whatever sits at the field path; only strings are credentials.
    if (typeof login !== 'string' || typeof password !== 'string') return null;
    return (await this.identity.verifyCredentials(login, password)) ?? null;
  }
}
