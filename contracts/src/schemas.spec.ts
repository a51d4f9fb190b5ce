import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { contractPath } from './files.js';
import { SCHEMA, compileValidator, describeViolations, validateAgainst } from './schemas.js';
import type { AiAccessTokenClaims, CodeSuggestionsTokenResponse, Jwks } from './types.js';

const N_2048 = 'x'.repeat(342);
const now = 1_700_000_000;

const validClaims: AiAccessTokenClaims = {
  jti: '7b4a2c8e-3f5d-4e9a-8b1c-2d3e4f5a6b7c',
  aud: 'gitlab-ai-gateway',
  iss: 'http://127.0.0.1:3001',
  iat: now,
  nbf: now - 5,
  exp: now + 3600,
  sub: 'user-global-id',
  gitlab_realm: 'saas',
  gitlab_instance_id: 'instance',
  scopes: ['code_suggestions'],
};

describe('contract schemas', () => {
  it('compile, every one of them', () => {
    for (const name of Object.values(SCHEMA)) expect(typeof compileValidator(name)).toBe('function');
  });

  it('accept the demo fixture the apps and README rely on', () => {
    const fixture = parse(readFileSync(contractPath('fixtures', 'demo-data.yaml'), 'utf8'));
    const result = validateAgainst(SCHEMA.DEMO_FIXTURE, fixture);
    expect(describeViolations(result)).toBe('valid');
  });

  describe('AI access token claims', () => {
    it('accept the claims Gitlab::Ai::AccessToken mints', () => {
      expect(validateAgainst(SCHEMA.AI_ACCESS_TOKEN_CLAIMS, validClaims)).toEqual({ valid: true });
    });

    it('accept a legacy-audience token without scopes (seed 002)', () => {
      const { scopes: _s, ...legacy } = { ...validClaims, aud: 'gitlab-code-suggestions' };
      expect(validateAgainst(SCHEMA.AI_ACCESS_TOKEN_CLAIMS, legacy).valid).toBe(true);
    });

    it('require scopes for the gitlab-ai-gateway audience', () => {
      const { scopes: _s, ...noScopes } = validClaims;
      const result = validateAgainst(SCHEMA.AI_ACCESS_TOKEN_CLAIMS, noScopes);
      expect(result.valid).toBe(false);
      expect(describeViolations(result)).toContain('scopes');
    });

    it.each([
      ['a non-uuid jti', { jti: 'abc' }],
      ['a fractional exp', { exp: 1.5 }],
      ['an unknown realm', { gitlab_realm: 'dedicated-moon' }],
      ['a relative iss', { iss: '/not/a/url' }],
    ])('reject %s', (_name, change) => {
      expect(validateAgainst(SCHEMA.AI_ACCESS_TOKEN_CLAIMS, { ...validClaims, ...change }).valid).toBe(false);
    });
  });

  describe('JWT header', () => {
    it('accepts RS256 with typ and kid', () => {
      expect(validateAgainst(SCHEMA.AI_ACCESS_TOKEN_HEADER, { alg: 'RS256', typ: 'JWT', kid: 'k1' }).valid).toBe(true);
    });
    it.each([
      ['alg none', { alg: 'none' }],
      ['HS256', { alg: 'HS256', typ: 'JWT' }],
      ['an embedded jwk', { alg: 'RS256', jwk: { kty: 'RSA' } }],
      ['a jku URL', { alg: 'RS256', jku: 'https://attacker.example/jwks' }],
    ])('rejects %s', (_name, header) => {
      expect(validateAgainst(SCHEMA.AI_ACCESS_TOKEN_HEADER, header).valid).toBe(false);
    });
  });

  describe('JWKS', () => {
    const key = { kty: 'RSA', kid: 'k1', e: 'AQAB', n: N_2048, use: 'sig', alg: 'RS256' };
    it('accepts GitLab\'s key shape', () => {
      const jwks: Jwks = { keys: [key as Jwks['keys'][number]] };
      expect(validateAgainst(SCHEMA.JWKS, jwks).valid).toBe(true);
    });
    it('rejects a published private exponent', () => {
      expect(validateAgainst(SCHEMA.JWKS, { keys: [{ ...key, d: 'secret' }] }).valid).toBe(false);
    });
    it('rejects a key shorter than 2048 bits', () => {
      expect(validateAgainst(SCHEMA.JWKS, { keys: [{ ...key, n: 'x'.repeat(171) }] }).valid).toBe(false);
    });
  });

  describe('token response', () => {
    it('accepts the seed 001 sample shape', () => {
      const body: CodeSuggestionsTokenResponse = { access_token: 'eyJ0eXAi.eyJqdGki.NrtsdOTQ', expires_in: 3600, created_at: 1685541918 };
      expect(validateAgainst(SCHEMA.CODE_SUGGESTIONS_TOKEN_RESPONSE, body).valid).toBe(true);
    });
    it('rejects a token that is not a compact JWS', () => {
      const result = validateAgainst(SCHEMA.CODE_SUGGESTIONS_TOKEN_RESPONSE, { access_token: 'glpat-abc', expires_in: 3600, created_at: 1 });
      expect(result.valid).toBe(false);
      expect(describeViolations(result)).toContain('/access_token');
    });
  });
});
