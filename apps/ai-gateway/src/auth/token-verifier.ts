import { errors, jwtVerify, type CompactJWSHeaderParameters, type CryptoKey, type FlattenedJWSInput, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { hasLegacyTokenShape, LEGACY_AUDIENCE_IMPLIED_SCOPES } from '#contracts';
import type { Clock } from '../di.js';
import type { AuthSettings } from './auth-settings.js';
import { ISSUER_NEEDED, type JwksCache } from './jwks-cache.js';
import { decodeJsonSegment, loggable, refusal, refusalOf, reject, type RejectedToken } from './token-refusals.js';
import { trustedKeyOf, type TrustedKey } from './trusted-keys.js';
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

/** Three base64url segments; the signature may be empty only for `alg: none`, which jose refuses. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const NO_SCOPES: readonly string[] = Object.freeze([]);

/** More than one key may have signed the token (no `kid`, or one `kid` on several keys): each is tried in turn. */
class SeveralKeys extends Error {
  constructor(
    readonly keys: readonly TrustedKey[],
    readonly alg: string,
    readonly kid: string | undefined,
  ) {
    super('several candidate keys');
  }
}

/**
 * Verifies AI access tokens (RFC 7519 / RFC 8725) against the trusted issuers' keys with one
 * jose jwtVerify call, which parses the header and the claims once each. Before any key is
 * used, jose refuses a header that is not a JSON object, an `alg` outside AIGW_ALGORITHMS and a
 * `crit` naming an extension it does not know; then the key resolver (resolveKey) refuses any
 * other `crit`, picks the key from the JwksCache by `kid`, and reads `iss` only when the cache
 * needs it (no `kid`, or a `kid` no usable key holds), so an untrusted issuer costs no fetch.
 * `jwk`, `jku`, `x5u` and `x5c` headers are never read. jose checks the signature, `aud` (one
 * of the accepted audiences), `exp` (required) and `nbf`; then `iss` must equal, exactly, the
 * issuer that published the verifying key as its discovery document spells it (RFC 8414 §3.3,
 * OpenID Connect Discovery §4.3).
 */
export class TokenVerifier {
  private readonly options: JWTVerifyOptions;
  private readonly verified: VerifiedTokenCache;

  /** `verifiedTokenCacheEntries` (AIGW_VERIFIED_TOKEN_CACHE_ENTRIES): 0 verifies every token every time. */
  constructor(
    private readonly settings: AuthSettings,
    private readonly keys: JwksCache,
    clock: Clock = Date.now,
    verifiedTokenCacheEntries = 0,
  ) {
    this.options = verifyOptions(settings, clock);
    this.verified = new VerifiedTokenCache({
      maxEntries: verifiedTokenCacheEntries,
      clock,
      clockToleranceSeconds: settings.clockSkewSeconds,
      policyGeneration: () => settings.generation,
      keyStillHeld: (key) => keys.holds(key),
    });
  }

  async verify(token: string): Promise<Verification> {
    const earlier = this.verified.get(token);
    if (earlier !== undefined) return earlier;
    if (token.length > MAX_TOKEN_BYTES) return reject('oversized', `token of ${token.length} bytes exceeds ${MAX_TOKEN_BYTES}`);
    if (!COMPACT_JWS.test(token)) return reject('malformed', 'not three base64url segments');
    try {
      const { payload, protectedHeader, key } = await jwtVerify(token, this.resolveKey, this.options);
      const trusted = trustedKeyOf(key);
      if (trusted === undefined) return reject('bad-signature', 'the verifying key is not a trusted key', protectedHeader.kid, payload.iss);
      return this.remember(token, this.accept(payload, trusted, protectedHeader.kid), trusted);
    } catch (e) {
      if (e instanceof SeveralKeys) return this.verifyWithEach(token, e);
      return refusalOf(e, token);
    }
  }

  /**
   * jwtVerify's key resolver, made once. jose calls it with the parsed protected header once
   * `alg` and `crit` have passed, and with the raw segments (`jws.payload` is read only here,
   * and only when the cache needs the issuer).
   */
  private readonly resolveKey = (header: CompactJWSHeaderParameters, jws: FlattenedJWSInput): CryptoKey | Promise<CryptoKey> => {
    // jose implements one extension (b64, RFC 7797); we implement none (RFC 7515 §4.1.11).
    if (header.crit !== undefined) throw refusal('crit-unsupported', `crit ${loggable(header.crit)} names an unsupported extension`);
    const { kid, alg } = header;
    if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) throw refusal('malformed', 'kid is not a non-empty string');
    const held = this.keys.keysFor(kid);
    if (held !== ISSUER_NEEDED) return this.pick(held, alg, kid, undefined);

    const claims = typeof jws.payload === 'string' ? decodeJsonSegment(jws.payload) : undefined;
    if (!claims) throw refusal('malformed', 'payload is not a base64url JSON object', kid);
    const { iss } = claims;
    const trusted = this.settings.trustedIssuerFor(iss);
    if (trusted === undefined) throw refusal('untrusted-issuer', `iss ${loggable(iss)} is not a trusted issuer`, kid, iss);
    const answer = this.keys.keysFor(kid, trusted);
    return answer instanceof Promise ? answer.then((keys) => this.pick(keys, alg, kid, iss)) : this.pick(answer, alg, kid, iss);
  };

  /** The one key meant for `alg`; throws a Refusal when there is none, SeveralKeys when there are more. */
  private pick(keys: readonly TrustedKey[], alg: string, kid: string | undefined, iss: unknown): CryptoKey {
    let match: CryptoKey | undefined;
    let matches = 0;
    for (const key of keys) {
      const verificationKey = key.verificationKeys.get(alg);
      if (verificationKey === undefined) continue;
      match ??= verificationKey;
      matches++;
    }
    if (matches === 1) return match!;
    if (matches > 1) throw new SeveralKeys(keys.filter((k) => k.verificationKeys.has(alg)), alg, kid);
    if (keys.length > 0) throw refusal('alg-not-allowed', `none of the ${keys.length} candidate keys is meant for ${alg}`, kid, iss);
    if (kid === undefined) throw refusal('no-keys', `no usable key of ${loggable(iss)} is loaded`, kid, iss);
    throw refusal('unknown-kid', `kid ${loggable(kid)} is not a key of any trusted issuer`, kid, iss);
  }

  /** The slow path for several candidate keys: one jwtVerify per key until one verifies. */
  private async verifyWithEach(token: string, several: SeveralKeys): Promise<Verification> {
    for (const candidate of several.keys) {
      try {
        const { payload } = await jwtVerify(token, candidate.verificationKeys.get(several.alg)!, this.options);
        return this.remember(token, this.accept(payload, candidate, several.kid), candidate);
      } catch (e) {
        // A bad signature under one key: the token may still match another.
        if (!(e instanceof errors.JWSSignatureVerificationFailed)) return refusalOf(e, token);
      }
    }
    return reject('bad-signature', `signature does not verify with ${several.keys.length} trusted keys`, several.kid, decodeJsonSegment(token.split('.', 2)[1]!)?.iss);
  }

  /** An acceptance goes into the verified-token cache; a refusal never does. */
  private remember(token: string, result: Verification, key: TrustedKey): Verification {
    if (result.ok) this.verified.set(token, result, key);
    return result;
  }

  /** Binds `iss` to the key's issuer, then reads the unit primitives the token grants. */
  private accept(payload: JWTPayload, key: TrustedKey, kid: string | undefined): Verification {
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
    // was good for code suggestions and nothing else (seed 002). jose has already checked that
    // its audience is accepted: as the current one (a pre-migration gateway) or through the open
    // window. A token that also names the new audience gets no such allowance, and neither does
    // one with any claim the legacy token never had: the same issuer signs other tokens (a CI
    // job's ID token, whose `aud` its author picks) that must grant nothing (RFC 8725 §2.8, §3.12).
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

/**
 * jwtVerify's options, one object for the verifier's life. jose reads each member once per
 * call, so the getters hand it the audiences accepted now (AuthSettings recomputes the list
 * when the control API changes the audience or the window) and the injected clock's time.
 */
function verifyOptions(settings: AuthSettings, clock: Clock): JWTVerifyOptions {
  return {
    algorithms: settings.algorithms as string[],
    requiredClaims: ['exp'],
    clockTolerance: settings.clockSkewSeconds,
    get audience() {
      return settings.acceptedAudiences as string[];
    },
    get currentDate() {
      return new Date(clock());
    },
  };
}

