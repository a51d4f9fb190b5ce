import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { IdentityService } from '../../identity/identity.service.js';
import type { Actor } from '../actor.js';
import { invalidToken, unauthorized } from '../api-errors.js';
import { type CredentialRequest, presentedToken } from '../credentials.js';
import { NamedCustomStrategy, StrategyNames } from '../strategy-names.js';

/**
 * A personal access token from `PRIVATE-TOKEN`, `private_token` or `Authorization: Bearer`
 * (AuthFinders `find_personal_access_token`, lib/gitlab/auth/auth_finders.rb).
 *
 * No token: not this credential, passport tries the next. A presented token decides alone, as
 * GitLab's `find_personal_access_token` raises rather than returns nil: unknown -> 401
 * `{"message":"401 Unauthorized"}`; expired, then revoked -> 401 `invalid_token`
 * (AccessTokenValidationService#validate's order). Scopes depend on the endpoint: ApiGuard
 * checks them once a credential is accepted.
 */
@Injectable()
export class PersonalAccessTokenStrategy extends PassportStrategy(NamedCustomStrategy) {
  constructor(
    @Inject(StrategyNames) names: StrategyNames,
    @Inject(IdentityService) private readonly identity: IdentityService,
  ) {
    super(names.personalAccessToken);
  }

  validate(req: CredentialRequest): Actor | null {
    const token = presentedToken(req);
    if (token === undefined) return null;
    const found = this.identity.findPersonalAccessToken(token);
    if (!found.found) throw unauthorized();
    if (found.state !== 'active') throw invalidToken(found.state);
    const { scopes, name: tokenName, expiresAt } = found.token;
    return { via: 'personal_access_token', user: found.user, scopes, tokenName, ...(expiresAt ? { expiresAt } : {}) };
  }
}
