/**
 * Which fields carry credentials, and how to make text safe to log or report. Shared by the
 * apps' loggers and the harness's reports so one list decides what is a secret.
 */

/** Header names (lower case) whose values are credentials. */
export const SECRET_HEADER_NAMES: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'private-token',
  'cookie',
  'set-cookie',
  'x-csrf-token',
  'x-harness-control-token',
  'x-gitlab-oidc-token',
]);

/** Query, form and JSON field names whose values are credentials. */
export const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set([
  'private_token',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'code',
  'code_verifier',
  'client_secret',
  'password',
  'ai_access_token',
  'registration_access_token',
  'control_token',
  'user[password]',
]);

export const REDACTED = '[REDACTED]';

// A JWS/JWT in compact form, a GitLab personal access token, a Bearer credential in prose.
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const PAT_PATTERN = /\bglpat-[A-Za-z0-9_-]{4,}/g;
const BEARER_PATTERN = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const LOOKS_LIKE_JWT = /^eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export interface RedactOptions {
  /**
   * Keep a JWT's header and claims and drop only its signature, so a report can show what the
   * token said while the token itself stays unusable. Logs use the default (drop it all).
   */
  keepJwtClaims?: boolean;
}

function redactJwt(jwt: string, options: RedactOptions): string {
  if (!options.keepJwtClaims) return REDACTED;
  const [header, payload] = jwt.split('.');
  return `${header}.${payload}.${REDACTED}`;
}

/** Scrubs tokens that appear anywhere in free text (bodies, error messages). */
export function redactText(text: string, options: RedactOptions = {}): string {
  return text
    .replace(BEARER_PATTERN, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(JWT_PATTERN, (jwt) => redactJwt(jwt, options))
    .replace(PAT_PATTERN, 'glpat-' + REDACTED);
}

/** The value of a secret header, reduced to what is safe to show. */
export function redactHeaderValue(name: string, value: string, options: RedactOptions = {}): string {
  const lower = name.toLowerCase();
  if (!SECRET_HEADER_NAMES.has(lower)) return value;
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const space = value.indexOf(' ');
    const scheme = space > 0 ? value.slice(0, space) : '';
    const credential = space > 0 ? value.slice(space + 1) : value;
    const shown = options.keepJwtClaims && LOOKS_LIKE_JWT.test(credential) ? redactJwt(credential, options) : REDACTED;
    return scheme ? `${scheme} ${shown}` : shown;
  }
  return REDACTED;
}

/** A copy of a header map with credential values redacted. */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
  options: RedactOptions = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    out[name] = redactHeaderValue(name, value, options);
  }
  return out;
}

/** A URL (absolute or path) with credential query parameters redacted. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const key of [...params.keys()]) {
    if (SECRET_FIELD_NAMES.has(key.toLowerCase())) {
      params.set(key, REDACTED);
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/** A deep copy of a JSON value with credential fields redacted and tokens scrubbed from strings. */
export function redactJson(value: unknown, options: RedactOptions = {}): unknown {
  if (typeof value === 'string') return redactText(value, options);
  if (Array.isArray(value)) return value.map((v) => redactJson(v, options));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_FIELD_NAMES.has(k.toLowerCase()) && typeof v === 'string') {
        out[k] = options.keepJwtClaims && LOOKS_LIKE_JWT.test(v) ? redactJwt(v, options) : REDACTED;
      } else {
        out[k] = redactJson(v, options);
      }
    }
    return out;
  }
  return value;
}
