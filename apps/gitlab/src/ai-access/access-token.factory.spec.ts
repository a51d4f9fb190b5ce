import { createPublicKey, verify } from 'node:crypto';
import { AUDIENCE, SCHEMA, compileValidator } from '../../../../contracts/src/index.js';
import type { GitlabUser } from '../identity/identity.service.js';
import { InstanceInfo } from '../instance/instance-info.js';
import { SigningKeys } from '../signing/signing-keys.service.js';
import { AccessTokenFactory, mergeRemovingNulls } from './access-token.factory.js';
import { AiTokenSettings } from './ai-token-settings.service.js';

const NOW_MS = Date.parse('2030-03-04T05:06:07.890Z');
const IAT = Math.floor(NOW_MS / 1000);
const clock = { now: () => NOW_MS };
const INSTANCE_ID = '5a0b6c1e-6d2f-4c1b-9f3e-0e2a5b7c9d11';
const user: GitlabUser = { id: 7, username: 'alice', name: 'Alice', admin: false, groups: [], globalId: 'global-alice' };

const validateClaims = compileValidator(SCHEMA.AI_ACCESS_TOKEN_CLAIMS);
const validateHeader = compileValidator(SCHEMA.AI_ACCESS_TOKEN_HEADER);

function decode(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h!, 'base64url').toString()), claims: JSON.parse(Buffer.from(p!, 'base64url').toString()) };
}

describe('AccessTokenFactory', () => {
  let keys: SigningKeys;
  let instance: InstanceInfo;

  beforeAll(async () => {
    keys = await SigningKeys.create(clock);
    instance = new InstanceInfo('saas', INSTANCE_ID, 'https://gitlab.example.test');
  });

  const factoryWith = (audience = AUDIENCE.AI_GATEWAY as string, includeKid = true) =>
    new AccessTokenFactory(instance, new AiTokenSettings({ audience: audience as never, includeKid }), keys, clock);

  it('mints claims valid against the contract schema, with GitLab\'s arithmetic', () => {
    const { token, claims, header } = factoryWith().mint(user, 'saas');
    expect(validateClaims(claims)).toEqual({ valid: true });
    expect(validateHeader(header)).toEqual({ valid: true });
    expect(claims).toEqual({
      jti: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      aud: 'gitlab-ai-gateway',
      iss: 'https://gitlab.example.test',
      iat: IAT,
      nbf: IAT - 5,
      exp: IAT + 3600,
      gitlab_realm: 'saas',
      scopes: ['code_suggestions'],
      sub: 'global-alice',
      gitlab_instance_id: INSTANCE_ID,
    });
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: keys.activeKid });
    expect(decode(token)).toEqual({ header, claims });
  });

  it('signs with the active key so the published JWK verifies it', () => {
    const { token } = factoryWith().mint(user, 'saas');
    const [h, p, s] = token.split('.');
    const jwk = keys.publicJwks().keys.find((k) => k.kid === keys.activeKid)!;
    expect(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk as never, format: 'jwk' }), Buffer.from(s!, 'base64url'))).toBe(true);
  });

  it('gives every token its own jti', () => {
    const f = factoryWith();
    expect(f.mint(user, 'saas').claims.jti).not.toBe(f.mint(user, 'saas').claims.jti);
  });

  it('marks relayed tokens with realm self-managed', () => {
    const { claims } = factoryWith().mint(user, 'self-managed');
    expect(claims.gitlab_realm).toBe('self-managed');
    expect(validateClaims(claims)).toEqual({ valid: true });
  });

  it('leaves the scopes claim out for the legacy audience (seed 002)', () => {
    const { claims } = factoryWith(AUDIENCE.LEGACY_CODE_SUGGESTIONS).mint(user, 'saas');
    expect(claims.aud).toBe('gitlab-code-suggestions');
    expect(claims).not.toHaveProperty('scopes');
    expect(validateClaims(claims)).toEqual({ valid: true });
  });

  it('omits kid when the issuer is configured without it', () => {
    const { header, token } = factoryWith(AUDIENCE.AI_GATEWAY, false).mint(user, 'saas');
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(decode(token).header).not.toHaveProperty('kid');
  });

  it('follows issuer settings changed at runtime', () => {
    const settings = new AiTokenSettings({ audience: AUDIENCE.LEGACY_CODE_SUGGESTIONS, includeKid: false });
    const f = new AccessTokenFactory(instance, settings, keys, clock);
    settings.update({ audience: AUDIENCE.AI_GATEWAY });
    expect(f.mint(user, 'saas').claims).toMatchObject({ aud: 'gitlab-ai-gateway', scopes: ['code_suggestions'] });
    settings.reset();
    expect(f.mint(user, 'saas').claims).not.toHaveProperty('scopes');
  });

  it('applies overrides: replaced members, null removes, a chosen published key', async () => {
    const other = await keys.add({ activate: false });
    const minted = factoryWith().mintWithOverrides(user, 'saas', {
      claims: { exp: IAT - 60, sub: null, extra: 'x' },
      header: { kid: null, jku: 'https://evil.example/jwks' },
      kid: other,
    });
    expect(minted.claims.exp).toBe(IAT - 60);
    expect(minted.claims).not.toHaveProperty('sub');
    expect(minted.claims.extra).toBe('x');
    expect(minted.header).toEqual({ alg: 'RS256', typ: 'JWT', jku: 'https://evil.example/jwks' });
    const [h, p, s] = minted.token.split('.');
    const jwk = keys.publicJwks().keys.find((k) => k.kid === other)!;
    expect(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk as never, format: 'jwk' }), Buffer.from(s!, 'base64url'))).toBe(true);
  });

  it('merges with null meaning removal', () => {
    expect(mergeRemovingNulls({ a: 1, b: 2 }, { b: null, c: 3 })).toEqual({ a: 1, c: 3 });
    expect(mergeRemovingNulls({ a: 1 }, undefined)).toEqual({ a: 1 });
  });
});
