import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createVerifier } from 'fast-jwt';

/**
 * A compact JWS checked under one key and one algorithm (fast-jwt's verifier, made once per
 * key and algorithm): the base64url segments, the header and payload as JSON objects, `alg`
 * equal to the verifier's, the signature and `crit` (none is understood). Returns the claims;
 * throws fast-jwt's TokenError. `exp`, `nbf` and `aud` are the caller's (registered-claims.ts),
 * which reads them against the gateway's clock and the audiences accepted now.
 */
export type SignatureVerifier = (token: string) => Record<string, unknown>;

/** A verification key from a trusted issuer's JWKS, imported once. */
export interface TrustedKey {
  readonly kid: string | undefined;
  /** The issuer as its discovery document spells it: a token's `iss` must equal it exactly. */
  readonly issuer: string;
  /** The configured trusted issuer whose JWKS published the key (the key cache's entry). */
  readonly trustedIssuer: string;
  /**
   * alg -> the verifier for it: the key's own `alg`, or every allowed algorithm of its key type.
   * Made when the key is imported, so a token costs no key conversion and no option parsing.
   */
  readonly verifiers: ReadonlyMap<string, SignatureVerifier>;
}

export interface RejectedJwk {
  kid: string | undefined;
  reason: string;
}

export const MIN_RSA_BITS = 2048;

/** Members that only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const EC_CURVE_BY_ALG: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/**
 * Filters a JWKS down to keys fit to verify tokens and imports each once, per algorithm.
 * Refused: private or symmetric material, `use` other than sig, `key_ops` without verify, an
 * `alg` outside the allowed set, key types no allowed algorithm uses, RSA keys under 2048 bits.
 */
export async function importTrustedKeys(
  jwks: readonly unknown[],
  origin: { issuer: string; trustedIssuer: string },
  allowedAlgorithms: readonly string[],
): Promise<{ keys: TrustedKey[]; rejected: RejectedJwk[] }> {
  const keys: TrustedKey[] = [];
  const rejected: RejectedJwk[] = [];
  for (const entry of jwks) {
    const result = await importOne(entry, origin, allowedAlgorithms);
    if ('reason' in result) rejected.push(result);
    else keys.push(result);
  }
  return { keys, rejected };
}

async function importOne(entry: unknown, origin: { issuer: string; trustedIssuer: string }, allowed: readonly string[]): Promise<TrustedKey | RejectedJwk> {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return { kid: undefined, reason: 'not a JSON object' };
  const jwk = entry as Record<string, unknown>;
  const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
  const reject = (reason: string): RejectedJwk => ({ kid, reason });

  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid === '')) return reject('kid is not a non-empty string');
  const privateMember = PRIVATE_MEMBERS.find((m) => m in jwk);
  if (privateMember) return reject(`carries private or symmetric key material ('${privateMember}')`);
  if (jwk.use !== undefined && jwk.use !== 'sig') return reject(`use is ${shown(jwk.use)}, not 'sig'`);
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return reject('key_ops does not include verify');
  }

  let family: string[];
  let material: Record<string, unknown>;
  if (jwk.kty === 'RSA') {
    family = allowed.filter((a) => a.startsWith('RS') || a.startsWith('PS'));
    material = { kty: 'RSA', n: jwk.n, e: jwk.e };
  } else if (jwk.kty === 'EC') {
    family = allowed.filter((a) => EC_CURVE_BY_ALG[a] === jwk.crv);
    material = { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
  } else {
    return reject(`kty ${shown(jwk.kty)} is not supported`);
  }
  if (jwk.alg !== undefined) {
    if (typeof jwk.alg !== 'string' || !family.includes(jwk.alg)) return reject(`alg ${shown(jwk.alg)} is not allowed for this key`);
    family = [jwk.alg];
  }
  if (family.length === 0) return reject(`no allowed algorithm (${allowed.join(', ')}) uses this key type`);

  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: material as JsonWebKey, format: 'jwk' });
  } catch {
    return reject('not a valid public key');
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength;
  if (jwk.kty === 'RSA' && (bits === undefined || bits < MIN_RSA_BITS)) return reject(`RSA key of ${bits ?? '?'} bits (minimum ${MIN_RSA_BITS})`);
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const verifiers = new Map<string, SignatureVerifier>();
  try {
    for (const alg of family) verifiers.set(alg, signatureVerifier(pem, alg));
  } catch {
    // fast-jwt reads the algorithms the key can serve from its SPKI (an EC key's curve): none of ours.
    return reject(`not a public key for ${family.join(', ')}`);
  }
  return { kid, issuer: origin.issuer, trustedIssuer: origin.trustedIssuer, verifiers };
}

/**
 * fast-jwt's verifier for one key and one algorithm. Its clock-based checks are off: `exp`, `nbf`
 * and `aud` are read by registered-claims.ts against the injected clock and the audiences of the
 * moment. No `crit` extension is understood (RFC 7515 §4.1.11); fast-jwt's cache is off (the
 * gateway's VerifiedTokenCache knows when a key leaves the JWKS, fast-jwt's would not).
 */
function signatureVerifier(pem: string, alg: string): SignatureVerifier {
  return createVerifier({ key: pem, algorithms: [alg as 'RS256'], cache: false, ignoreExpiration: true, ignoreNotBefore: true, allowedCritHeaders: [] }) as SignatureVerifier;
}

/** A member's value for a log line: a short quoted string, else only its type (never walks a nested value). */
function shown(value: unknown): string {
  return typeof value === 'string' ? `'${value.slice(0, 64)}'` : `of type ${value === null ? 'null' : typeof value}`;
}
