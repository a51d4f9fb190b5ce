import { REDACTED } from '#contracts';
import type { RelayResult } from './relay.js';

/**
 * Keeps the stored service access token out of everything the relay passes on: a SaaS (or
 * anything at SAAS_URL) that echoes the Bearer credential it was sent, in a body or in a
 * header, must not hand it to the IDE. The token is matched as sent and percent-encoded (as it
 * would appear inside a URL).
 */

function secretForms(secret: string): string[] {
  const encoded = encodeURIComponent(secret);
  return encoded === secret ? [secret] : [secret, encoded];
}

/** The text with every occurrence of the secret replaced by [REDACTED]. */
export function redactSecret(text: string, secret: string): string {
  if (!secret) return text;
  let out = text;
  for (const form of secretForms(secret)) out = out.split(form).join(REDACTED);
  return out;
}

/** Whether any string of a JSON value (member names included) carries the secret. Iterative: safe on any depth. */
export function containsSecret(value: unknown, secret: string): boolean {
  if (!secret) return false;
  const forms = secretForms(secret);
  const has = (s: string) => forms.some((f) => s.includes(f));
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'string') {
      if (has(current)) return true;
    } else if (Array.isArray(current)) {
      stack.push(...current);
    } else if (current !== null && typeof current === 'object') {
      for (const [k, v] of Object.entries(current)) {
        if (has(k)) return true;
        stack.push(v);
      }
    }
  }
  return false;
}

/**
 * A deep copy with the secret replaced in every string, member names included. Recursive:
 * only for values already within UNTRUSTED_JSON_BOUNDS (the relay checks SaaS's JSON first).
 */
export function scrub(value: unknown, secret: string): unknown {
  if (typeof value === 'string') return redactSecret(value, secret);
  if (Array.isArray(value)) return value.map((v) => scrub(v, secret));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Defined, not assigned: a member named __proto__ stays a member.
      Object.defineProperty(out, redactSecret(k, secret), { value: scrub(v, secret), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/**
 * The last step of every relay answer: headers with the secret replaced; the body passed on
 * byte for byte only when it does not carry the secret, else scrubbed and re-serialised.
 */
export function withoutSecret(result: RelayResult, secret: string): RelayResult {
  const out: RelayResult = { status: result.status, body: result.body };
  if (result.headers) {
    out.headers = Object.fromEntries(Object.entries(result.headers).map(([name, value]) => [name, redactSecret(value, secret)]));
  }
  if (containsSecret(result.body, secret)) out.body = scrub(result.body, secret) as object;
  else if (result.bodyText !== undefined) out.bodyText = result.bodyText;
  return out;
}
