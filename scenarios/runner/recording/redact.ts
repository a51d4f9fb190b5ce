/**
 * Record-time redaction: what goes into an exchange record (and so into every report) is
 * made safe here, once, with the contracts' redaction rules. JWTs keep header and claims so a
 * report can show what a token said; PATs, cookies, passwords and control tokens are gone.
 */
import {
  REDACTED,
  SECRET_FIELD_NAMES,
  redactHeaders,
  redactJson,
  redactText,
  redactUrl,
  type RedactOptions,
} from '#contracts';

export const RECORD_REDACTION: RedactOptions = { keepJwtClaims: true };

/** Largest body kept in a record, in bytes. */
export const MAX_RECORDED_BODY_BYTES = 16 * 1024;

export function redactRecordedUrl(url: string): string {
  return redactText(redactUrl(url), RECORD_REDACTION);
}

/** `name=value; attrs` -> `name=[REDACTED]; attrs`: the cookie's name and flags stay readable. */
function redactCookie(value: string, isSetCookie: boolean): string {
  if (isSetCookie) {
    const [pair = '', ...attrs] = value.split(';');
    const eq = pair.indexOf('=');
    const name = eq >= 0 ? pair.slice(0, eq).trim() : '';
    return [name ? `${name}=${REDACTED}` : REDACTED, ...attrs.map((a) => a.trim())].join('; ');
  }
  return value
    .split(';')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq >= 0 ? `${part.slice(0, eq).trim()}=${REDACTED}` : REDACTED;
    })
    .join('; ');
}

/**
 * Header map (names lower case) for a record. Secret headers go through the contracts'
 * rules (cookies keep their names only); the rest are scrubbed of tokens in prose, and a
 * Location keeps its path but loses credential query parameters (an OAuth `code`).
 */
export function redactRecordedHeaders(headers: Record<string, string>, setCookies: readonly string[] = []): Record<string, string> {
  const plain: Record<string, string> = {};
  const out: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (name === 'set-cookie') continue;
    if (name === 'cookie') out[name] = redactCookie(value, false);
    else plain[name] = value;
  }
  for (const [name, value] of Object.entries(redactHeaders(plain, RECORD_REDACTION))) {
    if (value !== plain[name]) out[name] = value;
    else if (name === 'location' || name === 'content-location') out[name] = redactRecordedUrl(value);
    else out[name] = redactText(value, RECORD_REDACTION);
  }
  const cookies = setCookies.length ? setCookies : headers['set-cookie'] !== undefined ? [headers['set-cookie']] : [];
  if (cookies.length) out['set-cookie'] = cookies.map((c) => redactCookie(c, true)).join(', ');
  return out;
}

function redactForm(body: string): string {
  const params = new URLSearchParams(body);
  const out = new URLSearchParams();
  for (const [key, value] of params) {
    out.append(key, SECRET_FIELD_NAMES.has(key.toLowerCase()) ? REDACTED : redactText(value, RECORD_REDACTION));
  }
  return out.toString();
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const t = text.trim();
  if (!t || !'{["'.includes(t[0]!)) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(t) };
  } catch {
    return { ok: false };
  }
}

/** Cuts a body to MAX_RECORDED_BODY_BYTES and says so. */
export function truncateBody(text: string): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= MAX_RECORDED_BODY_BYTES) return text;
  const kept = Buffer.from(text).subarray(0, MAX_RECORDED_BODY_BYTES).toString('utf8').replace(/\uFFFD$/, '');
  return `${kept}\n… [truncated: ${bytes} bytes in total, ${MAX_RECORDED_BODY_BYTES} recorded]`;
}

/**
 * A body made safe for a record: JSON by field (access_token, password, ...) and by token
 * pattern, forms by field, anything else by token pattern; then truncated.
 */
export function redactRecordedBody(text: string, contentType: string | undefined): string {
  const type = (contentType ?? '').toLowerCase();
  let safe: string;
  const json = tryJson(text);
  if (json.ok) safe = JSON.stringify(redactJson(json.value, RECORD_REDACTION), null, 2);
  else if (type.includes('application/x-www-form-urlencoded')) safe = redactForm(text);
  else safe = redactText(text, RECORD_REDACTION);
  return truncateBody(safe);
}

/** Any value shown in a report (failure expected/actual): tokens scrubbed, JWT claims kept. */
export function redactForReport<T>(value: T): T {
  return redactJson(value, RECORD_REDACTION) as T;
}

export function redactMessage(text: string): string {
  return redactText(text, RECORD_REDACTION);
}
