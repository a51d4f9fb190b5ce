import { jest } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { PATH, USER_AGENT } from '#contracts';
import type { Logger } from '#common';
import { FakeIssuers } from '../../test/support/fake-issuers.js';
import { makeRsaKey, type TestKey } from '#common/testing/jwt';
import { ManualClock } from '../../test/support/manual-clock.js';
import { ISSUER_NEEDED, JwksCache, MAX_ABSENT_KIDS, type JwksCacheOptions } from './jwks-cache.js';

const ISSUER = 'https://gitlab.example';
const OTHER = 'https://customers.example';
const INTERVAL_MS = 1000;

let k1: TestKey;
let k2: TestKey;
let k3: TestKey;

beforeAll(async () => {
  [k1, k2, k3] = await Promise.all([makeRsaKey('k1'), makeRsaKey('k2'), makeRsaKey('k3')]);
});

function fakeLogger() {
  const calls = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  return { logger: calls as unknown as Logger, ...calls };
}

function setup(options: Partial<JwksCacheOptions> = {}, issuerNames: readonly string[] = [ISSUER]) {
  const clock = new ManualClock();
  const issuers = new FakeIssuers();
  const issuer = issuers.add(ISSUER, { keys: [k1.publicJwk] });
  const other = issuerNames.includes(OTHER) ? issuers.add(OTHER, { keys: [k2.publicJwk] }) : undefined;
  const log = fakeLogger();
  const cache = new JwksCache({
    issuers: issuerNames,
    allowedAlgorithms: ['RS256'],
    ttlSeconds: 100,
    refetchIntervalMs: INTERVAL_MS,
    negativeCacheSeconds: 30,
    coldRetryMs: 1000,
    errorBackoffSeconds: 10,
    staleIfErrorSeconds: 50,
    fetchTimeoutMs: 1000,
    maxDocumentBytes: 64 * 1024,
    fetch: issuers.fetch,
    clock: clock.now,
    sleep: clock.sleep,
    logger: log.logger,
    ...options,
  });
  const discoveries = () => issuers.count(PATH.OPENID_CONFIGURATION);
  const jwksFetches = () => issuers.count(PATH.JWKS);
  /** The kids keysFor() resolves to for a token of issuer `of`, waiting as the rules allow. */
  const kids = async (kid?: string, of: string = ISSUER) => (await cache.keysFor(kid, of)).map((k) => k.kid);
  /** What keysFor() answers at once without the token's issuer: the kids its usable keys hold, or ISSUER_NEEDED. */
  const atOnce = (kid?: string) => {
    const answer = cache.keysFor(kid);
    return answer === ISSUER_NEEDED ? answer : answer.map((k) => k.kid);
  };
  return { clock, issuers, issuer, other: other!, cache, log, discoveries, jwksFetches, kids, atOnce };
}

/** Two trusted issuers, ISSUER publishing k1 and OTHER publishing k2; no stale serving. */
const twoIssuers = () => setup({ staleIfErrorSeconds: 0 }, [ISSUER, OTHER]);

describe('JwksCache', () => {
  describe('loading and refreshing', () => {
    it('loads by discovery then jwks_uri on first use, with the gateway User-Agent, and serves from memory afterwards', async () => {
      const { cache, issuers, discoveries, jwksFetches, kids } = setup();
      expect(cache.keysFor('k1')).toBe(ISSUER_NEEDED);
      expect(issuers.fetched).toEqual([]); // asking without the issuer loads nothing
      expect(await kids('k1')).toEqual(['k1']);
      expect(issuers.fetched.map((f) => f.url)).toEqual([`${ISSUER}${PATH.OPENID_CONFIGURATION}`, `${ISSUER}${PATH.JWKS}`]);
      expect(new Set(issuers.fetched.map((f) => f.userAgent))).toEqual(new Set([USER_AGENT.GATEWAY]));

      const fast = cache.keysFor('k1');
      if (fast === ISSUER_NEEDED) throw new Error('a held kid needs no issuer');
      expect(fast.map((k) => k.kid)).toEqual(['k1']);
      expect(fast[0]).toMatchObject({ issuer: ISSUER, trustedIssuer: ISSUER });
      expect([...fast[0]!.verifiers.keys()]).toEqual(['RS256']);
      expect(cache.keysFor('k1')).toBe(fast); // the same list again: nothing allocated per keystroke
      expect(cache.keysFor('k1', ISSUER)).toBe(fast);
      expect(await kids('k1')).toEqual(['k1']);
      expect([discoveries(), jwksFetches()]).toEqual([1, 1]);
    });

    it('refreshes once the TTL has expired, not before, in the background while the old keys keep serving', async () => {
      const { cache, clock, jwksFetches, kids, atOnce } = setup();
      await kids('k1');
      clock.advanceSeconds(99);
      expect(atOnce('k1')).toEqual(['k1']);
      expect(jwksFetches()).toBe(1);
      clock.advanceSeconds(1);
      expect(atOnce('k1')).toEqual(['k1']);
      await cache.ensureLoaded();
      expect(jwksFetches()).toBe(2);
      expect(cache.snapshot()[0]?.fetchedAt).toBe(new Date(clock.nowMs).toISOString());
    });

    it('waits for the refresh when the TTL is over and nothing may be served stale', async () => {
      const { cache, clock, issuer, jwksFetches, kids } = setup({ staleIfErrorSeconds: 0 });
      await kids('k1');
      issuer.jwks = { keys: [k2.publicJwk] };
      clock.advanceSeconds(100);
      expect(cache.keysFor('k1')).toBe(ISSUER_NEEDED); // k1 is no longer usable
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

    it('stops accepting a key removed from the JWKS once the cache refreshes', async () => {
      const { issuer, clock, cache, kids } = setup();
      issuer.jwks = { keys: [k1.publicJwk, k2.publicJwk] };
      await kids('k1');
      issuer.jwks = { keys: [k2.publicJwk] };
      clock.advanceSeconds(50);
      expect(await kids('k1')).toEqual(['k1']); // still fresh: not yet refreshed
      clock.advanceSeconds(50);
      cache.keysFor('k2'); // TTL over: starts the refresh
      await cache.ensureLoaded();
      expect(await kids('k1')).toEqual([]);
      expect(await kids('k2')).toEqual(['k2']);
      expect(cache.snapshot()[0]?.keys).toEqual(['k2']);
    });
  });

  describe('unknown kids', () => {
    it('makes a key published right after a load usable on its first token, which waits at most one interval for the re-fetch', async () => {
      const { issuer, clock, kids, jwksFetches, discoveries } = setup();
      await kids('k1');
      issuer.jwks = { keys: [k1.publicJwk, k2.publicJwk] };
      clock.advanceMs(200);
      expect(await kids('k2')).toEqual(['k2']);
      expect(clock.sleeps).toEqual([INTERVAL_MS - 200]); // trailing edge of the interval since the cold load
      expect(await kids('k1')).toEqual(['k1']);
      expect([discoveries(), jwksFetches()]).toEqual([1, 2]); // the re-fetch reads the JWKS only
    });

    it('re-fetches at once when the interval since the last fetch is over', async () => {
      const { issuer, clock, kids, jwksFetches } = setup();
      await kids('k1');
      issuer.jwks = { keys: [k1.publicJwk, k2.publicJwk] };
      clock.advanceMs(INTERVAL_MS);
      expect(await kids('k2')).toEqual(['k2']);
      expect(clock.sleeps).toEqual([]);
      expect(jwksFetches()).toBe(2);
    });

    it('refuses a kid a re-fetch found absent at once, without a fetch or a wait, until the negative cache entry expires', async () => {
      const { clock, cache, kids, jwksFetches } = setup();
      await kids('k1');
      clock.advanceMs(INTERVAL_MS);
      expect(await kids('forged')).toEqual([]);
      expect(jwksFetches()).toBe(2);

      clock.advanceSeconds(29);
      expect(cache.keysFor('forged', ISSUER)).toEqual([]); // answered at once (not a promise): refuse now
      expect(jwksFetches()).toBe(2);
      expect(clock.sleeps).toEqual([]);

      clock.advanceSeconds(1); // 30 s after the fetch that found it absent
      const pending = cache.keysFor('forged', ISSUER);
      expect(pending).toBeInstanceOf(Promise);
      expect(await pending).toEqual([]);
      expect(jwksFetches()).toBe(3);
    });

    it('accepts a kid it refused before as soon as any later load brings its key', async () => {
      const { issuer, clock, kids, atOnce } = setup();
      await kids('k1');
      clock.advanceMs(INTERVAL_MS);
      expect(await kids('k2')).toEqual([]);
      issuer.jwks = { keys: [k1.publicJwk, k2.publicJwk] };
      clock.advanceMs(INTERVAL_MS);
      expect(await kids('another-unknown')).toEqual([]); // its re-fetch brings k2
      expect(atOnce('k2')).toEqual(['k2']);
    });

    it('keeps at most MAX_ABSENT_KIDS absent kids per issuer, dropping the oldest', async () => {
      const { clock, cache, kids, jwksFetches } = setup();
      await kids('k1');
      clock.advanceMs(INTERVAL_MS);
      const forged = Array.from({ length: MAX_ABSENT_KIDS + 1 }, (_, i) => `forged-${i}`);
      await Promise.all(forged.map((kid) => kids(kid)));
      expect(jwksFetches()).toBe(2); // one re-fetch answered all of them
      expect(cache.keysFor(forged[MAX_ABSENT_KIDS]!, ISSUER)).toEqual([]);
      expect(cache.keysFor(forged[1]!, ISSUER)).toEqual([]);
      const evicted = cache.keysFor(forged[0]!, ISSUER); // unknown again: waits for a re-fetch
      expect(evicted).toBeInstanceOf(Promise);
      expect(await evicted).toEqual([]);
    });

    it('lets a flood of forged random kids cost at most one re-fetch per interval, and still accepts a newly published key on its first token', async () => {
      const { issuer, clock, kids, jwksFetches } = setup();
      await kids('k1');
      const start = clock.nowMs;
      const before = jwksFetches();
      for (let burst = 0; burst < 20; burst++) {
        const refused = await Promise.all(Array.from({ length: 25 }, () => kids(randomUUID())));
        expect(refused.every((r) => r.length === 0)).toBe(true);
        clock.advanceMs(130);
      }
      issuer.jwks = { keys: [k1.publicJwk, k2.publicJwk] };
      expect(await kids('k2')).toEqual(['k2']);
      const elapsed = clock.nowMs - start;
      expect(jwksFetches() - before).toBeLessThanOrEqual(Math.ceil(elapsed / INTERVAL_MS) + 1);
      expect(jwksFetches() - before).toBeGreaterThan(1); // the flood did cause re-fetches: the bound is what held
    });

    it('sends If-None-Match on re-fetches and keeps the keys on 304 Not Modified', async () => {
      const { issuer, issuers, clock, kids, cache, atOnce } = setup();
      issuer.etags = true;
      await kids('k1');
      clock.advanceMs(INTERVAL_MS);
      expect(await kids('forged')).toEqual([]);
      const refetch = issuers.fetched.at(-1)!;
      expect(refetch).toMatchObject({ url: `${ISSUER}${PATH.JWKS}`, ifNoneMatch: expect.stringMatching(/^".+"$/), status: 304 });
      expect(atOnce('k1')).toEqual(['k1']);
      expect(cache.snapshot()[0]).toMatchObject({ status: 'ok', lastError: null });
    });

    it('refuses an unknown kid at once, without a fetch, while a failed fetch backs off', async () => {
      const { issuer, clock, cache, kids, jwksFetches } = setup();
      await kids('k1');
      clock.advanceSeconds(100);
      issuer.status = 503;
      await cache.ensureLoaded(); // the TTL refresh fails: stale keys serve, 10 s back-off
      const fetches = jwksFetches();
      clock.advanceSeconds(5);
      expect(cache.keysFor('unknown', ISSUER)).toEqual([]); // answered at once, not a promise
      expect(jwksFetches()).toBe(fetches);
      expect(clock.sleeps).toEqual([]);
    });

    it('indexes kids across issuers and remembers which issuer published each key', async () => {
      const { cache } = twoIssuers();
      await cache.ensureLoaded();
      expect(cache.keysFor('k2', ISSUER)).toEqual([expect.objectContaining({ kid: 'k2', trustedIssuer: OTHER })]);
      expect(cache.keysFor(undefined, OTHER)).toEqual([expect.objectContaining({ kid: 'k2' })]);
      expect(cache.keysFor(undefined, 'https://unknown.example')).toEqual([]);
      expect(cache.keysFor('k3', 'https://unknown.example')).toEqual([]);
    });
  });

  describe('failures', () => {
    it('serves the last good keys while fetches fail, up to stale-if-error past the TTL, backing off between attempts', async () => {
      const { issuer, clock, cache, jwksFetches, discoveries, kids, atOnce } = setup();
      await kids('k1');
      issuer.networkError = true;
      clock.advanceSeconds(100); // TTL over: the refresh fails, the keys keep serving
      expect(await kids('k1')).toEqual(['k1']);
      await cache.ensureLoaded();
      expect(discoveries()).toBe(2);
      expect(cache.snapshot()[0]).toMatchObject({ status: 'stale', lastError: expect.stringMatching(/unreachable/) });
      expect(await kids('k1')).toEqual(['k1']);

      clock.advanceSeconds(5); // within the back-off: no new attempt
      expect(atOnce('k1')).toEqual(['k1']);
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
      expect(cache.snapshot()[0]?.status).toBe('unavailable');

      issuer.status = 200;
      clock.advanceSeconds(10);
      expect(await kids('k1')).toEqual(['k1']);
      expect(jwksFetches()).toBe(2);
    });

    it('retries on the cold-retry bound, not the rest of the error back-off, once the stale keys stop serving', async () => {
      const { issuer, clock, cache, discoveries, kids } = setup();
      await kids('k1');
      clock.advanceSeconds(145);
      issuer.status = 503;
      cache.keysFor('k1'); // TTL over: starts the refresh, which fails; 10 s back-off while k1 serves stale
      await cache.ensureLoaded();
      expect(discoveries()).toBe(2);
      clock.advanceSeconds(5); // 150 s: stale-if-error over, so the 1 s cold retry applies
      expect(await kids(undefined)).toEqual([]);
      expect(discoveries()).toBe(3);
    });

    it('loads again when the back-off of a failed unknown-kid re-fetch ends, though the keys are still fresh', async () => {
      const { issuer, clock, cache, jwksFetches, kids, atOnce } = setup();
      await kids('k1');
      clock.advanceMs(INTERVAL_MS);
      issuer.status = 503;
      expect(await kids('forged')).toEqual([]);
      expect(cache.snapshot()[0]).toMatchObject({ status: 'stale', lastError: expect.stringMatching(/HTTP 503/) });
      issuer.status = 200;
      clock.advanceSeconds(9); // within the 10 s back-off: nothing is due
      expect(atOnce('k1')).toEqual(['k1']);
      await cache.ensureLoaded();
      expect(jwksFetches()).toBe(2);
      clock.advanceSeconds(1); // the back-off is over: the next keystroke starts a full load
      expect(atOnce('k1')).toEqual(['k1']);
      await cache.ensureLoaded();
      expect(jwksFetches()).toBe(3);
      expect(cache.snapshot()[0]).toMatchObject({ status: 'ok', lastError: null });
    });

    it('retries a failed cold load after the cold-retry interval, not after the error back-off', async () => {
      const { issuer, clock, discoveries, kids } = setup();
      issuer.networkError = true; // the gateway started before its issuer
      expect(await kids('k1')).toEqual([]);
      issuer.networkError = false;
      clock.advanceMs(500);
      expect(await kids('k1')).toEqual([]); // within the cold retry interval: no attempt
      expect(discoveries()).toBe(1);
      clock.advanceMs(500);
      expect(await kids('k1')).toEqual(['k1']);
      expect(discoveries()).toBe(2);
    });

    it('retries an issuer that is down on the cold-retry bound while tokens of another issuer flow, without holding them up', async () => {
      const { clock, issuers, other: down, cache, atOnce } = twoIssuers();
      down.networkError = true;
      await cache.ensureLoaded();
      expect(cache.snapshot().map((s) => s.status)).toEqual(['ok', 'unavailable']);
      let release!: () => void;
      down.gate = new Promise((r) => (release = r));
      clock.advanceMs(1000); // the down issuer may be retried now
      expect(atOnce('k1')).toEqual(['k1']); // answered without waiting, retry started
      expect(cache.keysFor(undefined, ISSUER)).toEqual([expect.objectContaining({ kid: 'k1' })]);
      expect(issuers.count(`${OTHER}${PATH.OPENID_CONFIGURATION}`)).toBe(2);
      down.networkError = false;
      release();
      await cache.ensureLoaded();
      expect(cache.snapshot().map((s) => s.status)).toEqual(['ok', 'ok']);
      expect(atOnce('k2')).toEqual(['k2']);
    });

    it('never caches an empty key set as a success', async () => {
      const { issuer, clock, cache, jwksFetches, kids } = setup();
      issuer.jwks = { keys: [] };
      expect(await kids(undefined)).toEqual([]);
      expect(cache.snapshot()[0]).toMatchObject({ status: 'unavailable', keys: [], fetchedAt: null, lastError: expect.stringMatching(/no usable signing key/) });

      issuer.jwks = { keys: [k1.publicJwk] };
      clock.advanceSeconds(1);
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
      expect(cache.snapshot()[0]).toMatchObject({ keys: ['k1'], status: 'stale', lastError: expect.stringMatching(/no usable signing key/) });
    });

    it.each([
      ['an HTTP 500', (i: ReturnType<typeof setup>['issuer']) => (i.status = 500), /answered HTTP 500/],
      ['garbage', (i: ReturnType<typeof setup>['issuer']) => (i.rawJwks = '<html>oops'), /did not return JSON/],
      ['a body over the cap', (i: ReturnType<typeof setup>['issuer']) => (i.rawJwks = JSON.stringify({ keys: [], pad: 'x'.repeat(70_000) })), /body over 65536 bytes/],
      ['JSON nested too deep', (i: ReturnType<typeof setup>['issuer']) => (i.rawJwks = `{"keys":${'['.repeat(100)}${']'.repeat(100)}}`), /nested deeper/],
      ['no JWK Set', (i: ReturnType<typeof setup>['issuer']) => (i.rawJwks = '{"keys":"k1"}'), /did not return a JWK Set/],
    ])('records a JWKS answered with %s as a failed load, with the reason, and loads nothing', async (_name, breakIt, reason) => {
      const { issuer, cache, kids } = setup();
      breakIt(issuer);
      expect(await kids('k1')).toEqual([]);
      expect(cache.snapshot()[0]).toMatchObject({ status: 'unavailable', keys: [], lastError: expect.stringMatching(reason) });
    });

    it('gives up on an issuer that does not answer within the fetch timeout', async () => {
      const hanging = (_url: string, init: RequestInit) =>
        new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
      const { cache, kids } = setup({ fetch: hanging, fetchTimeoutMs: 20 });
      expect(await kids('k1')).toEqual([]);
      expect(cache.snapshot()[0]?.lastError).toMatch(/did not answer within 20 ms/);
    });

    it('logs a failure as a warning with the reason, and a misconfigured issuer as an error', async () => {
      const { issuer, cache, clock, log, kids } = setup();
      issuer.networkError = true;
      await kids('k1');
      expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ issuer: ISSUER, failure: 'unreachable', servingStaleKeys: false }), 'JWKS fetch failed');
      issuer.networkError = false;
      issuer.discoveryIssuer = 'https://evil.example';
      clock.advanceSeconds(1);
      await cache.ensureLoaded();
      expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ issuer: ISSUER, failure: 'misconfigured' }), expect.stringMatching(/needs attention/));
    });
  });

  describe('the discovery issuer', () => {
    it.each([
      ['the discovery document adds one', ISSUER, `${ISSUER}/`],
      ['the configuration adds one', `${ISSUER}/`, ISSUER],
    ])('accepts a spelling that differs by one trailing slash (%s) and records how discovery spells it', async (_name, configured, discovered) => {
      const clock = new ManualClock();
      const issuers = new FakeIssuers();
      issuers.add(ISSUER, { keys: [k1.publicJwk] }).discoveryIssuer = discovered;
      const cache = new JwksCache({
        issuers: [configured],
        allowedAlgorithms: ['RS256'],
        ttlSeconds: 100,
        refetchIntervalMs: INTERVAL_MS,
        negativeCacheSeconds: 30,
        coldRetryMs: 1000,
        errorBackoffSeconds: 10,
        staleIfErrorSeconds: 50,
        fetchTimeoutMs: 1000,
        maxDocumentBytes: 64 * 1024,
        fetch: issuers.fetch,
        clock: clock.now,
        sleep: clock.sleep,
      });
      const keys = await cache.keysFor('k1', configured);
      expect(keys.map((k) => [k.kid, k.issuer, k.trustedIssuer])).toEqual([['k1', discovered, configured]]);
      expect(cache.snapshot()[0]).toMatchObject({ issuer: configured, discoveredIssuer: discovered, status: 'ok' });
    });

    it('refuses a discovery document naming another issuer, yet keeps serving the last good keys until stale-if-error ends, saying why', async () => {
      const { issuer, clock, cache, kids } = setup();
      await kids('k1');
      issuer.discoveryIssuer = 'https://evil.example';
      issuer.jwks = { keys: [k3.publicJwk] }; // whatever it publishes is not taken
      clock.advanceSeconds(100);
      cache.keysFor('k1');
      await cache.ensureLoaded();
      expect(await kids('k1')).toEqual(['k1']);
      expect(cache.snapshot()[0]).toMatchObject({
        status: 'stale',
        keys: ['k1'],
        lastError: expect.stringMatching(/evil\.example.*Discovery §4\.3, RFC 8414 §3\.3/),
      });
      clock.advanceSeconds(50); // stale-if-error over
      expect(await kids('k1')).toEqual([]);
      expect(cache.snapshot()[0]?.status).toBe('unavailable');
    });

    it('does not treat two trailing slashes as the same issuer', async () => {
      const { issuer, cache, kids } = setup();
      issuer.discoveryIssuer = `${ISSUER}//`;
      expect(await kids('k1')).toEqual([]);
      expect(cache.snapshot()[0]?.lastError).toMatch(/names issuer/);
    });
  });

  describe('key import', () => {
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
          { ...k3.publicJwk, kid: 'nested-use', use: [['sig']] },
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
      expect(await kids('ec')).toEqual(['ec']);
    });
  });

  describe('control and snapshot', () => {
    it('clear() forgets every key, fetch and absent kid (cold cache)', async () => {
      const { cache, clock, kids, jwksFetches } = setup();
      await kids('k1');
      clock.advanceMs(INTERVAL_MS);
      await kids('forged');
      cache.clear();
      expect(cache.snapshot()[0]).toEqual({
        issuer: ISSUER,
        status: 'unavailable',
        discoveredIssuer: null,
        jwksUri: null,
        keys: [],
        fetchedAt: null,
        fetches: 0,
        lastError: null,
      });
      expect(await kids('k1')).toEqual(['k1']);
      expect(jwksFetches()).toBe(3);
      const forgotten = cache.keysFor('forged', ISSUER); // no longer known absent: waits for a re-fetch
      expect(forgotten).toBeInstanceOf(Promise);
      expect(await forgotten).toEqual([]);
    });

    it('reports each issuer in snapshot()', async () => {
      const { cache, clock, kids } = setup();
      await kids('k1');
      expect(cache.snapshot()).toEqual([
        {
          issuer: ISSUER,
          status: 'ok',
          discoveredIssuer: ISSUER,
          jwksUri: `${ISSUER}${PATH.JWKS}`,
          keys: ['k1'],
          fetchedAt: new Date(clock.nowMs).toISOString(),
          fetches: 1,
          lastError: null,
        },
      ]);
    });
  });
});
