import type { JWTPayload } from 'jose';
import { hasLegacyTokenShape, LEGACY_AUDIENCE_IMPLIED_SCOPES } from '#contracts';
import type { Clock } from '../di.js';
import type { AuthSettings } from './auth-settings.js';
import { ISSUER_NEEDED, type JwksCache } from './jwks-cache.js';
import { ProtectedHeaders } from './protected-header.js';
import { registeredClaimsRefusal } from './registered-claims.js';
import { BASE64URL, decodeJsonSegment, issuerOf, loggable, refusalOf, reject, signatureDoesNotVerify, type RejectedToken, type RejectReason } from './token-refusals.js';
import type { TrustedKey } from './trusted-keys.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export type { RejectedToken, RejectReason } from './token-refusals.js';

/** Tokens above this size are refused before any parsing (GitLab's are well under 2 KiB). */
export const MAX_TOKEN_BYTES = 8 * 1024;

export interface VerifiedToken {
  ok: true;
  claims: JWTPayload & Record<string, unknown>;
  /**
   * Unit primitives granted: the `scopes` claim; ["code_suggestions"] for a token of exactly the
   * legacy claim shape accepted for the legacy audience; otherwise none.
   */
  scopes: readonly string[];
  issuer: string;
  kid: string | undefined;
  /** The token was accepted for the legacy audience only (seed 002 compatibility window). */
  legacyAudience: boolean;
}

export type Verification = VerifiedToken | RejectedToken;

const NO_SCOPES: readonly string[] = Object.freeze([]);

/**
 * Verifies AI access tokens (RFC 7519 / RFC 8725) against the trusted issuers' keys. The
 * protected header is read first (ProtectedHeaders: a JSON object, `alg` a string, no `crit`),
 * `alg` must be one of AIGW_ALGORITHMS, and the key is picked from the JwksCache by `kid`; the
 * claims are read before that only when the cache needs `iss` (no `kid`, or a `kid` no usable
 * key holds), so an untrusted issuer costs no fetch. `jwk`, `jku`, `x5u` and `x5c` headers are
 * never read. The key's SignatureVerifier (fast-jwt, made when the key was imported) checks the
 * segments, the signature and parses the claims once; registered-claims.ts then checks `exp`
 * (required), `aud` (one of the accepted audiences), `iat` and `nbf` against the injected clock;
 * then `iss` must equal, exactly, the issuer that published the verifying key as its discovery
 * document spells it (RFC 8414 §3.3, OpenID Connect Discovery §4.3).
 */
export class TokenVerifier {
  private readonly verified: VerifiedTokenCache;
  private readonly headers = new ProtectedHeaders();

  /** `verifiedTokenCacheEntries` (AIGW_VERIFIED_TOKEN_CACHE_ENTRIES): 0 verifies every token every time. */
  constructor(
    private readonly settings: AuthSettings,
    private readonly keys: JwksCache,
    private readonly clock: Clock = Date.now,
    verifiedTokenCacheEntries = 0,
  ) {
    this.verified = new VerifiedTokenCache({
      maxEntries: verifiedTokenCacheEntries,
      clock,
      clockToleranceSeconds: settings.clockSkewSeconds,
      policyGeneration: () => settings.generation,
      keyStillHeld: (key) => keys.holds(key),
    });
  }

  /**
   * The verification of `token`: synchronous, unless its keys must be loaded first (no `kid`, or
   * a `kid` no usable key holds). Never throws or rejects by contract: a refusal is a result.
   */
  verify(token: string): Verification | Promise<Verification> {
    const earlier = this.verified.get(token);
    if (earlier !== undefined) return earlier;
    if (token.length > MAX_TOKEN_BYTES) return reject('oversized', `token of ${token.length} bytes exceeds ${MAX_TOKEN_BYTES}`);
    // Three segments. Their alphabet is checked where each is decoded: the header by
    // ProtectedHeaders, the claims below or by the key's verifier (fast-jwt's decoder), which
    // also refuses an empty signature; one scan of each, not two.
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first <= 0 || second < 0 || token.includes('.', second + 1)) return reject('malformed', 'not three base64url segments');
    const header = this.headers.read(token.slice(0, first));
    if ('ok' in header) return reject(header.reason, header.detail, header.kid, issuerOf(token));
    const { alg, kid } = header;
    if (!this.settings.algorithms.includes(alg)) return reject('alg-not-allowed', `alg ${loggable(alg)} is not allowed`, kid, issuerOf(token));

    const held = this.keys.keysFor(kid);
    if (held !== ISSUER_NEEDED) return this.verifyWith(token, held, alg, kid);
    const payload = token.slice(first + 1, second);
    const claims = BASE64URL.test(payload) ? decodeJsonSegment(payload) : undefined;
    if (claims === undefined) return reject('malformed', 'payload is not a base64url JSON object', kid);
    const { iss } = claims;
    const trusted = this.settings.trustedIssuerFor(iss);
    if (trusted === undefined) return reject('untrusted-issuer', `iss ${loggable(iss)} is not a trusted issuer`, kid, iss);
    const answer = this.keys.keysFor(kid, trusted);
    return answer instanceof Promise ? answer.then((keys) => this.verifyWith(token, keys, alg, kid)) : this.verifyWith(token, answer, alg, kid);
  }

  /**
   * The token under each of `keys` meant for `alg` until one verifies it: one key on the
   * per-keystroke path, several when the token has no `kid` or one `kid` names several keys. A
   * bad signature under one key moves on to the next; any other refusal ends the search.
   */
  private verifyWith(token: string, keys: readonly TrustedKey[], alg: string, kid: string | undefined): Verification {
    let candidates = 0;
    for (const key of keys) {
      const verifier = key.verifiers.get(alg);
      if (verifier === undefined) continue;
      candidates++;
      let claims: Record<string, unknown>;
      try {
        claims = verifier(token);
      } catch (e) {
        if (signatureDoesNotVerify(e)) continue;
        return refusalOf(e, token, kid);
      }
      const result = this.accept(claims, key, kid);
      if (result.ok) this.verified.set(token, result, key);
      return result;
    }
    const refuse = (reason: RejectReason, detail: string) => reject(reason, detail, kid, issuerOf(token));
    if (candidates === 1) return refuse('bad-signature', 'signature does not verify with the trusted key');
    if (candidates > 1) return refuse('bad-signature', `signature does not verify with ${candidates} trusted keys`);
    if (keys.length > 0) return refuse('alg-not-allowed', `none of the ${keys.length} candidate keys is meant for ${alg}`);
    if (kid === undefined) return refuse('no-keys', `no usable key of ${loggable(issuerOf(token))} is loaded`);
    return refuse('unknown-kid', `kid ${loggable(kid)} is not a key of any trusted issuer`);
  }

  /** Checks the registered claims, binds `iss` to the key's issuer, then reads the unit primitives the token grants. */
  private accept(payload: Record<string, unknown>, key: TrustedKey, kid: string | undefined): Verification {
    const { acceptedAudiences, clockSkewSeconds } = this.settings;
    const refused = registeredClaimsRefusal(payload, acceptedAudiences, Math.floor(this.clock() / 1000), clockSkewSeconds, kid);
    if (refused !== undefined) return refused;
    const claims = payload as JWTPayload & Record<string, unknown>;
    if (claims.iss !== key.issuer) {
      return this.settings.trustedIssuerFor(claims.iss) === undefined
        ? reject('untrusted-issuer', `iss ${loggable(claims.iss)} is not a trusted issuer`, kid, claims.iss)
        : reject('issuer-mismatch', `iss is not ${JSON.stringify(key.issuer)}, the issuer (as its discovery document spells it) that published the signing key`, kid, claims.iss);
    }
    const scopes = claims.scopes;
    if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every(isString))) {
      return reject('invalid-claims', 'scopes is not an array of strings', kid, key.issuer);
    }
    // A token of the legacy issuer (Gitlab::CodeSuggestions::AccessToken) has no scopes claim: it
    // was good for code suggestions and nothing else (seed 002). registeredClaimsRefusal has
    // already checked that its audience is accepted: as the current one (a pre-migration gateway)
    // or through the open window. A token that also names the new audience gets no such
    // allowance, and neither does one with any claim the legacy token never had: the same issuer
    // signs other tokens (a CI job's ID token, whose `aud` its author picks) that must grant
    // nothing (RFC 8725 §2.8, §3.12).
    const { audience, legacyAudience: legacy } = this.settings;
    const legacyAudience = names(claims.aud, legacy) && (audience === legacy || !names(claims.aud, audience));
    const impliedScopes = legacyAudience && hasLegacyTokenShape(claims) ? LEGACY_AUDIENCE_IMPLIED_SCOPES : NO_SCOPES;
    return { ok: true, claims, scopes: (scopes as string[] | undefined) ?? impliedScopes, issuer: key.issuer, kid, legacyAudience };
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** Whether an `aud` claim (a string or an array of them, RFC 7519 §4.1.3) names `audience`. */
function names(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}
