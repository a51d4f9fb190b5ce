import { createPublicKey, type KeyObject } from 'node:crypto';

/** A verification key from a trusted issuer's JWKS, imported once. */
export interface TrustedKey {
  readonly kid: string | undefined;
  /** The issuer as its discovery document spells it: a token's `iss` must equal it exactly. */
  readonly issuer: string;
  /** The configured trusted issuer whose JWKS published the key (the key cache's entry). */
  readonly trustedIssuer: string;
  readonly key: KeyObject;
  /** Algorithms this key may verify: its own `alg`, or every allowed algorithm of its key type. */
  readonly algorithms: readonly string[];
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
 * Filters a JWKS down to keys fit to verify tokens and imports each once as a KeyObject.
 * Refused: private or symmetric material, `use` other than sig, `key_ops` without verify, an
 * `alg` outside the allowed set, key types no allowed algorithm uses, RSA keys under 2048 bits.
 */
export function importTrustedKeys(
  jwks: readonly unknown[],
  origin: { issuer: string; trustedIssuer: string },
  allowedAlgorithms: readonly string[],
): { keys: TrustedKey[]; rejected: RejectedJwk[] } {
  const keys: TrustedKey[] = [];
  const rejected: RejectedJwk[] = [];
  for (const entry of jwks) {
    const result = importOne(entry, origin, allowedAlgorithms);
    if ('reason' in result) rejected.push(result);
    else keys.push(result);
  }
  return { keys, rejected };
}

function importOne(entry: unknown, origin: { issuer: string; trustedIssuer: string }, allowed: readonly string[]): TrustedKey | RejectedJwk {
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

  let key: KeyObject;
  try {
    key = createPublicKey({ key: material as never, format: 'jwk' });
  } catch {
    return reject('not a valid public key');
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (jwk.kty === 'RSA' && (bits === undefined || bits < MIN_RSA_BITS)) return reject(`RSA key of ${bits ?? '?'} bits (minimum ${MIN_RSA_BITS})`);
  return { kid, issuer: origin.issuer, trustedIssuer: origin.trustedIssuer, key, algorithms: family };
}

/** A member's value for a log line: a short quoted string, else only its type (never walks a nested value). */
function shown(value: unknown): string {
  return typeof value === 'string' ? `'${value.slice(0, 64)}'` : `of type ${value === null ? 'null' : typeof value}`;
}
