/**
 * Which fields carry credentials, and how to make text safe to log or report. Shared by the
 * apps' loggers and the harness's reports so one list decides what is a secret.
 *
 * Two rules, applied together: by NAME (a header, query parameter, form or JSON field known to
 * carry a credential) and by PATTERN (a credential recognisable wherever it appears: a JWS/JWE
 * in compact form, a GitLab token with its type prefix, an HTTP Basic/Bearer credential, a PEM
 * private key), including percent-encoded ones, as they appear in paths and query strings.
 * Every pass is linear in the text (no pattern can rescan a run of token characters from each
 * of its positions), so attacker-sized input costs attacker-sized time, not its square.
 */

/** Header names (lower case) whose values are credentials. */
export const SECRET_HEADER_NAMES: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'private-token',
  'job-token',
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
  'client_assertion',
  'password',
  'password_confirmation',
  'ai_access_token',
  'registration_access_token',
  'control_token',
  'user[password]',
]);

/**
 * Names that end like a credential: `*_token` (feed_token, job_token, authenticity_token,
 * subject_token), `*_secret`, `*_password`, `*_api_key`, `*_private_key`, `*_assertion`.
 * `token_type` and `client_secret_expires_at` (RFC 7591) are not credentials and do not match.
 */
const SECRET_NAME_SUFFIX = /(?:^|_)(?:token|secret|password|passwd|passphrase|api_?key|private_key|assertion)$/;

/**
 * Whether a header, query, form or JSON field name carries a credential. Case-insensitive;
 * camelCase is read as snake_case (accessToken = access_token); Rack's array and nested forms
 * are read by their innermost name (`private_token[]`, `private_token[0]`, `user[password]`).
 */
export function isSecretFieldName(name: string): boolean {
  const snake = name.trim().replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  if (SECRET_FIELD_NAMES.has(snake) || SECRET_HEADER_NAMES.has(snake)) return true;
  const withoutIndex = snake.replace(/(?:\[\d*\])+$/, '');
  const innermost = /\[([^[\]]+)\]$/.exec(withoutIndex)?.[1] ?? withoutIndex;
  const base = withoutIndex.split('[', 1)[0] ?? withoutIndex;
  return [withoutIndex, innermost, base].some((n) => SECRET_FIELD_NAMES.has(n) || SECRET_NAME_SUFFIX.test(n.replace(/-/g, '_')));
}

export const REDACTED = '[REDACTED]';
const REDACTED_IN_URL = encodeURIComponent(REDACTED);

export interface RedactOptions {
  /**
   * Keep a JWT's header and claims and drop only its signature, so a report can show what the
   * token said while the token itself stays unusable. Logs use the default (drop it all).
   */
  keepJwtClaims?: boolean;
  /**
   * Also redact query and fragment values that look like an opaque credential whatever their
   * parameter's name: 20 or more characters of a token alphabet with letters and digits (a
   * session id, an OAuth code or token of unknown format, a UUID). Logs set it; reports, which
   * must show `state` or a PKCE challenge, do not.
   */
  opaqueQueryValues?: boolean;
}

/**
 * GitLab's token type prefixes (docs.gitlab.com, "GitLab token overview", Token prefixes):
 * personal/project/group access (glpat-), OAuth application secret (gloas-), deploy (gldt-),
 * runner authentication (glrt-), CI/CD job (glcbt-), trigger (glptt-), feed (glft-), incoming
 * mail (glimt-), agent for Kubernetes (glagent-), SCIM (glsoat-), feature flags client
 * (glffct-); the runner registration token prefix GR1348941. Newer PATs carry dots.
 */
const GITLAB_TOKEN = /(?:glpat|gloas|gldt|glrt|glcbt|glptt|glft|glimt|glagent|glsoat|glffct)-[A-Za-z0-9_.-]{4,}|GR1348941[A-Za-z0-9_-]{4,}/g;
/** An RFC 7617/6750 credential after its scheme, in prose ("Authorization: Bearer x"). */
const SCHEME_CREDENTIAL = /\b(Bearer|Basic)([ \t]+)([A-Za-z0-9._~+/=-]+)/gi;
/** A secret header quoted in prose ("PRIVATE-TOKEN: x", "cookie=x"): the value up to a separator. */
const HEADER_IN_PROSE = /\b(private-token|job-token|x-csrf-token|x-harness-control-token|x-gitlab-oidc-token|set-cookie|cookie)(\s*[:=]\s*)([^\s,;"'&]+)/gi;
/**
 * `name=value` in a query string, a fragment, a form or prose. The delimiter says which:
 * `?`, `&`, `#` and `;` (path parameters) are URL context, start or whitespace is prose.
 */
const NAME_VALUE = /(^|[?&#;\s])([^=?&#;\s"'<>]{1,128})=([^?&#;\s"'<>]*)/g;
/** `"name": "value"` as quoted in an error message that carries an upstream JSON body. Bounded. */
const JSON_MEMBER = /"([^"\\]{1,64})"(\s*:\s*)"((?:[^"\\]|\\.){0,4096})"/g;
/** A run of characters tokens are made of (base64url, dots, percent escapes), delimited by anything else. */
const TOKEN_RUN = /[A-Za-z0-9_.~%+-]+/g;
const OPAQUE_CREDENTIAL = /^[A-Za-z0-9_~+=-]{20,}$/;
const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/g;

/** Whether a value, decoded, looks like an opaque credential (see RedactOptions.opaqueQueryValues). */
export function looksLikeOpaqueCredential(value: string): boolean {
  return OPAQUE_CREDENTIAL.test(value) && /[0-9]/.test(value) && /[A-Za-z]/.test(value);
}

function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * The JOSE header a segment encodes (RFC 7515 §4, RFC 7516 §4): base64url of a JSON object with
 * an `alg`. Every base64url of a '{' starts with 'e', so only those segments are decoded.
 */
function joseHeader(segment: string): { alg: string; enc?: unknown } | undefined {
  if (segment.length < 8 || segment[0] !== 'e' || !/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  const text = Buffer.from(segment, 'base64url').toString('utf8');
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const header: unknown = JSON.parse(text);
    const alg = (header as { alg?: unknown } | null)?.alg;
    return typeof alg === 'string' ? (header as { alg: string; enc?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JWS (3 segments) and JWE (5, when the header names `enc`) in a run without spaces, scanned
 * segment by segment (linear). A header is a segment that decodes to a JOSE header, or any
 * text from `eyJ` on (`{"` in base64url), also inside a longer word.
 */
function redactCompactTokens(run: string, options: RedactOptions, followedByRedacted = false): string {
  if (!run.includes('.')) return run;
  const segments = run.split('.');
  const out: string[] = [];
  let i = 0;
  while (i < segments.length) {
    const segment = segments[i]!;
    const at = segment.indexOf('eyJ');
    const headerAt = at >= 0 && segment.length - at >= 5 ? at : joseHeader(segment) !== undefined ? 0 : -1;
    if (headerAt < 0 || i + 2 >= segments.length) {
      out.push(segment);
      i += 1;
      continue;
    }
    const header = segment.slice(headerAt);
    // `header.claims.[REDACTED]` (keepJwtClaims) is already safe: redacting it again would not be idempotent.
    if (followedByRedacted && i + 3 === segments.length && segments[i + 2] === '') {
      out.push(segment, segments[i + 1]!, '');
      break;
    }
    const isJwe = i + 4 < segments.length && joseHeader(header)?.enc !== undefined;
    const parts = isJwe ? 5 : 3;
    const shown = options.keepJwtClaims && !isJwe ? `${header}.${segments[i + 1]}.${REDACTED}` : REDACTED;
    out.push(segment.slice(0, headerAt) + shown);
    i += parts;
  }
  return out.join('.');
}

/** A run of token characters made safe: compact tokens, GitLab tokens, and the same percent-encoded. */
function redactRun(run: string, options: RedactOptions, decode: boolean, followedByRedacted: boolean): string {
  if (decode && run.includes('%')) {
    const decoded = percentDecode(run);
    if (decoded !== undefined && decoded !== run && scrub(decoded, options, false) !== decoded) return REDACTED;
  }
  const tokens = redactCompactTokens(run, options, followedByRedacted);
  return tokens.includes('gl') || tokens.includes('GR1348941')
    ? tokens.replace(GITLAB_TOKEN, (m) => (m.startsWith('GR') ? REDACTED : `${m.slice(0, m.indexOf('-') + 1)}${REDACTED}`))
    : tokens;
}

/** PEM private keys, found with indexOf (a BEGIN without END redacts to the end of the text). */
function redactPemKeys(text: string): string {
  if (!text.includes('PRIVATE KEY-----')) return text;
  let out = '';
  let from = 0;
  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(text); m; m = PEM_BEGIN.exec(text)) {
    if (m.index < from) continue;
    const end = text.indexOf('PRIVATE KEY-----', m.index + m[0].length);
    out += `${text.slice(from, m.index)}${REDACTED}`;
    from = end < 0 ? text.length : end + 'PRIVATE KEY-----'.length;
    PEM_BEGIN.lastIndex = from;
  }
  return out + text.slice(from);
}

/**
 * Scrubs credentials wherever they appear in free text: error messages, log lines, URLs
 * (paths and query strings), bodies. Values of credential-named parameters are redacted
 * (`private_token=`, `private_token[]=`, `access_token=` in a fragment...; `code=` only in a
 * URL, where it is RFC 6749's authorization code); so are credentials by pattern, including
 * percent-encoded ones (a token in a path segment).
 */
export function redactText(text: string, options: RedactOptions = {}): string {
  return scrub(text, options, true);
}

/** redactText's passes; `decode` is false inside a percent-decoded run (one level is enough). */
function scrub(text: string, options: RedactOptions, decode: boolean): string {
  let out = redactPemKeys(text);
  out = out.replace(SCHEME_CREDENTIAL, (_m, scheme: string, space: string) => `${scheme}${space}${REDACTED}`);
  out = out.replace(HEADER_IN_PROSE, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`);
  out = out.replace(NAME_VALUE, (m, delimiter: string, rawName: string, value: string) => {
    if (value === '' || value === REDACTED || value === REDACTED_IN_URL) return m;
    const inUrl = delimiter !== '' && !/\s/.test(delimiter);
    const name = percentDecode(rawName.replace(/\+/g, ' ')) ?? rawName;
    const secretName = isSecretFieldName(name) && (inUrl || name.toLowerCase() !== 'code');
    const decoded = percentDecode(value) ?? value;
    const opaque = inUrl && options.opaqueQueryValues === true && looksLikeOpaqueCredential(decoded);
    return secretName || opaque ? `${delimiter}${rawName}=${inUrl ? REDACTED_IN_URL : REDACTED}` : m;
  });
  out = out.replace(JSON_MEMBER, (m, name: string, sep: string, value: string) =>
    value !== '' && value !== REDACTED && name.toLowerCase() !== 'code' && isSecretFieldName(name) ? `"${name}"${sep}"${REDACTED}"` : m,
  );
  return out.replace(TOKEN_RUN, (run: string, offset: number, whole: string) =>
    redactRun(run, options, decode, whole.startsWith(REDACTED, offset + run.length)),
  );
}

/** The value of a secret header, reduced to what is safe to show. */
export function redactHeaderValue(name: string, value: string, options: RedactOptions = {}): string {
  const lower = name.toLowerCase();
  if (!SECRET_HEADER_NAMES.has(lower)) return value;
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const space = value.indexOf(' ');
    const scheme = space > 0 ? value.slice(0, space) : '';
    const credential = space > 0 ? value.slice(space + 1) : value;
    const kept = options.keepJwtClaims ? redactCompactTokens(credential, options) : credential;
    const shown = kept === credential ? REDACTED : kept;
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

/**
 * A URL (absolute, or a path with its query) with credentials redacted: credential-named query
 * and fragment parameters, and credentials by pattern anywhere (a JWT or a glpat- token as a
 * path segment, raw or percent-encoded). The rest keeps its original spelling.
 */
export function redactUrl(url: string, options: RedactOptions = {}): string {
  return redactText(url, options);
}

/** A deep copy of a JSON value with credential fields redacted and tokens scrubbed from strings. */
export function redactJson(value: unknown, options: RedactOptions = {}): unknown {
  if (typeof value === 'string') return redactText(value, options);
  if (Array.isArray(value)) return value.map((v) => redactJson(v, options));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (isSecretFieldName(k) && typeof v === 'string') {
        const shown = options.keepJwtClaims ? redactCompactTokens(v, options) : REDACTED;
        out[k] = shown === v ? REDACTED : shown;
      } else {
        out[k] = redactJson(v, options);
      }
    }
    return out;
  }
  return value;
}
