import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { IdentityService } from '../../identity/identity.service.js';
import { SessionsService, csrfTokenMatches } from '../../sessions/sessions.service.js';
import type { Actor } from '../actor.js';
import { type CredentialRequest, csrfHeader, sessionCookie } from '../credentials.js';
import { isSafeMethod } from '../scopes.js';
import { NamedCustomStrategy, StrategyNames } from '../strategy-names.js';

/**
 * The browser session cookie (`_gitlab_session`), AuthFinders `find_user_from_warden`: used only
 * for a verified request, that is GET or HEAD, or any other method carrying the session's own
 * CSRF token in `X-CSRF-Token` (Gitlab::RequestForgeryProtection). An unknown or expired
 * session, a missing or foreign CSRF token, or a user who is gone: not this credential, never
 * an error of its own (GitLab then answers 401 `{"message":"401 Unauthorized"}`).
 */
@Injectable()
export class SessionStrategy extends PassportStrategy(NamedCustomStrategy) {
  constructor(
    @Inject(StrategyNames) names: StrategyNames,
    @Inject(IdentityService) private readonly identity: IdentityService,
    @Inject(SessionsService) private readonly sessions: SessionsService,
  ) {
    super(names.session);
  }

  validate(req: CredentialRequest): Actor | null {
    const session = this.sessions.get(sessionCookie(req));
    if (!session) return null;
    if (!isSafeMethod(req.method) && !csrfTokenMatches(session, csrfHeader(req))) return null;
    const user = this.identity.findUserById(session.userId);
    return user ? { via: 'session', user } : null;
  }
}
