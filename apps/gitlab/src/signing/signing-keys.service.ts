import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPair, sign as rsaSign } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { AI_TOKEN, type Jwks, type RsaPublicJwk } from '#contracts';
import type { Clock } from '../instance/di.js';

const MIN_MODULUS_BITS = 2048;

export interface SigningKeyInfo {
  kid: string;
  active: boolean;
  /** ISO time the key was created or loaded. */
  createdAt: string;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: RsaPublicJwk;
  createdAt: string;
}

export class UnknownKeyError extends Error {
  constructor(readonly kid: string) {
    super(`no published signing key has kid '${kid}'`);
  }
}

export class ActiveKeyError extends Error {
  constructor(readonly kid: string) {
    super(`key '${kid}' is the active signing key; activate another key first`);
  }
}

/** A signing key file that cannot be used (the message never includes key material). */
export class SigningKeyFileError extends Error {}

/**
 * The instance's RSA signing keys: one active key signs new tokens; retired keys stay
 * published in the JWKS until removed, so tokens they signed keep verifying (rotation).
 * Keys are imported once as KeyObjects; the kid is the RFC 7638 JWK thumbprint, so the same
 * key always gets the same kid. Signing uses node:crypto directly (RSASSA-PKCS1-v1_5 with
 * SHA-256 = RS256) over exactly the header and claims given, which lets the control API
 * produce tokens with unusual but RS256-signed headers (crit, jku, no kid) for the harness.
 */
export class SigningKeys {
  private readonly keys = new Map<string, SigningKey>();
  private active: string;
  private jwks: Jwks = { keys: [] };

  private constructor(
    first: SigningKey,
    private readonly clock: Clock,
  ) {
    this.keys.set(first.kid, first);
    this.active = first.kid;
    this.refreshJwks();
  }

  /** Loads the key of SIGNING_KEY_FILE (PKCS#8 PEM), or generates a 2048-bit key. */
  static async create(clock: Clock, pem?: string): Promise<SigningKeys> {
    const first = pem === undefined ? await generateKey(clock) : await keyFromPem(pem, clock);
    return new SigningKeys(first, clock);
  }

  get activeKid(): string {
    return this.active;
  }

  has(kid: string): boolean {
    return this.keys.has(kid);
  }

  list(): SigningKeyInfo[] {
    return [...this.keys.values()].map((k) => ({ kid: k.kid, active: k.kid === this.active, createdAt: k.createdAt }));
  }

  /** The JWKS as GitLab publishes it: kty, kid, e, n, use, alg of every published key. */
  publicJwks(): Jwks {
    return this.jwks;
  }

  /**
   * The published keys with their private members, the active key first, as the OAuth
   * authorization server takes them (oidc-provider's `jwks`: it signs ID tokens with the first
   * key that fits). Same kid, use and alg as publicJwks(), so ID tokens verify against the
   * instance's JWKS: one key set for OAuth and the AI tokens. Never served or logged.
   */
  privateJwks(): Array<Record<string, unknown>> {
    const ordered = [...this.keys.values()].sort((a, b) => Number(b.kid === this.active) - Number(a.kid === this.active));
    return ordered.map((k) => ({ ...(k.privateKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: k.kid, use: 'sig', alg: AI_TOKEN.ALGORITHM }));
  }

  /**
   * Signs a JWS in compact form over exactly this header and payload with the active key (or
   * the published key `kid`). The header must say alg RS256: that is the only algorithm
   * these keys sign with.
   */
  sign(header: Readonly<Record<string, unknown>>, claims: Readonly<Record<string, unknown>>, kid?: string): string {
    if (header.alg !== AI_TOKEN.ALGORITHM) throw new Error(`SigningKeys signs ${AI_TOKEN.ALGORITHM} only (header alg ${String(header.alg)})`);
    const key = this.keys.get(kid ?? this.active);
    if (!key) throw new UnknownKeyError(kid ?? this.active);
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = rsaSign('sha256', Buffer.from(input), key.privateKey);
    return `${input}.${signature.toString('base64url')}`;
  }

  /** Generates and publishes a new key; makes it the active one unless told otherwise. */
  async add(options: { activate: boolean }): Promise<string> {
    const key = await generateKey(this.clock);
    this.keys.set(key.kid, key);
    if (options.activate) this.active = key.kid;
    this.refreshJwks();
    return key.kid;
  }

  activate(kid: string): void {
    if (!this.keys.has(kid)) throw new UnknownKeyError(kid);
    this.active = kid;
  }

  /** Unpublishes a retired key; the active key cannot be removed. */
  remove(kid: string): void {
    if (!this.keys.has(kid)) throw new UnknownKeyError(kid);
    if (kid === this.active) throw new ActiveKeyError(kid);
    this.keys.delete(kid);
    this.refreshJwks();
  }

  private refreshJwks(): void {
    this.jwks = { keys: [...this.keys.values()].map((k) => ({ ...k.publicJwk })) };
  }
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

async function toSigningKey(privateKey: KeyObject, clock: Clock): Promise<SigningKey> {
  const jwk = await exportJWK(createPublicKey(privateKey));
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e) throw new SigningKeyFileError('not an RSA key');
  const kid = await calculateJwkThumbprint({ kty: 'RSA', e: jwk.e, n: jwk.n }, 'sha256');
  // Exactly GitLab's members, in its order; nothing private can slip in.
  const publicJwk: RsaPublicJwk = { kty: 'RSA', kid, e: jwk.e, n: jwk.n, use: 'sig', alg: 'RS256' };
  return { kid, privateKey, publicJwk, createdAt: new Date(clock.now()).toISOString() };
}

async function generateKey(clock: Clock): Promise<SigningKey> {
  const privateKey = await new Promise<KeyObject>((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: MIN_MODULUS_BITS }, (err, _pub, priv) => (err ? reject(err) : resolve(priv))),
  );
  return toSigningKey(privateKey, clock);
}

async function keyFromPem(pem: string, clock: Clock): Promise<SigningKey> {
  if (!/-----BEGIN PRIVATE KEY-----/.test(pem)) {
    throw new SigningKeyFileError('must be an unencrypted PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new SigningKeyFileError('cannot be parsed as a PKCS#8 PEM private key');
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new SigningKeyFileError(`must be an RSA key (got ${privateKey.asymmetricKeyType ?? 'unknown'})`);
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_MODULUS_BITS) throw new SigningKeyFileError(`RSA modulus must be at least ${MIN_MODULUS_BITS} bits (got ${bits})`);
  return toSigningKey(privateKey, clock);
}
