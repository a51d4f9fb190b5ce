/**
 * The token rules the correct gateway doubles share: which trusted issuer a token names, how
 * that issuer's key set is found (OpenID Connect Discovery), and the jose verification options
 * (RS256 only, the issuer, the gateway audience, `exp` and `aud` required). Each double keeps
 * its own key cache and clock tolerance. Test-only; never shipped.
 */
import { decodeJwt, type JWTVerifyOptions } from 'jose';
import { AI_TOKEN, AUDIENCE, PATH } from '#contracts';
import { outboundTraceHeaders } from './trace-context.js';

/** Bound on every fetch to an issuer, so a hanging issuer cannot hold a keystroke forever. */
export const ISSUER_FETCH_TIMEOUT_MS = 5000;

/** OpenID Connect Discovery 1.0 §4: a terminating '/' of the issuer is removed before the well-known suffix. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}${PATH.OPENID_CONFIGURATION}`;
}

/**
 * The issuer's `jwks_uri`, read from its discovery document. Throws an Error with the reason
 * when the document cannot be read, names another issuer (OpenID Connect Discovery 1.0 §4.3:
 * it MUST be identical to the configured one) or has no http(s) `jwks_uri`. The production
 * gateway also takes the keys URL from discovery (providers.py `_fetch_well_known`/`_fetch_jwks`,
 * L216-242 @823ced4678f5); URLs never come from a token.
 */
export async function discoverJwksUri(issuer: string): Promise<URL> {
  const url = discoveryUrl(issuer);
  const res = await fetch(url, { headers: outboundTraceHeaders(), redirect: 'manual', signal: AbortSignal.timeout(ISSUER_FETCH_TIMEOUT_MS) });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  const document = (await res.json().catch(() => undefined)) as { issuer?: unknown; jwks_uri?: unknown } | undefined;
  if (document?.issuer !== issuer) throw new Error(`${url} names the issuer ${JSON.stringify(document?.issuer)}, not ${JSON.stringify(issuer)}`);
  const jwksUri = typeof document.jwks_uri === 'string' && URL.canParse(document.jwks_uri) ? new URL(document.jwks_uri) : undefined;
  if (jwksUri?.protocol !== 'https:' && jwksUri?.protocol !== 'http:') throw new Error(`${url} has no http(s) jwks_uri`);
  return jwksUri;
}

/**
 * The trusted issuer a token names in `iss`, read before verification and only to choose whose
 * keys may verify it (verification then checks `iss` again); undefined for an untrusted or
 * unreadable token. Never throws.
 */
export function claimedTrustedIssuer(token: string, trusted: ReadonlySet<string>): string | undefined {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' && trusted.has(iss) ? iss : undefined;
  } catch {
    return undefined;
  }
}

/**
 * jose options of a correct gateway: RS256 only (RFC 8725 §3.1), `iss` the issuer whose keys
 * verify (RFC 8725 §3.8), `aud` containing `gitlab-ai-gateway` with no legacy audience, `exp` and
 * `aud` required (RFC 8725 §3.9; python-jose accepts tokens without them); `nbf` and `exp` with
 * the given leeway. jose refuses a `crit` it does not understand (RFC 7515 §4.1.11).
 */
export function verifyOptions(issuer: string, clockToleranceSeconds: number): JWTVerifyOptions {
  return {
    algorithms: [AI_TOKEN.ALGORITHM],
    issuer,
    audience: AUDIENCE.AI_GATEWAY,
    requiredClaims: ['exp', 'aud'],
    clockTolerance: clockToleranceSeconds,
  };
}

/** An error's message for a readiness report; never includes a token (none reaches the code that fetches keys). */
export const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
