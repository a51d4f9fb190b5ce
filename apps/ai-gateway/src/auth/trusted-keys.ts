import { importJWK, type CryptoKey } from 'jose';

/** A verification key from a trusted issuer's JWKS, imported once. */
export interface TrustedKey {
  readonly kid: string | undefined;
  /** The issuer as its discovery document spells it: a token's `iss` must equal it exactly. */
  readonly issuer: string;
  /** The configured trusted issuer whose JWKS published the key (the key cache's entry). */
  readonly trustedIssuer: string;
  /**
   * alg -> the key imported for it (WebCrypto binds a key to one algorithm): its own `alg`, or
   * every allowed algorithm of its key type. jose uses a CryptoKey as is, without converting it
   * per call, and hands it back from a key resolver, so trustedKeyOf() names the key that verified.
   */
  readonly verificationKeys: ReadonlyMap<string, CryptoKey>;
}

export interface RejectedJwk {
  kid: string | undefined;
  reason: string;
}

export const MIN_RSA_BITS = 2048;

/** Members that only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const EC_CURVE_BY_ALG: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** Every imported CryptoKey -> its TrustedKey. Weak: a key dropped from every cache goes with it. */
const OWNER = new WeakMap<CryptoKey, TrustedKey>();

/** The trusted key a CryptoKey was imported for (jwtVerify's `key` result), or undefined for any other key. */
export function trustedKeyOf(key: unknown): TrustedKey | undefined {
  return typeof key === 'object' && key !== null ? OWNER.get(key as CryptoKey) : undefined;
}

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

  const verificationKeys = new Map<string, CryptoKey>();
  try {
    for (const alg of family) verificationKeys.set(alg, (await importJWK(material, alg)) as CryptoKey);
  } catch {
    return reject('not a valid public key');
  }
  const bits = (verificationKeys.values().next().value!.algorithm as { modulusLength?: number }).modulusLength;
  if (jwk.kty === 'RSA' && (bits === undefined || bits < MIN_RSA_BITS)) return reject(`RSA key of ${bits ?? '?'} bits (minimum ${MIN_RSA_BITS})`);
  const key: TrustedKey = { kid, issuer: origin.issuer, trustedIssuer: origin.trustedIssuer, verificationKeys };
  for (const cryptoKey of verificationKeys.values()) OWNER.set(cryptoKey, key);
  return key;
}

/** A member's value for a log line: a short quoted string, else only its type (never walks a nested value). */
function shown(value: unknown): string {
  return typeof value === 'string' ? `'${value.slice(0, 64)}'` : `of type ${value === null ? 'null' : typeof value}`;
}
