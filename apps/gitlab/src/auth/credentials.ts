import { HEADER, SESSION_COOKIE } from '#contracts';

/**
 * Where each credential sits on a request, read the way GitLab reads it. The strategies and
 * the sign-in page share these readers; none of them validates anything.
 */

/** The parts of a request the credential readers look at (cookies as parsed by @fastify/cookie). */
export interface CredentialRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  cookies?: Record<string, string | undefined>;
}

/** A header's first value; `name` in any case (Node lower-cases header names). */
export function headerValue(headers: CredentialRequest['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The token of `Authorization: Bearer <token>` (scheme in any case), or undefined for another
 * scheme or an empty token: Doorkeeper's `from_bearer_authorization`, which GitLab's
 * `parsed_oauth_token` uses for OAuth access tokens and personal access tokens alike.
 */
export function bearerToken(req: CredentialRequest): string | undefined {
  const authorization = headerValue(req.headers, HEADER.AUTHORIZATION);
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return bearer ? bearer[1] : undefined;
}

/**
 * The personal access token a request presents, if any (empty values count as none): the
 * `PRIVATE-TOKEN` header, else the `private_token` query parameter, else `Authorization: Bearer`.
 * GitLab's `extract_personal_access_token` reads the parameter before the header
 * (lib/gitlab/auth/auth_finders.rb); the emulator has always read the header first, and the
 * order only matters when a request carries two different tokens.
 */
export function presentedToken(req: CredentialRequest): string | undefined {
  const privateToken = headerValue(req.headers, HEADER.PRIVATE_TOKEN);
  if (privateToken) return privateToken;
  const param = (req.query as Record<string, unknown> | undefined)?.private_token;
  if (typeof param === 'string' && param) return param;
  return bearerToken(req);
}

/** The browser session cookie's value (`_gitlab_session`), if any. */
export function sessionCookie(req: Pick<CredentialRequest, 'cookies'>): string | undefined {
  return req.cookies?.[SESSION_COOKIE] || undefined;
}

/** The CSRF token a script sends with a state-changing API call (`X-CSRF-Token`). */
export function csrfHeader(req: CredentialRequest): string | undefined {
  return headerValue(req.headers, HEADER.CSRF_TOKEN);
}

/** Credentials of the sign-in form, as Devise reads `params[:user]`. */
export interface SignInCredentials {
  login: string;
  password: string;
}

/**
 * `user[login]`/`user[password]` from the sign-in form or `{"user":{"login","password"}}` JSON.
 * Rack nests the form's bracketed names into `params[:user]`; Fastify's form parser leaves them
 * flat (`{"user[login]": ...}`), so both shapes are read. Anything but two non-empty strings is
 * no credentials.
 */
export function signInCredentials(body: unknown): SignInCredentials | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const nested = b.user && typeof b.user === 'object' ? (b.user as Record<string, unknown>) : {};
  const login = nested.login ?? b['user[login]'];
  const password = nested.password ?? b['user[password]'];
  return typeof login === 'string' && typeof password === 'string' && login && password ? { login, password } : undefined;
}
