import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { HEADER, SESSION_COOKIE } from '#contracts';
import { type GitlabUser, IdentityService } from '../identity/identity.service.js';
import { type BrowserSession, SessionsService, csrfTokenMatches } from '../sessions/sessions.service.js';

/** A signed-in browser: its session and user. */
export interface SignedIn {
  session: BrowserSession;
  user: GitlabUser;
}

/**
 * The browser session of a Web IDE request, as GitLab's web controllers see it: the
 * `_gitlab_session` cookie names a live session of an existing user; a state-changing request
 * must also carry the session's CSRF token in X-CSRF-Token (Rails' protect_from_forgery).
 * Personal access tokens play no part here: the Web IDE's own routes are not the REST API.
 */
@Injectable()
export class WebSession {
  constructor(
    @Inject(SessionsService) private readonly sessions: SessionsService,
    @Inject(IdentityService) private readonly identity: IdentityService,
  ) {}

  /** The signed-in user of `req`, or undefined (no cookie, an unknown or expired session, a deleted user). */
  current(req: FastifyRequest): SignedIn | undefined {
    const session = this.sessions.get(req.cookies[SESSION_COOKIE] || undefined);
    const user = session && this.identity.findUserById(session.userId);
    return session && user ? { session, user } : undefined;
  }

  /** Whether `req` carries the session's CSRF token in X-CSRF-Token (compared in constant time). */
  hasCsrfToken(req: FastifyRequest, session: BrowserSession): boolean {
    const presented = req.headers[HEADER.CSRF_TOKEN.toLowerCase()];
    return csrfTokenMatches(session, typeof presented === 'string' ? presented : undefined);
  }
}
