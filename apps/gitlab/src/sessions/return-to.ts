import type { FastifyReply, FastifyRequest } from 'fastify';
import { PATH } from '#contracts';

/**
 * Where a browser goes back to after signing in, as Devise's `store_location_for(:user)` keeps
 * it (`user_return_to`): a page that needs a session redirects to the sign-in form and
 * remembers its own path; a successful sign-in redirects there instead of `/`. The emulator
 * has no session before sign-in, so the path lives in a short-lived HttpOnly cookie.
 * Only a path of this instance is kept (one leading `/`, no scheme or authority): never an
 * open redirect.
 */
export const RETURN_TO_COOKIE = 'user_return_to';

/** Ten minutes: a sign-in page left open longer forgets where it came from and lands on `/`. */
const RETURN_TO_MAX_AGE_SECONDS = 600;
const MAX_RETURN_TO_LENGTH = 2048;
const COOKIE_OPTIONS = { path: '/', httpOnly: true, sameSite: 'lax' } as const;

/** Whether `path` is a path of this instance: `/...`, not `//host` or `/\host` (browsers read both as another host). */
export function isLocalPath(path: unknown): path is string {
  return typeof path === 'string' && path.length <= MAX_RETURN_TO_LENGTH && /^\/(?![/\\])/.test(path) && !/[\u0000-\u001f\u007f]/.test(path);
}

/** Answers 302 to the sign-in form, remembering the requested path (GET only, as Devise stores it). */
export function redirectToSignIn(req: FastifyRequest, reply: FastifyReply): void {
  if (req.method === 'GET' && isLocalPath(req.url)) {
    void reply.setCookie(RETURN_TO_COOKIE, req.url, { ...COOKIE_OPTIONS, maxAge: RETURN_TO_MAX_AGE_SECONDS });
  }
  void reply.status(302).header('location', PATH.GITLAB_SIGN_IN).header('cache-control', 'no-store').send();
}

/** The remembered path (cleared), or `/` when there is none or it is not a local path. */
export function takeReturnTo(req: FastifyRequest, reply: FastifyReply): string {
  const stored = req.cookies[RETURN_TO_COOKIE];
  if (stored === undefined) return '/';
  void reply.clearCookie(RETURN_TO_COOKIE, COOKIE_OPTIONS);
  return isLocalPath(stored) ? stored : '/';
}
