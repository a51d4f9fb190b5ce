import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { jest } from '@jest/globals';
import { SignJWT, type JWK } from 'jose';
import { AUDIENCE } from '#contracts';
import { FakeIssuers } from '../../test/support/fake-issuers.js';
import {
  aiTokenClaims,
  b64url,
  ciJobTokenClaims,
  legacyTokenClaims,
  makeRsaKey,
  nowSeconds,
  rawToken,
  signToken,
  withCorruptedSignature,
  type TestKey,
} from '#common/testing/jwt';
import { ManualClock } from '../../test/support/manual-clock.js';
import { AuthSettings } from './auth-settings.js';
import { JwksCache } from './jwks-cache.js';
import { MAX_TOKEN_BYTES, TokenVerifier, type Verification } from './token-verifier.js';

const A = 'https://gitlab.example';
const B = 'https://customers.example';

let a1: TestKey;
let a2: TestKey;
let b1: TestKey;
let attacker: TestKey;

beforeAll(async () => {
  [a1, a2, b1, attacker] = await Promise.all([makeRsaKey('a1'), makeRsaKey('a2'), makeRsaKey('b1'), makeRsaKey('a1')]);
});

/** A JwksCache over the fake issuers and the manual clock: one-hour TTL, no stale-if-error. */
function testJwksCache(trusted: string[], allowedAlgorithms: string[], issuers: FakeIssuers, clock: ManualClock): JwksCache {
  return new JwksCache({
    issuers: trusted,
    allowedAlgorithms,
    ttlSeconds: 3600,
    refetchIntervalMs: 1000,
    negativeCacheSeconds: 30,
    coldRetryMs: 1000,
    errorBackoffSeconds: 10,
    staleIfErrorSeconds: 0,
    fetchTimeoutMs: 1000,
    maxDocumentBytes: 64 * 1024,
    fetch: issuers.fetch,
    clock: clock.now,
    sleep: clock.sleep,
  });
}

function setup(window: 'open' | 'closed' = 'open', discoveredA: string = A, verifiedTokenCacheEntries = 0) {
  const clock = new ManualClock();
  const issuers = new FakeIssuers();
  issuers.add(A, { keys: [a1.publicJwk, a2.publicJwk] }).discoveryIssuer = discoveredA;
  issuers.add(B, { keys: [b1.publicJwk] });
  const settings = new AuthSettings({
    trustedIssuers: [A, B],
    algorithms: ['RS256'],
    clockSkewSeconds: 30,
    audience: AUDIENCE.AI_GATEWAY,
    legacyAudienceWindow: window,
  });
  const cache = testJwksCache([A, B], ['RS256'], issuers, clock);
  const verifier = new TokenVerifier(settings, cache, clock.now, verifiedTokenCacheEntries);
  const claims = (overrides: Record<string, unknown> = {}) => aiTokenClaims(A, overrides, clock.nowMs);
  const legacy = (overrides: Record<string, unknown> = {}) => legacyTokenClaims(A, overrides, clock.nowMs);
  const now = () => nowSeconds(clock.nowMs);
  return { clock, issuers, settings, cache, verifier, claims, legacy, now };
}

function reason(result: Verification): string {
  return result.ok ? 'ok' : result.reason;
}

describe('TokenVerifier', () => {
  it('accepts a current GitLab AI access token', async () => {
    const { verifier, claims } = setup();
    const result = await verifier.verify(await signToken(a1, claims()));
    expect(result).toMatchObject({ ok: true, issuer: A, kid: 'a1', scopes: ['code_suggestions'], legacyAudience: false });
  });

  it('accepts aud as an array containing the gateway audience', async () => {
    const { verifier, claims } = setup();
    expect(reason(await verifier.verify(await signToken(a1, claims({ aud: ['other', AUDIENCE.AI_GATEWAY] }))))).toBe('ok');
  });

  describe('time claims, with the 30 s leeway', () => {
    it('rejects an expired token', async () => {
      const { verifier, claims, now } = setup();
      expect(reason(await verifier.verify(await signToken(a1, claims({ exp: now() - 31 }))))).toBe('expired');
      expect(reason(await verifier.verify(await signToken(a1, claims({ exp: now() - 29 }))))).toBe('ok');
    });

    it('rejects a token whose nbf is in the future', async () => {
      const { verifier, claims, now } = setup();
      expect(reason(await verifier.verify(await signToken(a1, claims({ nbf: now() + 31 }))))).toBe('not-yet-valid');
      expect(reason(await verifier.verify(await signToken(a1, claims({ nbf: now() + 29 }))))).toBe('ok');
    });

    it('rejects a token after time passes beyond exp (injected clock)', async () => {
      const { verifier, claims, clock } = setup();
      const token = await signToken(a1, claims());
      clock.advanceSeconds(3600 + 31);
      expect(reason(await verifier.verify(token))).toBe('expired');
    });

    it('rejects a validly signed token without exp (RFC 8725 §3.9)', async () => {
      const { verifier, claims } = setup();
      const result = await verifier.verify(await signToken(a1, claims({ exp: undefined })));
      expect(result).toMatchObject({ ok: false, reason: 'invalid-claims', detail: expect.stringContaining('exp') });
    });

    it('rejects a validly signed legacy-shaped token without exp, window open', async () => {
      const { verifier, legacy } = setup('open');
      expect(reason(await verifier.verify(await signToken(a1, legacy({ exp: undefined }))))).toBe('invalid-claims');
    });
  });

  describe('audience', () => {
    it('rejects a wrong audience', async () => {
      const { verifier, claims } = setup();
      expect(reason(await verifier.verify(await signToken(a1, claims({ aud: 'gitlab-something-else' }))))).toBe('audience');
    });

    it.each([
      ['an instance token', 'claims'],
      ['a legacy-shaped token (window open)', 'legacy'],
    ] as const)('rejects %s without aud, though validly signed (RFC 7519 §4.1.3)', async (_name, shape) => {
      const fixture = setup('open');
      const result = await fixture.verifier.verify(await signToken(a1, fixture[shape]({ aud: undefined })));
      expect(result).toMatchObject({ ok: false, reason: 'audience', detail: 'aud is missing' });
    });

    it('accepts a legacy token (seed-000 claim shape) while the window is open, as carrying ["code_suggestions"]', async () => {
      const { verifier, legacy } = setup('open');
      const result = await verifier.verify(await signToken(a1, legacy(), { header: { kid: undefined } }));
      expect(result).toMatchObject({ ok: true, legacyAudience: true, scopes: ['code_suggestions'] });
    });

    it('keeps explicit scopes of a legacy-audience token', async () => {
      const { verifier, claims } = setup('open');
      const result = await verifier.verify(await signToken(a1, claims({ aud: AUDIENCE.LEGACY_CODE_SUGGESTIONS, scopes: [] })));
      expect(result).toMatchObject({ ok: true, legacyAudience: true, scopes: [] });
    });

    it.each([
      ['a legacy-audience token with a sub claim', { sub: 'x' }],
      ['a legacy-audience token with a realm', { gitlab_realm: 'saas' }],
      ['a legacy-audience token with any extra claim', { project_id: '20' }],
    ])('grants no unit primitive to %s but no scopes, window open: only the exact legacy shape implies one', async (_name, extra) => {
      const { verifier, legacy } = setup('open');
      expect(await verifier.verify(await signToken(a1, legacy(extra)))).toMatchObject({ ok: true, legacyAudience: true, scopes: [] });
    });

    it.each([[AUDIENCE.LEGACY_CODE_SUGGESTIONS], [AUDIENCE.AI_GATEWAY]])(
      'authenticates a CI job ID token whose author chose aud %s, but grants it no unit primitive (RFC 8725 §2.8, §3.12)',
      async (aud) => {
        const { verifier, clock } = setup('open');
        const result = await verifier.verify(await signToken(a1, ciJobTokenClaims(A, aud, clock.nowMs)));
        expect(result).toMatchObject({ ok: true, scopes: [] });
      },
    );

    it('rejects the legacy audience once the window is closed', async () => {
      const { verifier, legacy } = setup('closed');
      expect(reason(await verifier.verify(await signToken(a1, legacy())))).toBe('audience');
    });

    it('follows a window closed and an audience changed at run time', async () => {
      const { verifier, claims, settings, legacy: legacyClaims } = setup('open');
      const legacy = await signToken(a1, legacyClaims());
      expect(reason(await verifier.verify(legacy))).toBe('ok');
      settings.update({ legacyAudienceWindow: 'closed' });
      expect(reason(await verifier.verify(legacy))).toBe('audience');
      settings.update({ audience: 'custom-audience' });
      expect(reason(await verifier.verify(await signToken(a1, claims())))).toBe('audience');
      expect(reason(await verifier.verify(await signToken(a1, claims({ aud: 'custom-audience' }))))).toBe('ok');
    });

    it('reads a legacy token as carrying ["code_suggestions"] on a pre-migration gateway (legacy audience current, window closed)', async () => {
      const { verifier, claims, settings, legacy } = setup('closed');
      settings.update({ audience: AUDIENCE.LEGACY_CODE_SUGGESTIONS });
      const result = await verifier.verify(await signToken(a1, legacy()));
      expect(result).toMatchObject({ ok: true, legacyAudience: true, scopes: ['code_suggestions'] });
      expect(reason(await verifier.verify(await signToken(a1, claims())))).toBe('audience');
    });

    it('gives a token naming both audiences but no scopes no unit primitive', async () => {
      const { verifier, claims } = setup('open');
      const result = await verifier.verify(await signToken(a1, claims({ aud: [AUDIENCE.AI_GATEWAY, AUDIENCE.LEGACY_CODE_SUGGESTIONS], scopes: undefined })));
      expect(result).toMatchObject({ ok: true, legacyAudience: false, scopes: [] });
    });

    it('gives a current-audience token without scopes no unit primitive', async () => {
      const { verifier, claims } = setup('open');
      expect(await verifier.verify(await signToken(a1, claims({ scopes: undefined })))).toMatchObject({ ok: true, scopes: [] });
    });

    it('rejects scopes that are not an array of strings', async () => {
      const { verifier, claims } = setup();
      expect(reason(await verifier.verify(await signToken(a1, claims({ scopes: 'code_suggestions' }))))).toBe('invalid-claims');
    });
  });

  describe('issuer', () => {
    it('rejects an untrusted iss without fetching anything', async () => {
      const { verifier, claims, issuers } = setup();
      expect(reason(await verifier.verify(await signToken(a1, claims({ iss: 'https://evil.example' }))))).toBe('untrusted-issuer');
      expect(reason(await verifier.verify(await signToken(a1, claims({ iss: undefined }))))).toBe('untrusted-issuer');
      expect(issuers.fetched).toEqual([]);
    });

    it("requires iss as the issuer's discovery document spells it when that differs from the configuration by a trailing slash", async () => {
      const discovered = `${A}/`;
      const { verifier, claims } = setup('open', discovered);
      expect(await verifier.verify(await signToken(a1, claims({ iss: discovered })))).toMatchObject({ ok: true, issuer: discovered });
      const configuredSpelling = await verifier.verify(await signToken(a1, claims({ iss: A })));
      expect(configuredSpelling).toMatchObject({ ok: false, reason: 'issuer-mismatch', detail: expect.stringContaining(JSON.stringify(discovered)) });
    });

    it('rejects iss of a trusted issuer other than the one that published the key', async () => {
      const { verifier, claims } = setup();
      // Signed by B's key (kid b1) but claiming to come from A.
      const result = await verifier.verify(await signToken(b1, claims({ iss: A })));
      expect(result).toMatchObject({ ok: false, reason: 'issuer-mismatch', kid: 'b1', iss: A });
      // The same key with its own issuer is fine.
      expect(reason(await verifier.verify(await signToken(b1, claims({ iss: B }))))).toBe('ok');
    });
  });

  describe('signature and keys', () => {
    it('parses a token once on the per-keystroke path: its header and its claims, one JSON.parse each', async () => {
      const { verifier, claims } = setup();
      const token = await signToken(a1, claims());
      expect(reason(await verifier.verify(token))).toBe('ok'); // warms the key cache
      const parse = jest.spyOn(JSON, 'parse');
      try {
        expect(reason(await verifier.verify(token))).toBe('ok');
        expect(parse).toHaveBeenCalledTimes(2);
      } finally {
        parse.mockRestore();
      }
    });

    it('refuses an untrusted iss under a cached kid, without a fetch', async () => {
      const { verifier, claims, issuers } = setup();
      expect(reason(await verifier.verify(await signToken(a1, claims())))).toBe('ok');
      const fetched = issuers.fetched.length;
      const result = await verifier.verify(await signToken(a1, claims({ iss: 'https://evil.example' })));
      expect(result).toMatchObject({ ok: false, reason: 'untrusted-issuer', kid: 'a1', iss: 'https://evil.example' });
      expect(issuers.fetched).toHaveLength(fetched);
    });

    it('binds iss to the issuer whose key verified when two trusted issuers publish the same kid', async () => {
      const { verifier, claims, issuers } = setup();
      const [sharedA, sharedB] = await Promise.all([makeRsaKey('shared'), makeRsaKey('shared')]);
      issuers.issuers.get(A)!.jwks = { keys: [a1.publicJwk, sharedA.publicJwk] };
      issuers.issuers.get(B)!.jwks = { keys: [b1.publicJwk, sharedB.publicJwk] };
      expect(await verifier.verify(await signToken(sharedA, claims()))).toMatchObject({ ok: true, issuer: A, kid: 'shared' });
      expect(await verifier.verify(await signToken(sharedB, claims({ iss: B })))).toMatchObject({ ok: true, issuer: B, kid: 'shared' });
      expect(await verifier.verify(await signToken(sharedB, claims()))).toMatchObject({ ok: false, reason: 'issuer-mismatch', kid: 'shared', iss: A });
    });


    it('rejects a bad signature (another key under a trusted kid)', async () => {
      const { verifier, claims } = setup();
      expect(reason(await verifier.verify(await signToken(attacker, claims())))).toBe('bad-signature');
    });

    it('rejects a tampered payload', async () => {
      const { verifier, claims } = setup();
      const [h, , s] = (await signToken(a1, claims({ scopes: [] }))).split('.');
      expect(reason(await verifier.verify(`${h}.${b64url(claims())}.${s}`))).toBe('bad-signature');
    });

    it('rejects an unknown kid', async () => {
      const { verifier, claims } = setup();
      expect(reason(await verifier.verify(await signToken(attacker, claims(), { header: { kid: 'nope' } })))).toBe('unknown-kid');
    });

    it('tries a token without kid against every key of its issuer', async () => {
      const { verifier, claims } = setup();
      const result = await verifier.verify(await signToken(a2, claims(), { header: { kid: undefined } }));
      expect(result).toMatchObject({ ok: true, kid: undefined, issuer: A });
      expect(reason(await verifier.verify(await signToken(attacker, claims(), { header: { kid: undefined } })))).toBe('bad-signature');
      // An issuer with one key: that key, no trial.
      expect(await verifier.verify(await signToken(b1, claims({ iss: B }), { header: { kid: undefined } }))).toMatchObject({ ok: true, kid: undefined, issuer: B });
    });

    it('never reads a key or URL from jku/jwk/x5u headers', async () => {
      const { verifier, claims, issuers } = setup();
      const jku = 'https://attacker.example/jwks.json';
      const x5u = 'https://attacker.example/cert.pem';
      // The attacker's own key, announced in the header: refused.
      const embedded = await signToken(attacker, claims(), { header: { kid: undefined, jwk: attacker.publicJwk, jku, x5u } });
      expect(reason(await verifier.verify(embedded))).toBe('bad-signature');
      const viaJku = await signToken(attacker, claims(), { header: { kid: 'attacker-kid', jku } });
      expect(reason(await verifier.verify(viaJku))).toBe('unknown-kid');
      // A genuine token carrying such headers verifies with the trusted key; the headers are ignored.
      expect(reason(await verifier.verify(await signToken(a1, claims(), { header: { jku, x5u } })))).toBe('ok');
      expect(issuers.fetched.map((f) => f.url).filter((u) => u.includes('attacker'))).toEqual([]);
    });
  });

  describe('algorithms (checked before any key is used)', () => {
    it('rejects alg none', async () => {
      const { verifier, claims, issuers } = setup();
      expect(reason(await verifier.verify(rawToken({ alg: 'none', typ: 'JWT' }, claims())))).toBe('alg-not-allowed');
      expect(reason(await verifier.verify(rawToken({ alg: 'none', kid: 'a1' }, claims(), 'c2ln')))).toBe('alg-not-allowed');
      expect(issuers.fetched).toEqual([]);
    });

    it('rejects HS256 signed with the RSA public key bytes (key confusion)', async () => {
      const { verifier, claims, issuers } = setup();
      const pem = a1.publicKey.export({ format: 'pem', type: 'spki' }) as string;
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'a1' }).sign(new TextEncoder().encode(pem));
      expect(reason(await verifier.verify(token))).toBe('alg-not-allowed');
      expect(issuers.fetched).toEqual([]);
    });

    it('refuses an alg that is not a string (here deeply nested) as malformed, without walking it into the log', async () => {
      const { verifier, claims, issuers } = setup();
      const nested = JSON.parse(`${'['.repeat(2000)}${']'.repeat(2000)}`) as unknown;
      const result = await verifier.verify(rawToken({ alg: nested, kid: 'a1' }, claims(), 'c2ln'));
      expect(result).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringContaining('"alg"') });
      expect(JSON.stringify(result)).not.toContain('[[');
      expect(issuers.fetched).toEqual([]);
    });

    it('rejects an asymmetric algorithm that is not configured', async () => {
      const { verifier, claims } = setup();
      const token = await signToken(a1, claims(), { header: { alg: 'RS512' } });
      expect(reason(await verifier.verify(token))).toBe('alg-not-allowed');
    });

    it('rejects a crit header naming an extension it does not understand', async () => {
      const { verifier, claims, issuers } = setup();
      const token = await signToken(a1, claims(), { header: { crit: ['urn:example:ext'], 'urn:example:ext': true }, crit: { 'urn:example:ext': true } });
      expect(reason(await verifier.verify(token))).toBe('crit-unsupported');
      expect(issuers.fetched).toEqual([]);
    });

    it('rejects crit naming b64 (RFC 7797), an extension jose knows but this gateway does not implement', async () => {
      const { verifier, claims, issuers } = setup();
      const token = await signToken(a1, claims(), { header: { crit: ['b64'], b64: true }, crit: { b64: true } });
      expect(reason(await verifier.verify(token))).toBe('crit-unsupported');
      expect(issuers.fetched).toEqual([]);
    });
  });

  describe('claim types (RFC 7519 §4.1)', () => {
    it.each([
      ['exp as a string', { exp: 'tomorrow' }, 'invalid-claims'],
      ['nbf as a string', { nbf: '0' }, 'invalid-claims'],
      ['iat as a string', { iat: 'now' }, 'invalid-claims'],
      ['aud as a number', { aud: 7 }, 'audience'],
      ['aud as an array of non-strings', { aud: [7, null] }, 'audience'],
      ['aud as an object naming the audience', { aud: { [AUDIENCE.AI_GATEWAY]: true } }, 'audience'],
    ])('refuses a validly signed token with %s', async (_name, overrides, expected) => {
      const { verifier, claims } = setup();
      expect(reason(await verifier.verify(await signToken(a1, claims(overrides))))).toBe(expected);
      expect(reason(await verifier.verify(await signToken(a1, claims())))).toBe('ok');
    });

    it('refuses exp equal to now minus the leeway, accepts a second later (the comparison of the verified-token cache)', async () => {
      const { verifier, claims, now } = setup();
      expect(reason(await verifier.verify(await signToken(a1, claims({ exp: now() - 30 }))))).toBe('expired');
      expect(reason(await verifier.verify(await signToken(a1, claims({ exp: now() - 29 }))))).toBe('ok');
    });
  });

  describe('each allowed algorithm family (RFC 7518 §3.3-3.5)', () => {
    const algorithms = ['RS256', 'PS256', 'PS384', 'ES256', 'ES384', 'ES512'];
    const CURVE: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

    async function keyFor(alg: string, kid: string): Promise<TestKey> {
      const { privateKey, publicKey } = CURVE[alg]
        ? generateKeyPairSync('ec', { namedCurve: CURVE[alg]! })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
      return { kid, privateKey, publicKey, publicJwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, use: 'sig', alg } };
    }

    async function setupFor(keys: TestKey[]) {
      const clock = new ManualClock();
      const issuers = new FakeIssuers();
      issuers.add(A, { keys: keys.map((k) => k.publicJwk) });
      const settings = new AuthSettings({ trustedIssuers: [A], algorithms, clockSkewSeconds: 30, audience: AUDIENCE.AI_GATEWAY, legacyAudienceWindow: 'closed' });
      const cache = testJwksCache([A], algorithms, issuers, clock);
      return { verifier: new TokenVerifier(settings, cache, clock.now), claims: aiTokenClaims(A, {}, clock.nowMs) };
    }

    it.each(algorithms)('accepts %s under its key, refuses a flipped signature and the same token labelled with another algorithm', async (alg) => {
      const key = await keyFor(alg, `k-${alg}`);
      const { verifier, claims } = await setupFor([key]);
      const token = await signToken(key, claims, { header: { alg } });
      expect(await verifier.verify(token)).toMatchObject({ ok: true, kid: `k-${alg}`, issuer: A });
      expect(reason(await verifier.verify(withCorruptedSignature(token)))).toBe('bad-signature');
      const other = alg.startsWith('ES') ? 'RS256' : 'ES256';
      const [, payload, signature] = token.split('.');
      expect(reason(await verifier.verify(`${b64url({ alg: other, kid: `k-${alg}` })}.${payload}.${signature}`))).toBe('alg-not-allowed');
    });

    it('refuses an ES256 signature in DER form (JWS carries R || S, RFC 7518 §3.4)', async () => {
      const key = await keyFor('ES256', 'k-es');
      const { verifier, claims } = await setupFor([key]);
      const input = `${b64url({ alg: 'ES256', kid: 'k-es' })}.${b64url(claims)}`;
      const der = cryptoSign('sha256', Buffer.from(input), key.privateKey);
      expect(reason(await verifier.verify(`${input}.${der.toString('base64url')}`))).toBe('bad-signature');
      const p1363 = cryptoSign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
      expect(reason(await verifier.verify(`${input}.${p1363.toString('base64url')}`))).toBe('ok');
    });
  });

  describe('malformed tokens', () => {
    it('rejects a token larger than 8 KiB before parsing it', async () => {
      const { verifier, claims } = setup();
      const big = await signToken(a1, claims({ padding: 'x'.repeat(MAX_TOKEN_BYTES) }));
      expect(reason(await verifier.verify(big))).toBe('oversized');
      expect(reason(await verifier.verify('a'.repeat(MAX_TOKEN_BYTES + 1)))).toBe('oversized');
    });

    it.each([
      ['empty', ''],
      ['one segment', 'eyJhbGciOiJSUzI1NiJ9'],
      ['two segments', 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0'],
      ['four segments', 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln.c2ln'],
      ['bad base64url characters', 'eyJhbGciOiJSUzI1NiJ9.eyJpc3M!OiJ4In0.c2ln'],
      ['padding characters', 'eyJhbGciOiJSUzI1NiJ9=.eyJpc3MiOiJ4In0.c2ln'],
      ['non-JSON header', `${b64url('not json')}.${b64url({ iss: A })}.c2ln`],
      ['non-JSON payload', `${b64url({ alg: 'RS256', kid: 'a1' })}.${b64url('{"iss":')}.c2ln`],
      ['JSON array payload', `${b64url({ alg: 'RS256', kid: 'a1' })}.${b64url([A])}.c2ln`],
      ['JSON array header', `${b64url([{ alg: 'RS256' }])}.${b64url({ iss: A })}.c2ln`],
      ['null header', `${b64url('null')}.${b64url({ iss: A })}.c2ln`],
      ['number payload', `${b64url({ alg: 'RS256', kid: 'a1' })}.${b64url('42')}.c2ln`],
      ['numeric kid', `${b64url({ alg: 'RS256', kid: 7 })}.${b64url({ iss: A })}.c2ln`],
    ])('rejects %s as malformed', async (_name, token) => {
      const { verifier, issuers } = setup();
      expect(reason(await verifier.verify(token))).toBe('malformed');
      expect(issuers.fetched).toEqual([]);
    });

    it('never puts the token into a rejection', async () => {
      const { verifier, claims } = setup();
      const token = await signToken(attacker, claims());
      const result = await verifier.verify(token);
      const text = JSON.stringify(result);
      expect(text).not.toContain(token.split('.')[2]);
      expect(text).not.toContain(token.split('.')[1]);
    });
  });
});

describe('TokenVerifier with its verified-token cache (AIGW_VERIFIED_TOKEN_CACHE_ENTRIES)', () => {
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('answers a repeated token from the cache, and verifies it anew when the cache is off', async () => {
    const cached = setup('open', A, 10);
    const token = await signToken(a1, cached.claims());
    const first = await cached.verifier.verify(token);
    expect(first.ok).toBe(true);
    expect(await cached.verifier.verify(token)).toBe(first);

    const uncached = setup('open', A, 0);
    const again = await signToken(a1, uncached.claims());
    const one = await uncached.verifier.verify(again);
    const two = await uncached.verifier.verify(again);
    expect(two).toEqual(one);
    expect(two).not.toBe(one);
  });

  it('refuses a cached token once it expires (exp with the clock skew, as jose)', async () => {
    const { verifier, claims, clock, now } = setup('open', A, 10);
    const token = await signToken(a1, claims({ exp: now() + 60 }));
    expect(reason(await verifier.verify(token))).toBe('ok');
    clock.advanceSeconds(60 + 29);
    expect(reason(await verifier.verify(token))).toBe('ok');
    clock.advanceSeconds(2);
    expect(reason(await verifier.verify(token))).toBe('expired');
  });

  it('refuses a cached token of a key the issuer withdrew as soon as the reloaded JWKS lacks it', async () => {
    const { verifier, claims, clock, now, issuers } = setup('open', A, 10);
    const token = await signToken(a2, claims({ exp: now() + 3 * 3600 }));
    expect(reason(await verifier.verify(token))).toBe('ok');
    issuers.issuers.get(A)!.jwks = { keys: [a1.publicJwk] };
    expect(reason(await verifier.verify(token))).toBe('ok');
    // The TTL runs out (no stale-if-error here): the keys are reloaded before the next answer.
    clock.advanceSeconds(3601);
    expect(reason(await verifier.verify(token))).toBe('unknown-kid');
    await settle();
    expect(reason(await verifier.verify(token))).toBe('unknown-kid');
    expect(reason(await verifier.verify(await signToken(a1, claims({ exp: now() + 60 }))))).toBe('ok');
  });

  it('refuses cached tokens once the gateway forgets its keys and the issuer cannot be reached', async () => {
    const { verifier, claims, cache, issuers } = setup('open', A, 10);
    const token = await signToken(a1, claims());
    expect(reason(await verifier.verify(token))).toBe('ok');
    issuers.issuers.get(A)!.status = 503;
    cache.clear();
    expect(reason(await verifier.verify(token))).not.toBe('ok');
  });

  it('verifies anew after the policy changes: a token of the old audience is refused', async () => {
    const { verifier, claims, settings } = setup('closed', A, 10);
    const token = await signToken(a1, claims());
    expect(reason(await verifier.verify(token))).toBe('ok');
    settings.update({ audience: 'another-audience' });
    expect(reason(await verifier.verify(token))).toBe('audience');
    settings.reset();
    expect(reason(await verifier.verify(token))).toBe('ok');
  });

  it('holds at most the configured number of tokens, dropping the least recently verified', async () => {
    const { verifier, claims } = setup('open', A, 1);
    const [t1, t2] = await Promise.all([signToken(a1, claims({ jti: 'one' })), signToken(a1, claims({ jti: 'two' }))]);
    const first = await verifier.verify(t1);
    const second = await verifier.verify(t2);
    expect(await verifier.verify(t2)).toBe(second);
    expect(await verifier.verify(t1)).not.toBe(first);
  });

  it('never caches a refusal: a token refused for an unknown kid is accepted once its key is published', async () => {
    const { verifier, claims, clock, issuers } = setup('open', A, 10);
    const c3 = await makeRsaKey('a3');
    const token = await signToken(c3, claims());
    expect(reason(await verifier.verify(token))).toBe('unknown-kid');
    issuers.issuers.get(A)!.jwks = { keys: [a1.publicJwk, a2.publicJwk, c3.publicJwk] };
    clock.advanceSeconds(31);
    expect(reason(await verifier.verify(token))).toBe('ok');
  });
});
