import { reject, type RejectedToken } from './token-refusals.js';

/**
 * The time-based registered claims (RFC 7519 §4.1.4 `exp`, §4.1.5 `nbf`) against `nowSeconds`
 * with `leewaySeconds` either way, compared as jose compares them (jwt_claims_set.js): expired
 * when exp <= now - leeway, not yet valid when nbf > now + leeway. Both must already be numbers.
 * Shared by the verifier and its VerifiedTokenCache, so a cache hit ends exactly when a fresh
 * verification would start refusing.
 */
export function timeVerdict(exp: number, nbf: number | undefined, nowSeconds: number, leewaySeconds: number): 'expired' | 'not-yet-valid' | undefined {
  if (exp <= nowSeconds - leewaySeconds) return 'expired';
  if (nbf !== undefined && nbf > nowSeconds + leewaySeconds) return 'not-yet-valid';
  return undefined;
}

/**
 * Checks the registered claims a signature check leaves to the gateway, in jose's order: `exp`
 * present (required: RFC 8725 §3.9), `aud` naming one of `audiences` (RFC 7519 §4.1.3: a string
 * or an array of strings), `iat` and `nbf` numbers when present, then the time window.
 * Returns the refusal, or undefined when they all hold. `iss` is bound by the verifier itself
 * (to the issuer that published the key).
 *
 * @param nowSeconds the gateway clock's seconds since the epoch, whole (jose floors them too)
 */
export function registeredClaimsRefusal(
  claims: Record<string, unknown>,
  audiences: readonly string[],
  nowSeconds: number,
  leewaySeconds: number,
  kid: string | undefined,
): RejectedToken | undefined {
  const refuse = (reason: Parameters<typeof reject>[0], detail: string) => reject(reason, detail, kid, claims.iss);
  const { exp, nbf, iat, aud } = claims;
  if (exp === undefined) return refuse('invalid-claims', 'claim exp: missing');
  if (aud === undefined) return refuse('audience', 'aud is missing');
  if (!namesOneOf(aud, audiences)) return refuse('audience', 'aud does not contain an accepted audience');
  if (iat !== undefined && typeof iat !== 'number') return refuse('invalid-claims', 'claim iat: not a number');
  if (nbf !== undefined && typeof nbf !== 'number') return refuse('invalid-claims', 'claim nbf: not a number');
  if (typeof exp !== 'number') return refuse('invalid-claims', 'claim exp: not a number');
  switch (timeVerdict(exp, nbf, nowSeconds, leewaySeconds)) {
    case 'expired':
      return refuse('expired', 'exp is in the past (beyond the allowed clock skew)');
    case 'not-yet-valid':
      return refuse('not-yet-valid', 'nbf is in the future (beyond the allowed clock skew)');
    default:
      return undefined;
  }
}

/** Whether `aud` (a string, or an array of which only the strings count) names one of `audiences`. */
function namesOneOf(aud: unknown, audiences: readonly string[]): boolean {
  if (typeof aud === 'string') return audiences.includes(aud);
  return Array.isArray(aud) && aud.some((entry) => typeof entry === 'string' && audiences.includes(entry));
}
