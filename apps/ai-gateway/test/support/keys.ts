import { generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, type JWK } from 'jose';
import { AUDIENCE, CI_JOB_ID_TOKEN_CLAIMS, CI_JOB_ID_TOKEN_SUB, UNIT_PRIMITIVE } from '../../../../contracts/src/index.js';

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

export const nowSeconds = (clockMs: number = Date.now()) => Math.floor(clockMs / 1000);

/** The demo SaaS instance UUID: `sub` of its instance tokens, sent as X-Gitlab-Instance-Id. */
export const INSTANCE_ID = '5a0b6c1e-6d2f-4c1b-9f3e-0e2a5b7c9d11';

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
    gitlab_realm: 'saas',
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
  const header = { alg: 'RS256', typ: 'JWT', kid: key.kid, ...options.header };
  if ('kid' in (options.header ?? {}) && options.header?.kid === undefined) delete (header as { kid?: unknown }).kid;
  return new SignJWT(claims as never)
    .setProtectedHeader(header as never)
    .sign(key.privateKey, options.crit ? { crit: options.crit } : undefined);
}

export const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact token assembled by hand (for shapes no library would sign). */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}
