import { HEADER } from '#contracts';

/**
 * CORS for browser IDEs (the Web IDE's editor calls POST /v2/code/completions from its own
 * origin), with the semantics of the production gateway's CORS layer, Starlette 0.40.0's
 * CORSMiddleware (starlette/middleware/cors.py), configured as ai_gateway
 * api/server.py L78-83 @823ced4678f5 does (`allow_methods=["POST"]`), except that the
 * origins are a configured list instead of `*` and the allowed headers are the ones an IDE
 * sends instead of `*`. No credentials mode: tokens travel in Authorization, never in cookies.
 */
export interface CorsPolicy {
  /** Serialised origins (RFC 6454), compared as strings with the request's Origin. */
  allowedOrigins: readonly string[];
}

/** Request headers a browser IDE may send: Authorization and the X-Gitlab-* headers the gateway reads. */
export const CORS_ALLOWED_HEADERS = [HEADER.AUTHORIZATION, HEADER.AUTHENTICATION_TYPE, HEADER.REALM, HEADER.INSTANCE_ID, HEADER.GLOBAL_USER_ID] as const;
/** Starlette's SAFELISTED_HEADERS, always allowed. */
const SAFELISTED_HEADERS = ['Accept', 'Accept-Language', 'Content-Language', 'Content-Type'];
const ALLOW_HEADERS = [...new Set([...SAFELISTED_HEADERS, ...CORS_ALLOWED_HEADERS])].sort();
const ALLOW_HEADERS_LOWER = new Set(ALLOW_HEADERS.map((h) => h.toLowerCase()));
export const CORS_ALLOWED_METHODS = ['POST'] as const;
/** Starlette's default `max_age`: browsers may reuse a preflight answer this many seconds. */
export const CORS_MAX_AGE_SECONDS = 600;

/** The CORS-relevant parts of a request (header names lower-case, as Node gives them). */
export interface CorsRequest {
  method: string;
  origin?: string | undefined;
  requestMethod?: string | undefined;
  requestHeaders?: string | undefined;
}

/**
 * What CORS does with a request:
 * - `pass`: no Origin; the request goes on untouched;
 * - `simple`: an actual request from a browser; it goes on with `headers` added (the origin
 *   echoed with `Vary: Origin` when it is allowed, nothing otherwise, so the browser keeps the
 *   answer from the page);
 * - `preflight`: OPTIONS with Access-Control-Request-Method, answered here, before routing and
 *   authentication (a preflight carries no credentials): 200 `OK`, or 400 `Disallowed CORS
 *   <origin, method, headers>` naming what is not allowed, as Starlette answers.
 */
export type CorsDecision =
  | { kind: 'pass' }
  | { kind: 'simple'; headers: Record<string, string> }
  | { kind: 'preflight'; status: 200 | 400; headers: Record<string, string>; body: string };

export function corsDecision(policy: CorsPolicy, req: CorsRequest): CorsDecision {
  const origin = req.origin;
  if (origin === undefined) return { kind: 'pass' };
  const originAllowed = policy.allowedOrigins.includes(origin);
  if (req.method.toUpperCase() !== 'OPTIONS' || req.requestMethod === undefined) {
    return { kind: 'simple', headers: originAllowed ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {} };
  }
  const headers: Record<string, string> = {
    vary: 'Origin',
    'access-control-allow-methods': CORS_ALLOWED_METHODS.join(', '),
    'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
    'access-control-allow-headers': ALLOW_HEADERS.join(', '),
  };
  const failures: string[] = [];
  if (originAllowed) headers['access-control-allow-origin'] = origin;
  else failures.push('origin');
  if (!(CORS_ALLOWED_METHODS as readonly string[]).includes(req.requestMethod)) failures.push('method');
  const requested = (req.requestHeaders ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  if (requested.some((h) => !ALLOW_HEADERS_LOWER.has(h))) failures.push('headers');
  return failures.length
    ? { kind: 'preflight', status: 400, headers, body: `Disallowed CORS ${failures.join(', ')}` }
    : { kind: 'preflight', status: 200, headers, body: 'OK' };
}
