/**
 * A JWT from POST /api/v4/code_suggestions/tokens verifies with a verifier that shares no
 * code with the apps or the harness (OpenSSL, from the command line) against the key
 * published at /oauth/discovery/keys, and its claims validate against the contract schema.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEADER, PATH, SCHEMA, describeViolations, validateAgainst, type Jwks } from '#contracts';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { demoCredentials, roleUrl, startEmbedded, tempDir } from './support.js';

let stack: RunningStack;
let saasUrl: string;

beforeAll(async () => {
  stack = await startEmbedded(['gitlab-saas']);
  saasUrl = roleUrl(stack, 'gitlab-saas');
}, 30_000);
afterAll(() => stack?.stop());

it('verifies with openssl against the published JWKS, and the claims match the contract', async () => {
  const res = await fetch(`${saasUrl}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, {
    method: 'POST',
    headers: { [HEADER.AUTHORIZATION]: `Bearer ${demoCredentials('gitlab-saas').personal_access_tokens!.ai_features!}` },
  });
  expect(res.status).toBe(201);
  const { access_token: token } = (await res.json()) as { access_token: string };
  const [encodedHeader, encodedClaims, signature] = token.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString()) as { kid: string; alg: string };
  expect(header.alg).toBe('RS256');

  const jwks = (await (await fetch(`${saasUrl}${PATH.JWKS}`)).json()) as Jwks;
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  expect(jwk).toBeDefined();

  const dir = tempDir('openssl');
  writeFileSync(join(dir, 'key.pem'), createPublicKey({ key: jwk as unknown as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'signing-input'), `${encodedHeader}.${encodedClaims}`);
  writeFileSync(join(dir, 'signature'), Buffer.from(signature, 'base64url'));
  const verify = (input: string) =>
    execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'key.pem'), '-signature', join(dir, 'signature'), join(dir, input)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  expect(verify('signing-input').trim()).toBe('Verified OK');

  // The same signature over altered claims must not verify: the check above can fail.
  writeFileSync(join(dir, 'tampered'), `${encodedHeader}.${Buffer.from('{"sub":"someone-else"}').toString('base64url')}`);
  expect(() => verify('tampered')).toThrow(/bad signature|Verification failure/);

  const claims = JSON.parse(Buffer.from(encodedClaims, 'base64url').toString()) as unknown;
  expect(describeViolations(validateAgainst(SCHEMA.AI_ACCESS_TOKEN_CLAIMS, claims))).toBe('valid');
}, 30_000);
