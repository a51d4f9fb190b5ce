import { generateKeyPairSync } from 'node:crypto';
import { PATH, USER_AGENT } from '../../../../contracts/src/index.js';
import { FakeIssuers } from '../../test/support/fake-issuers.js';
import { makeRsaKey, type TestKey } from '../../test/support/keys.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { JwksCache, type JwksCacheOptions } from './jwks-cache.js';

const ISSUER = 'https://gitlab.example';
const OTHER = 'https://customers.example';

let k1: TestKey;
let k2: TestKey;
let k3: TestKey;

beforeAll(async () => {
  [k1, k2, k3] = await Promise.all([makeRsaKey('k1'), makeRsaKey('k2'), makeRsaKey('k3')]);
});

function setup(options: Partial<JwksCacheOptions> = {}) {
  const clock = new ManualClock();
  const issuers = new FakeIssuers();
  const issuer = issuers.add(ISSUER, { keys: [k1.publicJwk] });
  const cache = new JwksCache({
    issuers: [ISSUER],
    allowedAlgorithms: ['RS256'],
    ttlSeconds: 100,
    minRefetchSeconds: 10,
    staleIfErrorSeconds: 50,
    fetchTimeoutMs: 1000,
    fetch: issuers.fetch,
    clock: clock.now,
    ...options,
  });
  const discoveries = () => issuers.count(PATH.OPENID_CONFIGURATION);
  const jwksFetches = () => issuers.count(PATH.JWKS);
  const kids = async (kid?: string) => (await cache.candidates(ISSUER, kid)).map((k) => k.kid);
  return { clock, issuers, issuer, cache, discoveries, jwksFetches, kids };
}

/** Two trusted issuers, ISSUER publishing k1 and OTHER publishing k2; no stale serving. */
function twoIssuers() {
  const clock = new ManualClock();
  const issuers = new FakeIssuers();
  issuers.add(ISSUER, { keys: [k1.publicJwk] });
  const other = issuers.add(OTHER, { keys: [k2.publicJwk] });
  const cache = new JwksCache({
    issuers: [ISSUER, OTHER],
    allowedAlgorithms: ['RS256'],
    ttlSeconds: 100,
    minRefetchSeconds: 10,
    staleIfErrorSeconds: 0,
    fetchTimeoutMs: 1000,
    fetch: issuers.fetch,
    clock: clock.now,
  });
  return { clock, issuers, other, cache };
}

describe('JwksCache', () => {
  it('loads by discovery then jwks_uri on first use, with the gateway User-Agent, and serves from memory afterwards', async () => {
    const { cache, issuers, discoveries, jwksFetches, kids } = setup();
    expect(cache.lookup(ISSUER, 'k1')).toBeUndefined();
    expect(await kids('k1')).toEqual(['k1']);
    expect(issuers.fetched.map((f) => f.url)).toEqual([`${ISSUER}${PATH.OPENID_CONFIGURATION}`, `${ISSUER}${PATH.JWKS}`]);
    expect(new Set(issuers.fetched.map((f) => f.userAgent))).toEqual(new Set([USER_AGENT.GATEWAY]));

    const fast = cache.lookup(ISSUER, 'k1');
    expect(fast?.map((k) => k.kid)).toEqual(['k1']);
    expect(fast?.[0]?.issuer).toBe(ISSUER);
    expect(fast?.[0]?.key.asymmetricKeyType).toBe('rsa');
    expect(await kids('k1')).toEqual(['k1']);
    expect([discoveries(), jwksFetches()]).toEqual([1, 1]);
  });

  it('refreshes once the TTL has expired, not before, in the background while the old keys keep serving', async () => {
    const { cache, clock, jwksFetches, kids } = setup();
    await kids('k1');
    clock.advanceSeconds(99);
    expect(cache.lookup(ISSUER, 'k1')).toHaveLength(1);
    expect(jwksFetches()).toBe(1);
    clock.advanceSeconds(1);
    expect(cache.lookup(ISSUER, 'k1')?.map((k) => k.kid)).toEqual(['k1']);
    await cache.ensureLoaded();
    expect(jwksFetches()).toBe(2);
    expect(cache.snapshot()[0]?.fetchedAt).toBe(new Date(clock.nowMs).toISOString());
  });

  it('waits for the refresh when the TTL is over and nothing may be served stale', async () => {
    const { cache, clock, issuer, jwksFetches, kids } = setup({ staleIfErrorSeconds: 0 });
    await kids('k1');
    issuer.jwks = { keys: [k2.publicJwk] };
    clock.advanceSeconds(100);
    expect(cache.lookup(ISSUER, 'k1')).toBeUndefined();
    expect(await kids(undefined)).toEqual(['k2']);
    expect(jwksFetches()).toBe(2);
  });

  it('shares one fetch among concurrent callers (single flight)', async () => {
    const { issuer, discoveries, jwksFetches, kids } = setup();
    let release!: () => void;
    issuer.gate = new Promise((r) => (release = r));
    const callers = Array.from({ length: 20 }, (_, i) => kids(i % 2 ? 'k1' : undefined));
    release();
    const results = await Promise.all(callers);
    expect(results.every((r) => r.length === 1 && r[0] === 'k1')).toBe(true);
    expect([discoveries(), jwksFetches()]).toEqual([1, 1]);
  });

  it('re-fetches for unknown kids at most once per min-refetch interval', async () => {
    const { clock, jwksFetches, kids } = setup();
    expect(await kids('rotated')).toEqual([]);
    expect(jwksFetches()).toBe(1); // the cold load already had the newest keys: no second fetch in the same breath

    clock.advanceSeconds(1);
    expect(await kids('rotated')).toEqual([]); // the first unknown-kid re-fetch
    expect(await kids('other-unknown')).toEqual([]);
    clock.advanceSeconds(8);
    expect(await kids('rotated')).toEqual([]);
    expect(jwksFetches()).toBe(2);

    clock.advanceSeconds(2); // 10 s after the first unknown-kid re-fetch
    expect(await kids('rotated')).toEqual([]);
    expect(await kids('rotated')).toEqual([]);
    expect(jwksFetches()).toBe(3);
  });

  it('makes a key published right after a load usable at once through the unknown-kid re-fetch (rotation)', async () => {
    const { issuer, clock, kids, jwksFetches } = setup();
    await kids('k1');
    issuer.jwks = { keys: [k1.publicJwk, k2.publicJwk] };
    clock.advanceSeconds(1);
    expect(await kids('k2')).toEqual(['k2']);
    expect(await kids('k1')).toEqual(['k1']);
    expect(jwksFetches()).toBe(2);
  });

  it('stops accepting a key removed from the JWKS once the cache refreshes', async () => {
    const { issuer, clock, cache, kids } = setup();
    issuer.jwks = { keys: [k1.publicJwk, k2.publicJwk] };
    await kids('k1');
    issuer.jwks = { keys: [k2.publicJwk] };
    clock.advanceSeconds(50);
    expect(await kids('k1')).toEqual(['k1']); // still fresh: not yet refreshed
    clock.advanceSeconds(50);
    cache.lookup(ISSUER, 'k2'); // TTL over: starts the refresh
    await cache.ensureLoaded();
    expect(await kids('k1')).toEqual([]);
    expect(await kids('k2')).toEqual(['k2']);
    expect(cache.snapshot()[0]?.keys).toEqual(['k2']);
  });

  it('serves the last good keys while fetches fail, up to stale-if-error past the TTL, backing off between attempts', async () => {
    const { issuer, clock, cache, jwksFetches, discoveries, kids } = setup();
    await kids('k1');
    issuer.networkError = true;
    clock.advanceSeconds(100); // TTL over: the refresh fails, the keys keep serving
    expect(await kids('k1')).toEqual(['k1']);
    await cache.ensureLoaded();
    expect(discoveries()).toBe(2);
    expect(cache.snapshot()[0]?.lastError).toMatch(/unreachable/);
    expect(await kids('k1')).toEqual(['k1']);

    clock.advanceSeconds(5); // within the back-off: no new attempt
    expect(cache.lookup(ISSUER, 'k1')).toHaveLength(1);
    expect(await kids(undefined)).toEqual(['k1']);
    await cache.ensureLoaded();
    expect(discoveries()).toBe(2);

    issuer.networkError = false;
    issuer.status = 503;
    clock.advanceSeconds(40); // 145 s after the load: still within TTL + stale (150 s)
    expect(await kids('k1')).toEqual(['k1']);
    await cache.ensureLoaded();
    expect(discoveries()).toBe(3);
    expect(cache.snapshot()[0]?.lastError).toMatch(/HTTP 503/);

    clock.advanceSeconds(5); // 150 s: stale window over; the issuer still answers 503
    expect(await kids('k1')).toEqual([]);
    expect(cache.hasUsableKeys()).toBe(false);

    issuer.status = 200;
    clock.advanceSeconds(10);
    expect(await kids('k1')).toEqual(['k1']);
    expect(jwksFetches()).toBe(2);
  });

  it('retries a failed cold load after a second, not after the whole min-refetch interval', async () => {
    const { issuer, clock, discoveries, kids } = setup();
    issuer.networkError = true; // the gateway started before its issuer
    expect(await kids('k1')).toEqual([]);
    issuer.networkError = false;
    clock.advanceSeconds(0.5);
    expect(await kids('k1')).toEqual([]); // within the cold retry interval: no attempt
    expect(discoveries()).toBe(1);
    clock.advanceSeconds(0.5);
    expect(await kids('k1')).toEqual(['k1']);
    expect(discoveries()).toBe(2);
  });

  it('does not hold up tokens of a healthy issuer while another trusted issuer is down', async () => {
    const { clock, issuers, other: down, cache } = twoIssuers();
    down.networkError = true;
    await cache.ensureLoaded();
    let release!: () => void;
    down.gate = new Promise((r) => (release = r));
    clock.advanceSeconds(10); // the down issuer may be retried now
    expect(cache.lookup(ISSUER, 'k1')?.map((k) => k.kid)).toEqual(['k1']); // answered without waiting
    expect(cache.lookup(ISSUER, undefined)?.map((k) => k.kid)).toEqual(['k1']);
    release();
    await cache.ensureLoaded();
    expect(issuers.count(`${OTHER}${PATH.OPENID_CONFIGURATION}`)).toBe(2);
  });

  it('never caches an empty key set as a success', async () => {
    const { issuer, clock, cache, jwksFetches, kids } = setup();
    issuer.jwks = { keys: [] };
    expect(await kids(undefined)).toEqual([]);
    expect(cache.hasUsableKeys()).toBe(false);
    expect(cache.snapshot()[0]).toMatchObject({ keys: [], fetchedAt: null, lastError: expect.stringMatching(/no usable signing key/) });

    issuer.jwks = { keys: [k1.publicJwk] };
    clock.advanceSeconds(10);
    expect(await kids(undefined)).toEqual(['k1']);
    expect(jwksFetches()).toBe(2);
  });

  it('keeps the previous keys when a refresh returns an empty set', async () => {
    const { issuer, clock, cache, jwksFetches, kids } = setup();
    await kids('k1');
    issuer.jwks = { keys: [] };
    clock.advanceSeconds(100);
    expect(await kids('k1')).toEqual(['k1']);
    await cache.ensureLoaded();
    expect(jwksFetches()).toBe(2);
    expect(await kids('k1')).toEqual(['k1']);
    expect(cache.snapshot()[0]).toMatchObject({ keys: ['k1'], lastError: expect.stringMatching(/no usable signing key/) });
  });

  it('refuses an issuer whose discovery document names another issuer, and drops its cached keys', async () => {
    const { issuer, clock, cache, kids } = setup();
    await kids('k1');
    issuer.discoveryIssuer = 'https://evil.example';
    clock.advanceSeconds(100);
    cache.lookup(ISSUER, 'k1');
    await cache.ensureLoaded();
    expect(await kids('k1')).toEqual([]);
    expect(cache.hasUsableKeys()).toBe(false);
    expect(cache.snapshot()[0]?.lastError).toMatch(/evil\.example.*Discovery §4\.3/);
  });

  it('refuses a discovery issuer that differs only by a trailing slash', async () => {
    const { issuer, kids } = setup();
    issuer.discoveryIssuer = `${ISSUER}/`;
    expect(await kids('k1')).toEqual([]);
  });

  it('imports only public signing keys fit for the allowed algorithms', async () => {
    const { issuer, cache, kids } = setup();
    const { privateKey: rsaPrivate } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { publicKey: short } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const { publicKey: ec } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    issuer.jwks = {
      keys: [
        { ...(rsaPrivate.export({ format: 'jwk' }) as object), kid: 'private', use: 'sig' },
        { ...k2.publicJwk, kid: 'enc', use: 'enc' },
        { ...(short.export({ format: 'jwk' }) as object), kid: 'short' },
        { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' },
        { ...k3.publicJwk, kid: 'hs-alg', alg: 'HS256' },
        { ...(ec.export({ format: 'jwk' }) as object), kid: 'ec' },
        { ...k3.publicJwk, kid: 'sign-only', key_ops: ['sign'] },
        { kty: 'RSA', kid: 'garbage', n: 'AAAA', e: 'AQAB' },
        'not-a-key',
        { ...k1.publicJwk, alg: undefined, use: undefined },
      ],
    };
    expect(await kids(undefined)).toEqual(['k1']);
    expect(cache.snapshot()[0]?.keys).toEqual(['k1']);
  });

  it('accepts EC keys only when an ES algorithm of their curve is allowed', async () => {
    const { publicKey: ec } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { issuer, kids } = setup({ allowedAlgorithms: ['RS256', 'ES256'] });
    issuer.jwks = { keys: [{ ...(ec.export({ format: 'jwk' }) as object), kid: 'ec' }] };
    const keys = await kids('ec');
    expect(keys).toEqual(['ec']);
  });

  it('indexes kids across issuers and remembers which issuer published each key', async () => {
    const { cache } = twoIssuers();
    await cache.ensureLoaded();
    expect(cache.lookup(ISSUER, 'k2')?.map((k) => k.issuer)).toEqual([OTHER]);
    expect(cache.lookup(OTHER, undefined)?.map((k) => k.kid)).toEqual(['k2']);
    expect(cache.lookup('https://unknown.example', 'k1')).toEqual([]);
  });

  it('clear() forgets every key and fetch (cold cache)', async () => {
    const { cache, kids, jwksFetches } = setup();
    await kids('k1');
    cache.clear();
    expect(cache.hasUsableKeys()).toBe(false);
    expect(cache.snapshot()[0]).toEqual({ issuer: ISSUER, jwksUri: null, keys: [], fetchedAt: null, fetches: 0, lastError: null });
    expect(await kids('k1')).toEqual(['k1']);
    expect(jwksFetches()).toBe(2);
  });

  it('reports each issuer in snapshot()', async () => {
    const { cache, clock, kids } = setup();
    await kids('k1');
    expect(cache.snapshot()).toEqual([
      { issuer: ISSUER, jwksUri: `${ISSUER}${PATH.JWKS}`, keys: ['k1'], fetchedAt: new Date(clock.nowMs).toISOString(), fetches: 1, lastError: null },
    ]);
  });
});
