import { HEADER } from '#contracts';

/** No Authorization header at all: 401 "No authorization header presented". */
export const NO_CREDENTIALS = Symbol('no Authorization header');
/** An Authorization header that is not exactly one Bearer credential: 401 "Invalid authorization header". */
export const INVALID_CREDENTIALS = Symbol('invalid Authorization header');

/**
 * RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token`; the scheme is case-insensitive
 * (RFC 9110 §11.1). One or more spaces, nothing else: a tab or any other whitespace is no SP.
 * (The production gateway splits on the first space, `auth_header.partition(" ")`, auth.py
 * L55-56 @823ced4678f5, so "Bearer  tok" reaches its verifier as " tok" and fails there.)
 */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

const AUTHORIZATION = HEADER.AUTHORIZATION.toLowerCase();

/**
 * The bearer token of a request, from its Authorization header value (`headers.authorization`)
 * and its raw header list (`IncomingMessage.rawHeaders`). Node keeps only the first of several
 * Authorization headers in `headers`, so the raw list is counted: two credentials are refused,
 * never one picked silently. No allocation beyond the token itself.
 */
export function bearerCredentials(value: string | string[] | undefined, rawHeaders: readonly string[]): string | typeof NO_CREDENTIALS | typeof INVALID_CREDENTIALS {
  if (value === undefined) return NO_CREDENTIALS;
  if (typeof value !== 'string' || authorizationHeaders(rawHeaders) !== 1) return INVALID_CREDENTIALS;
  return BEARER.exec(value)?.[1] ?? INVALID_CREDENTIALS;
}

/** How many header lines named Authorization (any case) the raw list holds: names sit at even indexes. */
function authorizationHeaders(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (isAuthorization(rawHeaders[i]!)) count++;
  return count;
}

/** Case-insensitive compare without lower-casing a copy: every character of "authorization" is a letter, and `| 0x20` folds only letters. */
function isAuthorization(name: string): boolean {
  if (name.length !== AUTHORIZATION.length) return false;
  for (let i = 0; i < AUTHORIZATION.length; i++) if ((name.charCodeAt(i) | 0x20) !== AUTHORIZATION.charCodeAt(i)) return false;
  return true;
}
