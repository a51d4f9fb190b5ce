/**
 * JWT helpers for checks: decode without trusting, verify a signature independently of the
 * gateway (node:crypto, not jose, so a jose bug cannot hide in both), and craft hostile tokens
 * (RFC 8725 attacks) from a valid one.
 */
import { createHmac, createPublicKey, createSign, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import type { AiAccessTokenClaims, AiAccessTokenHeader, Jwks, RsaPublicJwk } from '#contracts';
import { fail } from './expect.js';

export interface DecodedJwt {
  header: AiAccessTokenHeader;
  claims: AiAccessTokenClaims;
  signingInput: string;
  signature: Buffer;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const json64 = (value: unknown) => b64url(JSON.stringify(value));

/** Decodes a compact JWS without verifying it; a malformed token fails the check. */
export function decodeJwt(token: string, what = 'the access token'): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) fail(`${what} is not a compact JWS (${parts.length} segments instead of 3)`, { actual: `${parts.length} segments` });
  const [h, p, s] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as AiAccessTokenHeader;
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as AiAccessTokenClaims;
    if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object' || Array.isArray(claims)) {
      throw new Error('header or payload is not a JSON object');
    }
    return { header, claims, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
  } catch (e) {
    return fail(`${what} cannot be decoded: ${(e as Error).message}`);
  }
}

/**
 * Verifies an RS256 signature against a JWKS with node:crypto. Returns the kid of the key that
 * verified it, or undefined. With a kid only that key is tried; without one, every key.
 */
export function verifyRs256WithJwks(token: string, jwks: Jwks): string | undefined {
  const { header, signingInput, signature } = decodeJwt(token);
  if (header.alg !== 'RS256') return undefined;
  const candidates = header.kid ? jwks.keys.filter((k) => k.kid === header.kid) : jwks.keys;
  for (const jwk of candidates) {
    const key = createPublicKey({ key: jwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' });
    if (verify('RSA-SHA256', Buffer.from(signingInput), key, signature)) return jwk.kid;
  }
  return undefined;
}

/** alg "none" with an empty signature (RFC 8725 §2.1). */
export function withAlgNone(token: string): string {
  const { header, claims } = decodeJwt(token);
  const { kid: _kid, ...rest } = header;
  return `${json64({ ...rest, alg: 'none' })}.${json64(claims)}.`;
}

/** HS256 keyed with the issuer's RSA public key as PEM text: the classic algorithm confusion (RFC 8725 §2.1). */
export function withHs256KeyedByPublicKey(token: string, publicJwk: RsaPublicJwk): string {
  const { header, claims } = decodeJwt(token);
  const pem = createPublicKey({ key: publicJwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const input = `${json64({ ...header, alg: 'HS256' })}.${json64(claims)}`;
  return `${input}.${b64url(createHmac('sha256', pem).update(input).digest())}`;
}

/** Same header and signature, different claims: the signature no longer matches. */
export function withAlteredClaims(token: string, changes: Record<string, unknown>): string {
  const [h, , s] = token.split('.');
  const { claims } = decodeJwt(token);
  return `${h}.${json64({ ...claims, ...changes })}.${s}`;
}

/** One signature byte flipped. */
export function withCorruptedSignature(token: string): string {
  const { signingInput, signature } = decodeJwt(token);
  const corrupted = Buffer.from(signature);
  corrupted[corrupted.length - 1] = (corrupted[corrupted.length - 1] ?? 0) ^ 0x01;
  return `${signingInput}.${b64url(corrupted)}`;
}

/** An RSA key the issuer never published: the attacker's. */
export class ForeignKey {
  readonly privateKey: KeyObject;
  readonly publicJwk: RsaPublicJwk;

  constructor(readonly kid = 'attacker-key') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    this.publicJwk = { kty: 'RSA', kid, n: jwk.n, e: jwk.e, use: 'sig', alg: 'RS256' };
  }

  /** Signs claims (RS256) with this key and any header parameters (jwk, jku, kid ...). */
  sign(claims: object, header: Record<string, unknown> = {}): string {
    const input = `${json64({ alg: 'RS256', typ: 'JWT', ...header })}.${json64(claims)}`;
    const signature = createSign('RSA-SHA256').update(input).sign(this.privateKey);
    return `${input}.${b64url(signature)}`;
  }
}

/** Tokens of every malformed shape a parser must survive (RFC 7519 §7.2); each must get a 401. */
export function malformedTokens(valid: string): Array<{ name: string; token: string }> {
  const [h, p, s] = valid.split('.') as [string, string, string];
  return [
    { name: 'one segment', token: h },
    { name: 'two segments', token: `${h}.${p}` },
    { name: 'four segments', token: `${h}.${p}.${s}.${s}` },
    { name: 'empty segments', token: '..' },
    { name: 'header not base64url', token: `eyJ!!!.${p}.${s}` },
    { name: 'header not JSON', token: `${b64url('not json')}.${p}.${s}` },
    { name: 'header a JSON array', token: `${b64url('["RS256"]')}.${p}.${s}` },
    { name: 'payload a JSON array', token: `${h}.${b64url('[1,2,3]')}.${s}` },
    { name: 'payload a JSON string', token: `${h}.${b64url('"claims"')}.${s}` },
    { name: 'deeply nested payload', token: `${h}.${b64url('{"a":'.repeat(500) + '1' + '}'.repeat(500))}.${s}` },
    // Large, yet below Node's 16 KiB header limit, so the gateway itself must refuse it.
    { name: 'oversized token (12 KiB)', token: `${h}.${b64url(JSON.stringify({ pad: 'x'.repeat(9 * 1024) }))}.${s}` },
    { name: 'alg not a string', token: `${json64({ alg: 256, typ: 'JWT' })}.${p}.${s}` },
    { name: 'signature not base64url', token: `${h}.${p}.%%%%` },
  ];
}
