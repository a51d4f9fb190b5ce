/**
 * The JWT helpers of the tests: RSA keys of a test issuer, the claims of each token shape GitLab
 * mints (read from contracts), signing (jose), hand-made compact tokens for shapes no library
 * signs, and an independent decode and verify (node:crypto only, so a jose bug cannot hide on
 * both sides). Test support only; the conformance checks have their own (scenarios/checks/jwt.ts).
 */
import { createPublicKey, generateKeyPair, randomUUID, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, type JWK } from 'jose';
import {
  AUDIENCE,
  CI_JOB_ID_TOKEN_CLAIMS,
  CI_JOB_ID_TOKEN_SUB,
  GITLAB_REALM,
  UNIT_PRIMITIVE,
  readDemoFixture,
  type Jwks,
} from '#contracts';

/** A signing key of a test issuer: the private half signs, the public JWK is published. */
export interface TestKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
}

export async function makeRsaKey(kid: string, modulusLength = 2048): Promise<TestKey> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength });
  const publicJwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, use: 'sig', alg: 'RS256' };
  return { kid, privateKey, publicKey, publicJwk };
}

/** Seconds since the epoch (JWT NumericDate, RFC 7519 §2) of a clock in milliseconds. */
export const nowSeconds = (clockMs: number = Date.now()) => Math.floor(clockMs / 1000);

/** The demo SaaS instance's UUID (contracts/fixtures/demo-data.yaml): `sub` of its instance tokens, sent as X-Gitlab-Instance-Id. */
export const INSTANCE_ID = readDemoFixture().saas.instance_id;

function registeredClaims(issuer: string, aud: string, clockMs: number) {
  const iat = nowSeconds(clockMs);
  return { jti: randomUUID(), aud, iss: issuer, iat, nbf: iat - 5, exp: iat + 3600 };
}

/**
 * Claims of today's GitLab instance token (Gitlab::CloudConnector::JsonWebToken, the
 * `cloud-connector` shape of contracts AI_TOKEN_SHAPE_INFO): sub = the instance UUID, realm,
 * scopes; no gitlab_instance_id. Overridable per test (`undefined` drops a claim).
 */
export function aiTokenClaims(issuer: string, overrides: Record<string, unknown> = {}, clockMs: number = Date.now()): Record<string, unknown> {
  return {
    ...registeredClaims(issuer, AUDIENCE.AI_GATEWAY, clockMs),
    sub: INSTANCE_ID,
    gitlab_realm: GITLAB_REALM.SAAS,
    scopes: [UNIT_PRIMITIVE.CODE_SUGGESTIONS],
    ...overrides,
  };
}

/** Claims of the seed-era legacy token (Gitlab::CodeSuggestions::AccessToken): the registered claims and nothing else. */
export function legacyTokenClaims(issuer: string, overrides: Record<string, unknown> = {}, clockMs: number = Date.now()): Record<string, unknown> {
  return { ...registeredClaims(issuer, AUDIENCE.LEGACY_CODE_SUGGESTIONS, clockMs), ...overrides };
}

/** `sub` of the CI job ID token below, bound (as any GitLab-issued `sub`) to X-Gitlab-Instance-Id. */
export const CI_JOB_SUB = CI_JOB_ID_TOKEN_SUB;

/** Claims of a GitLab CI job's ID token (contracts CI_JOB_ID_TOKEN_CLAIMS) with an `aud` the job's author chooses. */
export function ciJobTokenClaims(issuer: string, aud: string, clockMs: number = Date.now()): Record<string, unknown> {
  return { ...registeredClaims(issuer, aud, clockMs), ...CI_JOB_ID_TOKEN_CLAIMS };
}

export interface SignOptions {
  /** Header fields; `kid: undefined` leaves kid out. */
  header?: Record<string, unknown>;
  /** jose `crit` recognition for signing tokens with extensions. */
  crit?: Record<string, boolean>;
}

/** Signs claims as RS256 with the key's kid unless the header says otherwise. */
export async function signToken(key: TestKey, claims: Record<string, unknown>, options: SignOptions = {}): Promise<string> {
  const header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT', kid: key.kid, ...options.header };
  if (header.kid === undefined) delete header.kid;
  return new SignJWT(claims as never).setProtectedHeader(header as never).sign(key.privateKey, options.crit ? { crit: options.crit } : undefined);
}

/** base64url of a string as is, or of any other value's JSON. */
export const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact token assembled by hand (for shapes no library would sign). */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

/** The same token with one bit of its signature flipped: well-formed, and verified by no key. */
export function withCorruptedSignature(token: string): string {
  const [h, p, s] = token.split('.');
  const signature = Buffer.from(s ?? '', 'base64url');
  signature[signature.length - 1]! ^= 0x01;
  return `${h}.${p}.${signature.toString('base64url')}`;
}

/** The header and claims of a compact JWS, read without verifying; throws on a token that is not one. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

/** Whether an RS256 compact JWS verifies against a JWKS (the key its kid names; every key without kid), with node:crypto only. */
export function verifiesAgainst(token: string, jwks: Jwks): boolean {
  const [h, p, s] = token.split('.');
  const kid = decodeJwt(token).header.kid;
  const candidates = kid === undefined ? jwks.keys : jwks.keys.filter((k) => k.kid === kid);
  return candidates.some((jwk) =>
    verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk as unknown as JsonWebKey, format: 'jwk' }), Buffer.from(s ?? '', 'base64url')),
  );
}
