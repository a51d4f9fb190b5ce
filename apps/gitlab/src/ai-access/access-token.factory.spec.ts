import { createPublicKey, verify } from 'node:crypto';
import { AI_TOKEN_SHAPES, AI_TOKEN_SHAPE_INFO, type AiTokenShape, SCHEMA, compileValidator } from '#contracts';
import { InstanceInfo } from '../instance/instance-info.js';
import { SigningKeys } from '../signing/signing-keys.service.js';
import { AccessTokenFactory, mergeRemovingNulls } from './access-token.factory.js';
import { AiTokenSettings } from './ai-token-settings.service.js';

const NOW_MS = Date.parse('2030-03-04T05:06:07.890Z');
const IAT = Math.floor(NOW_MS / 1000);
const clock = { now: () => NOW_MS };
const INSTANCE_ID = '5a0b6c1e-6d2f-4c1b-9f3e-0e2a5b7c9d11';
const ISSUER = 'https://gitlab.example.test';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

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
    instance = new InstanceInfo('saas', INSTANCE_ID, ISSUER);
  });

  const factoryWith = (shape: AiTokenShape = 'cloud-connector', includeKid?: boolean) =>
    new AccessTokenFactory(instance, new AiTokenSettings({ aiTokenShape: shape, aiTokenIncludeKid: includeKid }), keys, clock);

  const times = { iat: IAT, nbf: IAT - 5, exp: IAT + 3600 };

  // Each generation member for member, in GitLab's order (ee/lib/gitlab: code_suggestions/access_token.rb,
  // ai/access_token.rb, cloud_connector/json_web_token.rb).
  const expected: Record<AiTokenShape, { header: (kid: string) => Record<string, unknown>; claims: Record<string, unknown> }> = {
    'seed-000': {
      header: () => ({ typ: 'JWT', alg: 'RS256' }),
      claims: { jti: expect.stringMatching(UUID_V4), aud: 'gitlab-code-suggestions', iss: ISSUER, ...times },
    },
    'seed-002': {
      header: () => ({ typ: 'JWT', alg: 'RS256' }),
      claims: {
        jti: expect.stringMatching(UUID_V4),
        aud: 'gitlab-ai-gateway',
        iss: ISSUER,
        ...times,
        third_party_ai_features_enabled: true,
        gitlab_realm: 'saas',
        scopes: ['code_suggestions'],
      },
    },
    'cloud-connector': {
      header: (kid) => ({ typ: 'JWT', kid, alg: 'RS256' }),
      claims: {
        jti: expect.stringMatching(UUID_V4),
        aud: 'gitlab-ai-gateway',
        sub: INSTANCE_ID,
        iss: ISSUER,
        ...times,
        gitlab_realm: 'saas',
        scopes: ['code_suggestions'],
      },
    },
  };

  it.each(AI_TOKEN_SHAPES)('mints the %s generation with exactly its header and claims, in GitLab\'s order', (shape) => {
    const { token, header, claims } = factoryWith(shape).mint('saas');
    const want = expected[shape];
    expect(header).toEqual(want.header(keys.activeKid));
    expect(Object.keys(header)).toEqual(Object.keys(want.header(keys.activeKid)));
    expect(claims).toEqual(want.claims);
    expect(Object.keys(claims)).toEqual(AI_TOKEN_SHAPE_INFO[shape].claims);
    expect(claims).not.toHaveProperty('gitlab_instance_id');
    expect(validateClaims(claims)).toEqual({ valid: true });
    expect(validateHeader(header)).toEqual({ valid: true });
    expect(decode(token)).toEqual({ header, claims });
  });

  it('signs with the active key so the published JWK verifies it', () => {
    const { token } = factoryWith().mint('saas');
    const [h, p, s] = token.split('.');
    const jwk = keys.publicJwks().keys.find((k) => k.kid === keys.activeKid)!;
    expect(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk as never, format: 'jwk' }), Buffer.from(s!, 'base64url'))).toBe(true);
  });

  it('gives every token its own jti', () => {
    const f = factoryWith();
    expect(f.mint('saas').claims.jti).not.toBe(f.mint('saas').claims.jti);
  });

  it('marks relayed tokens with realm self-managed where the generation has a realm', () => {
    for (const shape of ['seed-002', 'cloud-connector'] as const) {
      const { claims } = factoryWith(shape).mint('self-managed');
      expect(claims.gitlab_realm).toBe('self-managed');
      expect(validateClaims(claims)).toEqual({ valid: true });
    }
    expect(factoryWith('seed-000').mint('self-managed').claims).not.toHaveProperty('gitlab_realm');
  });

  it('takes the sub of a cloud-connector token from the issuing instance', () => {
    const selfManaged = new InstanceInfo('self-managed', '8c3d2e1f-0a9b-4c7d-8e6f-5a4b3c2d1e0f', 'https://sm.example.test');
    const f = new AccessTokenFactory(selfManaged, new AiTokenSettings({ aiTokenShape: 'cloud-connector' }), keys, clock);
    expect(f.mint('self-managed').claims).toMatchObject({ sub: '8c3d2e1f-0a9b-4c7d-8e6f-5a4b3c2d1e0f', iss: 'https://sm.example.test' });
  });

  it('overrides the shape\'s kid choice either way', () => {
    const without = factoryWith('cloud-connector', false).mint('saas');
    expect(without.header).toEqual({ typ: 'JWT', alg: 'RS256' });
    expect(decode(without.token).header).not.toHaveProperty('kid');
    expect(factoryWith('seed-000', true).mint('saas').header).toEqual({ typ: 'JWT', kid: keys.activeKid, alg: 'RS256' });
  });

  it('follows issuer settings changed at runtime', () => {
    const settings = new AiTokenSettings({ aiTokenShape: 'seed-000' });
    const f = new AccessTokenFactory(instance, settings, keys, clock);
    settings.update({ shape: 'cloud-connector' });
    expect(f.mint('saas').claims).toMatchObject({ aud: 'gitlab-ai-gateway', sub: INSTANCE_ID, scopes: ['code_suggestions'] });
    expect(f.mint('saas').header).toHaveProperty('kid');
    settings.reset();
    expect(f.mint('saas').claims).not.toHaveProperty('scopes');
    expect(f.mint('saas').header).not.toHaveProperty('kid');
  });

  it('applies overrides: replaced members, null removes, a chosen published key', async () => {
    const other = await keys.add({ activate: false });
    const minted = factoryWith().mintWithOverrides('saas', {
      claims: { exp: IAT - 60, sub: null, extra: 'x' },
      header: { kid: null, jku: 'https://evil.example/jwks' },
      kid: other,
    });
    expect(minted.claims.exp).toBe(IAT - 60);
    expect(minted.claims).not.toHaveProperty('sub');
    expect(minted.claims.extra).toBe('x');
    expect(minted.header).toEqual({ typ: 'JWT', alg: 'RS256', jku: 'https://evil.example/jwks' });
    const [h, p, s] = minted.token.split('.');
    const jwk = keys.publicJwks().keys.find((k) => k.kid === other)!;
    expect(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk as never, format: 'jwk' }), Buffer.from(s!, 'base64url'))).toBe(true);
  });

  it('merges with null meaning removal', () => {
    expect(mergeRemovingNulls({ a: 1, b: 2 }, { b: null, c: 3 })).toEqual({ a: 1, c: 3 });
    expect(mergeRemovingNulls({ a: 1 }, undefined)).toEqual({ a: 1 });
  });

  it('keeps an untrusted __proto__ member a plain member', () => {
    const merged = mergeRemovingNulls({ a: 1 }, JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect((merged as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.stringify(merged)).toBe('{"a":1,"__proto__":{"polluted":true}}');
  });
});
