import { errors, jwtVerify, type JWTPayload } from 'jose';
import { hasLegacyTokenShape, LEGACY_AUDIENCE_IMPLIED_SCOPES } from '#contracts';
import type { Clock } from '../di.js';
import type { AuthSettings } from './auth-settings.js';
import type { JwksCache } from './jwks-cache.js';
import type { TrustedKey } from './trusted-keys.js';

/** Tokens above this size are refused before any parsing (GitLab's are well under 2 KiB). */
export const MAX_TOKEN_BYTES = 8 * 1024;

/** Why a token was refused: for logs and tests only, never sent to the caller. */
export type RejectReason =
  | 'oversized'
  | 'malformed'
  | 'alg-not-allowed'
  | 'crit-unsupported'
  | 'untrusted-issuer'
  | 'unknown-kid'
  | 'no-keys'
  | 'bad-signature'
  | 'issuer-mismatch'
  | 'audience'
  | 'expired'
  | 'not-yet-valid'
  | 'invalid-claims';

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

export interface RejectedToken {
  ok: false;
  reason: RejectReason;
  /** A sentence for the log; never contains the token. */
  detail: string;
  kid?: string | undefined;
  iss?: string | undefined;
}

export type Verification = VerifiedToken | RejectedToken;

/** Three base64url segments; the signature may be empty only for `alg: none`, which is refused below. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const NO_SCOPES: readonly string[] = Object.freeze([]);
const LOGGABLE = 200;

/**
 * Verifies AI access tokens (RFC 7519 / RFC 8725) against the trusted issuers' keys. Cheap
 * checks that need no key run first (size, shape, `alg`, `crit`, `iss`), so garbage costs no
 * key lookup or fetch. Keys come only from the JwksCache: `jwk`, `jku`, `x5u` and `x5c`
 * headers are never read. The signature and the registered claims are checked by jose's
 * jwtVerify with the imported KeyObject: `aud` (one of the accepted audiences) and `exp` are
 * required, and `iss` must equal, exactly, the issuer that published the key as its discovery
 * document spells it (RFC 8414 §3.3, OpenID Connect Discovery §4.3).
 */
export class TokenVerifier {
  constructor(
    private readonly settings: AuthSettings,
    private readonly keys: JwksCache,
    private readonly clock: Clock = Date.now,
  ) {}

  async verify(token: string): Promise<Verification> {
    if (token.length > MAX_TOKEN_BYTES) return reject('oversized', `token of ${token.length} bytes exceeds ${MAX_TOKEN_BYTES}`);
    if (!COMPACT_JWS.test(token)) return reject('malformed', 'not three base64url segments');
    const firstDot = token.indexOf('.');
    const header = decodeJsonObject(token.slice(0, firstDot));
    if (!header) return reject('malformed', 'header is not a base64url JSON object');

    const alg = header.alg;
    if (typeof alg !== 'string' || !this.settings.algorithmSet.has(alg)) {
      return reject('alg-not-allowed', `alg ${loggable(alg)} is not one of ${this.settings.algorithms.join(', ')}`);
    }
    // We implement no JWS extension, so any `crit` names one we do not understand (RFC 7515 §4.1.11).
    if (header.crit !== undefined) return reject('crit-unsupported', `crit ${loggable(header.crit)} names an unsupported extension`);
    const kid = header.kid;
    if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) return reject('malformed', 'kid is not a non-empty string');

    const payload = decodeJsonObject(token.slice(firstDot + 1, token.indexOf('.', firstDot + 1)));
    if (!payload) return reject('malformed', 'payload is not a base64url JSON object', kid);
    const iss = payload.iss;
    const trusted = this.settings.trustedIssuerFor(iss);
    if (trusted === undefined) return reject('untrusted-issuer', `iss ${loggable(iss)} is not a trusted issuer`, kid, iss);

    const candidates = this.keys.lookup(trusted, kid) ?? (await this.keys.candidates(trusted, kid));
    if (candidates.length === 0) {
      return kid === undefined
        ? reject('no-keys', `no usable key of ${trusted} is loaded`, kid, iss)
        : reject('unknown-kid', `kid ${loggable(kid)} is not a key of any trusted issuer`, kid, iss);
    }
    return this.verifyWithKeys(token, alg, candidates, kid, iss);
  }

  private async verifyWithKeys(token: string, alg: string, candidates: readonly TrustedKey[], kid: string | undefined, iss: unknown): Promise<Verification> {
    const currentDate = new Date(this.clock());
    let tried = 0;
    for (const candidate of candidates) {
      if (!candidate.algorithms.includes(alg)) continue;
      tried++;
      try {
        const { payload } = await jwtVerify(token, candidate.key, {
          algorithms: candidate.algorithms as string[],
          issuer: candidate.issuer,
          audience: this.settings.acceptedAudiences as string[],
          clockTolerance: this.settings.clockSkewSeconds,
          requiredClaims: ['exp'],
          currentDate,
        });
        return this.accept(payload, candidate, kid);
      } catch (e) {
        // A bad signature under one key: a token without kid may still match another key.
        if (e instanceof errors.JWSSignatureVerificationFailed) continue;
        return rejectFromJose(e, kid, iss, candidate.issuer);
      }
    }
    return tried === 0
      ? reject('alg-not-allowed', `no key of ${loggable(iss)} is meant for ${alg}`, kid, iss)
      : reject('bad-signature', `signature does not verify with ${tried} trusted key(s)`, kid, iss);
  }

  private accept(payload: JWTPayload, key: TrustedKey, kid: string | undefined): Verification {
    const claims = payload as JWTPayload & Record<string, unknown>;
    const scopes = claims.scopes;
    if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every((s) => typeof s === 'string'))) {
      return reject('invalid-claims', 'scopes is not an array of strings', kid, key.issuer);
    }
    // A token of the legacy issuer (Gitlab::CodeSuggestions::AccessToken) has no scopes claim: it
    // was good for code suggestions and nothing else (seed 002). jose has already checked that
    // its audience is accepted: as the current one (a pre-migration gateway) or through the open
    // window. A token that also names the new audience gets no such allowance, and neither does
    // one with any claim the legacy token never had: the same issuer signs other tokens (a CI
    // job's ID token, whose `aud` its author picks) that must grant nothing (RFC 8725 §2.8, §3.12).
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const { audience, legacyAudience: legacy } = this.settings;
    const legacyAudience = audiences.includes(legacy) && (audience === legacy || !audiences.includes(audience));
    const impliedScopes = legacyAudience && hasLegacyTokenShape(claims) ? LEGACY_AUDIENCE_IMPLIED_SCOPES : NO_SCOPES;
    return {
      ok: true,
      claims,
      scopes: (scopes as string[] | undefined) ?? impliedScopes,
      issuer: key.issuer,
      kid,
      legacyAudience,
    };
  }
}

function reject(reason: RejectReason, detail: string, kid?: unknown, iss?: unknown): RejectedToken {
  return {
    ok: false,
    reason,
    detail,
    kid: typeof kid === 'string' ? kid.slice(0, LOGGABLE) : undefined,
    iss: typeof iss === 'string' ? iss.slice(0, LOGGABLE) : undefined,
  };
}

function rejectFromJose(e: unknown, kid: string | undefined, iss: unknown, keyIssuer: string): RejectedToken {
  if (e instanceof errors.JWTExpired) return reject('expired', 'exp is in the past (beyond the allowed clock skew)', kid, iss);
  if (e instanceof errors.JWTClaimValidationFailed) {
    switch (e.claim) {
      case 'nbf':
        return reject('not-yet-valid', 'nbf is in the future (beyond the allowed clock skew)', kid, iss);
      case 'aud':
        return reject('audience', e.reason === 'missing' ? 'aud is missing' : 'aud does not contain an accepted audience', kid, iss);
      case 'iss':
        return reject('issuer-mismatch', `iss is not ${JSON.stringify(keyIssuer)}, the issuer (as its discovery document spells it) that published the signing key`, kid, iss);
      default:
        return reject('invalid-claims', `claim ${e.claim}: ${e.reason}`, kid, iss);
    }
  }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) {
    return reject('alg-not-allowed', 'algorithm not allowed for the key', kid, iss);
  }
  if (e instanceof errors.JWTInvalid || e instanceof errors.JWSInvalid) return reject('malformed', `invalid JWT (${e.code})`, kid, iss);
  return reject('malformed', `unverifiable token (${(e as Error)?.name ?? 'error'})`, kid, iss);
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A claim or header value for a log line: a string shortened and JSON-quoted, else its type (a nested value is never walked). */
function loggable(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > LOGGABLE ? `${value.slice(0, LOGGABLE)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `(${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`;
}
