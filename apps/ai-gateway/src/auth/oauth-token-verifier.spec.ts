import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { UNIT_PRIMITIVE } from '#contracts';
import { ManualClock } from '../../test/support/manual-clock.js';
import { ExpiringLru, RateBudget, tokenKey } from './oauth-token-cache.js';
import { BackChannelError, type OAuthTokenIntrospection, type TokenState } from './oauth-token-introspection.js';
import { OAuthTokenVerifier, type OAuthTokenVerifierOptions, type OAuthVerification } from './oauth-token-verifier.js';

const TOKEN = '4f2c0a7e9b1d3c5e7f9a1b3d5c7e9f1a3b5d7c9e1f3a5b7d9c1e3f5a7b9d1c3e';
const OTHER = 'b0d1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';

const active = (scopes: string[], expiresAt?: number): TokenState => ({ active: true, scopes, expiresAt });
const inactive: TokenState = { active: false, detail: '/oauth/token/info answered HTTP 401' };

/** A verifier over a scripted back channel: `answer` decides each call's outcome (a state, or a throw). */
function setup(options: Partial<OAuthTokenVerifierOptions> = {}, answer: (token: string) => TokenState | Promise<TokenState> = () => active(['api'])) {
  const clock = new ManualClock();
  const stateOf = jest.fn(async (token: string) => answer(token));
  const introspection = { url: 'https://gitlab.example/oauth/token/info', stateOf, close: jest.fn() } as unknown as OAuthTokenIntrospection;
  const verifier = new OAuthTokenVerifier({ introspection, cacheSeconds: 30, negativeCacheSeconds: 5, maxEntries: 100, lookupsPerSecond: 1000, clock: clock.now, ...options });
  return { clock, stateOf, verifier };
}

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('OAuthTokenVerifier', () => {
  describe('the positive cache', () => {
    it('answers a token GitLab called active from memory for AIGW_OAUTH_CACHE_SECONDS, then asks again', async () => {
      const { clock, stateOf, verifier } = setup({ cacheSeconds: 30 });
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: true, kind: 'oauth2' });
      clock.advanceSeconds(29.999);
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: true });
      expect(stateOf).toHaveBeenCalledTimes(1);
      clock.advanceSeconds(0.001);
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: true });
      expect(stateOf).toHaveBeenCalledTimes(2);
    });

    it("never serves a token past its expiry (expires_in counted from when the question was sent), even inside the cache period", async () => {
      const { clock, stateOf, verifier } = setup({ cacheSeconds: 30 }, () => active(['api'], clock.now() + 10_000));
      const asked = clock.now();
      await verifier.verify(TOKEN);
      clock.nowMs = asked + 9_999;
      await verifier.verify(TOKEN);
      expect(stateOf).toHaveBeenCalledTimes(1);
      clock.nowMs = asked + 10_000;
      await verifier.verify(TOKEN);
      expect(stateOf).toHaveBeenCalledTimes(2);
    });

    it('refuses an active answer whose expiry has already passed, and does not cache it', async () => {
      const { clock, stateOf, verifier } = setup({}, () => active(['api'], clock.now() - 1));
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: false, reason: 'expired' });
      clock.advanceSeconds(6);
      await verifier.verify(TOKEN);
      expect(stateOf).toHaveBeenCalledTimes(2);
    });

    it('refuses a revoked token at most AIGW_OAUTH_CACHE_SECONDS after its revocation', async () => {
      let revoked = false;
      const { clock, verifier } = setup({ cacheSeconds: 30 }, () => (revoked ? inactive : active(['ai_features'])));
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: true });
      clock.advanceSeconds(1);
      revoked = true; // GitLab revokes it 1 s after answering
      clock.advanceSeconds(28.9);
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: true }); // still inside the bound
      clock.advanceSeconds(0.1);
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: false, reason: 'inactive' }); // 29 s after revocation, at most 30
    });

    it('with AIGW_OAUTH_CACHE_SECONDS=0 asks GitLab on every keystroke', async () => {
      const { stateOf, verifier } = setup({ cacheSeconds: 0 });
      await verifier.verify(TOKEN);
      await verifier.verify(TOKEN);
      expect(stateOf).toHaveBeenCalledTimes(2);
    });

    it('keeps at most AIGW_OAUTH_CACHE_MAX_ENTRIES tokens, the least recently used out first', async () => {
      const { stateOf, verifier } = setup({ maxEntries: 2 });
      const third = 'c'.repeat(64);
      await verifier.verify(TOKEN);
      await verifier.verify(OTHER);
      await verifier.verify(TOKEN); // TOKEN is now the most recently used
      await verifier.verify(third); // evicts OTHER
      expect(stateOf).toHaveBeenCalledTimes(3);
      await verifier.verify(TOKEN);
      expect(stateOf).toHaveBeenCalledTimes(3);
      await verifier.verify(OTHER);
      expect(stateOf).toHaveBeenCalledTimes(4);
    });

    it('keys the cache by the SHA-256 of the token, never the token', async () => {
      const set = jest.spyOn(ExpiringLru.prototype, 'set');
      try {
        const { verifier } = setup();
        await verifier.verify(TOKEN);
        const expected = createHash('sha256').update(TOKEN).digest('base64url');
        expect(tokenKey(TOKEN)).toBe(expected);
        expect(set).toHaveBeenCalledTimes(1);
        expect(set.mock.calls[0]![0]).toBe(expected);
        expect(JSON.stringify(set.mock.calls)).not.toContain(TOKEN);
      } finally {
        set.mockRestore();
      }
    });
  });

  describe('single flight', () => {
    it('makes one back-channel call for concurrent keystrokes with the same new token, and all get its answer', async () => {
      const gate = deferred<TokenState>();
      const { stateOf, verifier } = setup({}, () => gate.promise);
      const keystrokes = Array.from({ length: 10 }, () => verifier.verify(TOKEN));
      expect(stateOf).toHaveBeenCalledTimes(1);
      gate.resolve(active(['api']));
      const results = await Promise.all(keystrokes);
      expect(results.every((r) => r.ok)).toBe(true);
      expect(stateOf).toHaveBeenCalledTimes(1);
    });

    it('makes one call per distinct token', async () => {
      const { stateOf, verifier } = setup();
      await Promise.all([verifier.verify(TOKEN), verifier.verify(OTHER), verifier.verify(TOKEN)]);
      expect(stateOf.mock.calls.map((c) => c[0]).sort()).toEqual([TOKEN, OTHER].sort());
    });
  });

  describe('refused tokens and floods', () => {
    it('refuses a token GitLab refused from memory for AIGW_OAUTH_NEGATIVE_CACHE_SECONDS, then asks again', async () => {
      const { clock, stateOf, verifier } = setup({ negativeCacheSeconds: 5 }, () => inactive);
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: false, reason: 'inactive' });
      clock.advanceSeconds(4.999);
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: false, reason: 'inactive' });
      expect(stateOf).toHaveBeenCalledTimes(1);
      clock.advanceSeconds(0.001);
      await verifier.verify(TOKEN);
      expect(stateOf).toHaveBeenCalledTimes(2);
    });

    it('with AIGW_OAUTH_NEGATIVE_CACHE_SECONDS=0 does not remember refusals', async () => {
      const { stateOf, verifier } = setup({ negativeCacheSeconds: 0 }, () => inactive);
      await verifier.verify(TOKEN);
      await verifier.verify(TOKEN);
      expect(stateOf).toHaveBeenCalledTimes(2);
    });

    it('starts at most AIGW_OAUTH_LOOKUPS_PER_SECOND calls a second for new tokens: past it 503-worthy with Retry-After, and cached tokens still pass', async () => {
      const { clock, stateOf, verifier } = setup({ lookupsPerSecond: 3 }, (token) => (token === TOKEN ? active(['api']) : inactive));
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: true });
      const forged = Array.from({ length: 50 }, (_, i) => `forged${String(i).padStart(58, '0')}`);
      const answers = await Promise.all(forged.map((t) => verifier.verify(t)));
      expect(stateOf).toHaveBeenCalledTimes(3); // the good one and two forged, then the budget is spent
      expect(answers.filter((a) => !a.ok && a.unavailable && a.reason === 'lookup-budget-spent')).toHaveLength(48);
      expect(answers.at(-1)).toMatchObject({ retryAfterSeconds: 1 });
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: true }); // from the cache: no budget needed
      clock.advanceSeconds(1);
      await verifier.verify(OTHER);
      expect(stateOf).toHaveBeenCalledTimes(4);
    });

    it('never sends a JWT (a token with a dot) to GitLab', async () => {
      const { stateOf, verifier } = setup();
      expect(await verifier.verify(JWT)).toMatchObject({ ok: false, reason: 'jose-shaped' });
      expect(await verifier.verify('a.b.c.d.e')).toMatchObject({ ok: false, reason: 'jose-shaped' });
      expect(stateOf).not.toHaveBeenCalled();
    });

    it('refuses an oversized token without a call', async () => {
      const { stateOf, verifier } = setup();
      expect(await verifier.verify('a'.repeat(9000))).toMatchObject({ ok: false, reason: 'oversized' });
      expect(stateOf).not.toHaveBeenCalled();
    });
  });

  describe('GitLab unreachable', () => {
    it('answers unverifiable (never refused), says so in its state, and keeps serving cached tokens only until their bound', async () => {
      let down = false;
      const { clock, verifier } = setup({ cacheSeconds: 30 }, () => {
        if (down) throw new BackChannelError('unreachable', 'https://gitlab.example/oauth/token/info unreachable: ECONNREFUSED');
        return active(['api']);
      });
      expect(verifier.state()).toMatchObject({ status: 'unknown', lastError: null });
      await verifier.verify(TOKEN);
      expect(verifier.state()).toMatchObject({ status: 'ok', cachedTokens: 1 });
      down = true;
      expect(await verifier.verify(OTHER)).toMatchObject({ ok: false, unavailable: true, reason: 'back-channel-failed', retryAfterSeconds: 1 });
      expect(verifier.state()).toMatchObject({ status: 'failing', lastError: expect.stringContaining('ECONNREFUSED') });
      clock.advanceSeconds(29);
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: true });
      clock.advanceSeconds(1);
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: false, unavailable: true });
    });

    it('does not remember a failure: the next keystroke asks again', async () => {
      let calls = 0;
      const { stateOf, verifier } = setup({}, () => {
        if (calls++ === 0) throw new BackChannelError('timeout', 'slow');
        return active(['api']);
      });
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: false, unavailable: true });
      expect(await verifier.verify(TOKEN)).toMatchObject({ ok: true });
      expect(stateOf).toHaveBeenCalledTimes(2);
    });
  });

  describe('scopes', () => {
    const scopesFor = async (oauthScopes: string[]): Promise<OAuthVerification> => setup({}, () => active(oauthScopes)).verifier.verify(TOKEN);

    it.each([
      [['ai_features'], [UNIT_PRIMITIVE.CODE_SUGGESTIONS]],
      [['api'], [UNIT_PRIMITIVE.CODE_SUGGESTIONS]],
      [['read_user', 'api', 'openid'], [UNIT_PRIMITIVE.CODE_SUGGESTIONS]],
      [['read_user', 'read_api', 'openid', 'profile'], []],
      [['mcp'], []],
      [[], []],
    ])('maps OAuth scopes %j to unit primitives %j', async (oauthScopes, primitives) => {
      expect(await scopesFor(oauthScopes)).toMatchObject({ ok: true, oauthScopes, scopes: primitives });
    });
  });
});

describe('RateBudget', () => {
  it('banks at most one second of calls and refills with the clock', () => {
    const budget = new RateBudget(2, 0);
    expect([budget.take(0), budget.take(0), budget.take(0)]).toEqual([true, true, false]);
    expect(budget.take(499)).toBe(false);
    expect(budget.take(500)).toBe(true);
    expect(budget.take(10_000) && budget.take(10_000) && !budget.take(10_000)).toBe(true);
  });
});
