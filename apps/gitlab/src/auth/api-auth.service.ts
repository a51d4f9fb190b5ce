import { Inject, Injectable } from '@nestjs/common';
import {
  GITLAB_ERROR,
  GITLAB_INVALID_TOKEN_DESCRIPTION,
  HEADER,
  SESSION_COOKIE,
  gitlabInvalidTokenError,
  insufficientScopeError,
} from '#contracts';
import { type GitlabUser, IdentityService } from '../identity/identity.service.js';
import { SessionsService, csrfTokenMatches } from '../sessions/sessions.service.js';

/** Who a request acts for, and how it proved it. */
export type Actor =
  | { via: 'personal_access_token'; user: GitlabUser; scopes: readonly string[]; tokenName: string; expiresAt?: string }
  | { via: 'session'; user: GitlabUser };

/** The parts of a request authentication reads (cookies as parsed by @fastify/cookie). */
export interface AuthRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  cookies?: Record<string, string | undefined>;
}

export type AuthDecision =
  | { ok: true; actor: Actor }
  | { ok: false; status: number; body: object; headers?: Record<string, string> };

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Scopes a personal access token may carry to reach an endpoint, as API::APIGuard assembles
 * them: the endpoint's own (allow_access_with_scope), then `api` (always), then `read_api`
 * for GET and HEAD. The order is the order of the 403's `scope` field ("ai_features api").
 */
export function allowedScopes(method: string, endpointScopes: readonly string[]): string[] {
  const scopes = [...endpointScopes, 'api', ...(SAFE_METHODS.has(method.toUpperCase()) ? ['read_api'] : [])];
  return [...new Set(scopes)];
}

/**
 * Authentication of REST API requests with GitLab's API::APIGuard semantics.
 *
 * Credentials, in GitLab's order: a personal access token from the `PRIVATE-TOKEN` header,
 * the `private_token` query parameter or `Authorization: Bearer`; else the browser session
 * cookie. A presented token decides alone (no fallback to the session):
 * - unknown -> 401 {"message":"401 Unauthorized"};
 * - expired, then revoked -> 401 invalid_token with a WWW-Authenticate challenge;
 * - none of the allowed scopes -> 403 insufficient_scope naming the allowed scopes.
 * A session grants every scope, but a non-GET request must carry the session's CSRF token in
 * X-CSRF-Token; without it the session is ignored (-> 401), as GitLab's AuthFinders do.
 */
@Injectable()
export class ApiAuthService {
  constructor(
    @Inject(IdentityService) private readonly identity: IdentityService,
    @Inject(SessionsService) private readonly sessions: SessionsService,
  ) {}

  authenticate(req: AuthRequest, endpointScopes: readonly string[]): AuthDecision {
    const token = presentedToken(req);
    if (token !== undefined) return this.byToken(token, allowedScopes(req.method, endpointScopes));
    return this.bySession(req);
  }

  private byToken(token: string, allowed: readonly string[]): AuthDecision {
    const found = this.identity.findPersonalAccessToken(token);
    if (!found.found) return unauthorized();
    if (found.state !== 'active') {
      const error = gitlabInvalidTokenError(
        found.state === 'expired' ? GITLAB_INVALID_TOKEN_DESCRIPTION.EXPIRED : GITLAB_INVALID_TOKEN_DESCRIPTION.REVOKED,
      );
      return { ok: false, status: error.status, body: error.body, headers: { 'WWW-Authenticate': error.wwwAuthenticate } };
    }
    if (!found.token.scopes.some((s) => allowed.includes(s))) {
      return { ok: false, status: 403, body: insufficientScopeError(allowed) };
    }
    const { scopes, name: tokenName, expiresAt } = found.token;
    return { ok: true, actor: { via: 'personal_access_token', user: found.user, scopes, tokenName, ...(expiresAt ? { expiresAt } : {}) } };
  }

  private bySession(req: AuthRequest): AuthDecision {
    const session = this.sessions.get(req.cookies?.[SESSION_COOKIE] || undefined);
    if (!session) return unauthorized();
    if (!SAFE_METHODS.has(req.method.toUpperCase()) && !csrfTokenMatches(session, header(req.headers, HEADER.CSRF_TOKEN))) {
      return unauthorized();
    }
    const user = this.identity.findUserById(session.userId);
    return user ? { ok: true, actor: { via: 'session', user } } : unauthorized();
  }
}

function unauthorized(): AuthDecision {
  return { ok: false, status: 401, body: GITLAB_ERROR.UNAUTHORIZED };
}

function header(headers: AuthRequest['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The personal access token a request presents, if any (empty values count as none). */
export function presentedToken(req: AuthRequest): string | undefined {
  const privateToken = header(req.headers, HEADER.PRIVATE_TOKEN);
  if (privateToken) return privateToken;
  const param = (req.query as Record<string, unknown> | undefined)?.private_token;
  if (typeof param === 'string' && param) return param;
  const authorization = header(req.headers, HEADER.AUTHORIZATION);
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return bearer ? bearer[1] : undefined;
}
