import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { SCHEMA, compileValidator } from '#contracts';
import { ActiveKeyError, SigningKeyFileError, SigningKeys, UnknownKeyError } from './signing-keys.service.js';

const clock = { now: () => Date.parse('2030-01-01T00:00:00Z') };
const validateJwks = compileValidator(SCHEMA.JWKS);
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];

/** RFC 7638 §3: SHA-256 over {"e","kty","n"} in lexicographic order, no whitespace. */
function rfc7638Thumbprint(jwk: { e: string; n: string }): string {
  return createHash('sha256').update(`{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`).digest('base64url');
}

function verifies(token: string, jwk: object): boolean {
  const [h, p, s] = token.split('.');
  return verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk as never, format: 'jwk' }), Buffer.from(s!, 'base64url'));
}

function pkcs8(modulusLength: number): string {
  return generateKeyPairSync('rsa', { modulusLength }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

describe('SigningKeys', () => {
  let keys: SigningKeys;

  beforeAll(async () => {
    keys = await SigningKeys.create(clock);
  });

  it('names a key by its RFC 7638 JWK thumbprint', () => {
    const [jwk] = keys.publicJwks().keys;
    expect(jwk?.kid).toBe(rfc7638Thumbprint(jwk!));
    expect(keys.activeKid).toBe(jwk?.kid);
  });

  it('publishes exactly GitLab\'s members and no private ones', () => {
    const jwks = keys.publicJwks();
    expect(validateJwks(jwks)).toEqual({ valid: true });
    for (const jwk of jwks.keys) {
      expect(Object.keys(jwk)).toEqual(['kty', 'kid', 'e', 'n', 'use', 'alg']);
      for (const m of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(m);
      expect(Buffer.from(jwk.n, 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
    }
  });

  it('signs RS256 over exactly the header and claims given', () => {
    const header = { alg: 'RS256', typ: 'JWT', crit: ['exp-ext'], 'exp-ext': 1 };
    const token = keys.sign(header, { hello: 'world' });
    const [h, p] = token.split('.');
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual(header);
    expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toEqual({ hello: 'world' });
    expect(verifies(token, keys.publicJwks().keys[0]!)).toBe(true);
  });

  it('refuses to sign anything but RS256', () => {
    expect(() => keys.sign({ alg: 'HS256' }, {})).toThrow(/RS256 only/);
    expect(() => keys.sign({ typ: 'JWT' }, {})).toThrow(/RS256 only/);
  });

  describe('rotation', () => {
    let rotating: SigningKeys;
    beforeEach(async () => {
      rotating = await SigningKeys.create(clock);
    });

    it('activates a new key while the old one stays published and verifiable', async () => {
      const oldKid = rotating.activeKid;
      const oldToken = rotating.sign({ alg: 'RS256', kid: oldKid }, { n: 1 });
      const newKid = await rotating.add({ activate: true });
      expect(newKid).not.toBe(oldKid);
      expect(rotating.activeKid).toBe(newKid);
      expect(rotating.list()).toEqual([
        { kid: oldKid, active: false, createdAt: '2030-01-01T00:00:00.000Z' },
        { kid: newKid, active: true, createdAt: '2030-01-01T00:00:00.000Z' },
      ]);
      const published = rotating.publicJwks().keys;
      expect(published.map((k) => k.kid)).toEqual([oldKid, newKid]);
      expect(verifies(oldToken, published.find((k) => k.kid === oldKid)!)).toBe(true);
      const newToken = rotating.sign({ alg: 'RS256' }, { n: 2 });
      expect(verifies(newToken, published.find((k) => k.kid === newKid)!)).toBe(true);
      expect(verifies(newToken, published.find((k) => k.kid === oldKid)!)).toBe(false);
    });

    it('can pre-publish a key without activating it, and sign with it by kid', async () => {
      const active = rotating.activeKid;
      const next = await rotating.add({ activate: false });
      expect(rotating.activeKid).toBe(active);
      const token = rotating.sign({ alg: 'RS256' }, {}, next);
      expect(verifies(token, rotating.publicJwks().keys.find((k) => k.kid === next)!)).toBe(true);
      rotating.activate(next);
      expect(rotating.activeKid).toBe(next);
    });

    it('unpublishes a retired key but never the active one', async () => {
      const old = rotating.activeKid;
      await rotating.add({ activate: true });
      expect(() => rotating.remove(rotating.activeKid)).toThrow(ActiveKeyError);
      rotating.remove(old);
      expect(rotating.publicJwks().keys.map((k) => k.kid)).not.toContain(old);
      expect(rotating.has(old)).toBe(false);
      expect(() => rotating.remove(old)).toThrow(UnknownKeyError);
      expect(() => rotating.sign({ alg: 'RS256' }, {}, old)).toThrow(UnknownKeyError);
      expect(() => rotating.activate('nope')).toThrow(UnknownKeyError);
    });
  });

  describe('SIGNING_KEY_FILE', () => {
    it('loads a PKCS#8 RSA key: same key, same kid', async () => {
      const pem = pkcs8(2048);
      const a = await SigningKeys.create(clock, pem);
      const b = await SigningKeys.create(clock, pem);
      expect(a.activeKid).toBe(b.activeKid);
      expect(a.publicJwks()).toEqual(b.publicJwks());
    });

    it('refuses a PKCS#1 PEM, an EC key and a short RSA key', async () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      await expect(SigningKeys.create(clock, rsa.export({ type: 'pkcs1', format: 'pem' }).toString())).rejects.toThrow(SigningKeyFileError);
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await expect(SigningKeys.create(clock, ec)).rejects.toThrow(/must be an RSA key \(got ec\)/);
      await expect(SigningKeys.create(clock, pkcs8(1024))).rejects.toThrow(/at least 2048 bits \(got 1024\)/);
      await expect(SigningKeys.create(clock, '-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n')).rejects.toThrow(
        /cannot be parsed/,
      );
    });
  });
});
