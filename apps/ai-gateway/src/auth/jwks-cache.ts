import { PATH, USER_AGENT } from '../../../../contracts/src/index.js';
import type { Logger } from '../../../common/src/index.js';
import type { Clock, FetchFn } from '../tokens.js';
import { importTrustedKeys, type TrustedKey } from './trusted-keys.js';

export interface JwksCacheOptions {
  issuers: readonly string[];
  allowedAlgorithms: readonly string[];
  ttlSeconds: number;
  /** At most one unknown-kid re-fetch per issuer in this interval; also the back-off after a failed fetch. */
  minRefetchSeconds: number;
  /** How long past the TTL the last good keys keep serving while fetches fail. */
  staleIfErrorSeconds: number;
  fetchTimeoutMs: number;
  fetch: FetchFn;
  clock: Clock;
  logger?: Logger;
}

export interface IssuerCacheSnapshot {
  issuer: string;
  jwksUri: string | null;
  keys: Array<string | null>;
  fetchedAt: string | null;
  fetches: number;
  lastError: string | null;
}

const NO_KEYS: readonly TrustedKey[] = Object.freeze([]);
/** Retry interval after a failed load while an issuer has no keys (see mayLoad). */
const COLD_RETRY_MS = 1000;
const REQUEST_HEADERS = { 'user-agent': USER_AGENT.GATEWAY, accept: 'application/json' } as const;

/** A failure that is the issuer's fault, not the network's: its keys are refused, not served stale. */
class TrustError extends Error {}

class IssuerState {
  readonly discoveryUrl: string;
  jwksUri: string | undefined;
  keys: readonly TrustedKey[] = NO_KEYS;
  /** Clock time of the last successful load. */
  fetchedAt: number | undefined;
  lastAttemptAt: number | undefined;
  lastError: string | undefined;
  /**
   * When an unknown kid last triggered a re-fetch. The rate limit counts only these, so a key
   * published just after a scheduled or cold load is picked up at once (checklist
   * gateway-auth 17: rotation without failed requests), while a flood of unknown kids still
   * costs the issuer at most one fetch per interval.
   */
  lastUnknownKidRefetchAt: number | undefined;
  fetches = 0;
  inflight: Promise<void> | undefined;

  constructor(readonly issuer: string) {
    // OIDC Discovery §4: a terminating '/' of the issuer is removed before the well-known suffix.
    this.discoveryUrl = `${issuer.replace(/\/+$/, '')}${PATH.OPENID_CONFIGURATION}`;
  }
}

/**
 * Verification keys of the trusted issuers: OIDC discovery (whose `issuer` must equal the
 * configured one exactly), then `jwks_uri`, filtered and imported once as KeyObjects.
 * - Fresh for the TTL; once it is over, the refresh runs in the background while the old keys
 *   keep serving, so a keystroke waits only when no usable key exists.
 * - One fetch at a time per issuer: concurrent callers share it.
 * - An unknown `kid` re-fetches the token's (trusted) issuer at most once per min-refetch
 *   interval between such re-fetches (and never while a failed fetch is backing off).
 * - A failed fetch keeps the last good keys up to stale-if-error past the TTL and backs off for
 *   the min-refetch interval; an empty key set never counts as a successful load; an issuer
 *   whose discovery names another issuer loses its keys at once.
 * URLs come only from the configuration and the issuer's own discovery document, never from
 * a token. Clock and fetch are injected, so tests need neither timers nor network.
 */
export class JwksCache {
  private readonly states = new Map<string, IssuerState>();
  /** kid -> keys of every issuer, rebuilt whenever a key set changes. */
  private byKid = new Map<string, readonly TrustedKey[]>();
  private readonly ttlMs: number;
  private readonly minRefetchMs: number;
  private readonly staleMs: number;
  private readonly closing = new AbortController();
  /** Bumped by clear(): a load started before it must not repopulate the cold cache. */
  private generation = 0;

  constructor(private readonly options: JwksCacheOptions) {
    for (const issuer of options.issuers) this.states.set(issuer, new IssuerState(issuer));
    this.ttlMs = options.ttlSeconds * 1000;
    this.minRefetchMs = options.minRefetchSeconds * 1000;
    this.staleMs = options.staleIfErrorSeconds * 1000;
  }

  /**
   * The keys a token may be verified with, synchronously when the cache can answer without
   * waiting for a fetch (the per-keystroke fast path): by `kid` among every trusted key (the
   * key then names its issuer, which the verifier compares with `iss`), or, for a token without
   * `kid`, every key of its issuer. `undefined` means: await `candidates()`. A refresh that is
   * due while usable keys exist runs in the background, so no keystroke waits for it.
   */
  lookup(issuer: string, kid: string | undefined): readonly TrustedKey[] | undefined {
    const state = this.states.get(issuer);
    if (!state) return NO_KEYS;
    const now = this.options.clock();
    if (kid === undefined) {
      if (this.usable(state, now)) {
        this.refreshDue(now);
        return state.keys;
      }
      return this.mayLoad(state, now) ? undefined : NO_KEYS;
    }
    const found = this.usableByKid(kid, now);
    if (found.length > 0) {
      this.refreshDue(now);
      return found;
    }
    // Unknown kid: a cold issuer may hold it, or the token's issuer may have rotated its keys.
    for (const s of this.states.values()) if (!this.usable(s, now) && this.mayLoad(s, now)) return undefined;
    return this.mayRefetchForUnknownKid(state, now) ? undefined : NO_KEYS;
  }

  /** Like lookup(), waiting for the loads and the unknown-kid re-fetch the rules allow. */
  async candidates(issuer: string, kid: string | undefined): Promise<readonly TrustedKey[]> {
    const state = this.states.get(issuer);
    if (!state) return NO_KEYS;
    const now = this.options.clock();
    if (kid === undefined) {
      if (!this.usable(state, now) && this.mayLoad(state, now)) await this.load(state);
      else this.refreshDue(now);
      return this.usable(state, this.options.clock()) ? state.keys : NO_KEYS;
    }
    let found = this.usableByKid(kid, now);
    if (found.length > 0) return found;
    // A kid may name a key of any trusted issuer: load every issuer that has no usable keys.
    const cold = [...this.states.values()].filter((s) => !this.usable(s, now) && this.mayLoad(s, now));
    await Promise.all(cold.map((s) => this.load(s)));
    found = this.usableByKid(kid, this.options.clock());
    // Still unknown: maybe a key the token's issuer just added. One re-fetch, rate-limited per issuer.
    if (found.length === 0 && !cold.includes(state) && this.mayRefetchForUnknownKid(state, this.options.clock())) {
      if (!state.inflight) state.lastUnknownKidRefetchAt = this.options.clock();
      await this.load(state);
      found = this.usableByKid(kid, this.options.clock());
    }
    return found;
  }

  /** Loads every issuer whose keys are missing or past the TTL (where the back-off allows); never throws. */
  async ensureLoaded(): Promise<void> {
    const now = this.options.clock();
    await Promise.all(
      [...this.states.values()].filter((s) => this.needsLoad(s, now) && this.mayLoad(s, now)).map((s) => this.load(s)),
    );
  }

  /** True when at least one trusted key can verify tokens now. */
  hasUsableKeys(): boolean {
    const now = this.options.clock();
    for (const state of this.states.values()) if (this.usable(state, now)) return true;
    return false;
  }

  snapshot(): IssuerCacheSnapshot[] {
    const now = this.options.clock();
    return [...this.states.values()].map((s) => ({
      issuer: s.issuer,
      jwksUri: s.jwksUri ?? null,
      keys: this.usable(s, now) ? s.keys.map((k) => k.kid ?? null) : [],
      fetchedAt: s.fetchedAt === undefined ? null : new Date(s.fetchedAt).toISOString(),
      fetches: s.fetches,
      lastError: s.lastError ?? null,
    }));
  }

  /** Forgets every key and every fetch (cold cache). */
  clear(): void {
    this.generation++;
    for (const issuer of this.states.keys()) this.states.set(issuer, new IssuerState(issuer));
    this.byKid = new Map();
  }

  /** Aborts fetches in flight (app shutdown). */
  close(): void {
    this.closing.abort();
  }

  /** Starts (does not await) the loads that are due: TTL over, or no keys yet, and not backing off. */
  private refreshDue(now: number): void {
    for (const state of this.states.values()) {
      if (!state.inflight && this.needsLoad(state, now) && this.mayLoad(state, now)) void this.load(state);
    }
  }

  private needsLoad(state: IssuerState, now: number): boolean {
    return state.fetchedAt === undefined || now >= state.fetchedAt + this.ttlMs;
  }

  /**
   * A load is allowed unless the last attempt failed recently; a load in flight is always
   * joined. The back-off is the min-refetch interval while stale keys still serve, but at most
   * COLD_RETRY_MS while the issuer has no usable key: a gateway started before its issuer must
   * not refuse every token for the whole interval once the issuer is up.
   */
  private mayLoad(state: IssuerState, now: number): boolean {
    if (state.inflight) return true;
    if (state.lastError === undefined || state.lastAttemptAt === undefined) return true;
    const backoff = this.usable(state, now) ? this.minRefetchMs : Math.min(this.minRefetchMs, COLD_RETRY_MS);
    return now - state.lastAttemptAt >= backoff;
  }

  /** At most one unknown-kid re-fetch per min-refetch interval, and none while a failed fetch backs off. */
  private mayRefetchForUnknownKid(state: IssuerState, now: number): boolean {
    if (state.inflight) return true;
    if (!this.mayLoad(state, now)) return false;
    return state.lastUnknownKidRefetchAt === undefined || now - state.lastUnknownKidRefetchAt >= this.minRefetchMs;
  }

  private usable(state: IssuerState, now: number): boolean {
    return state.fetchedAt !== undefined && state.keys.length > 0 && now < state.fetchedAt + this.ttlMs + this.staleMs;
  }

  private usableByKid(kid: string, now: number): readonly TrustedKey[] {
    const keys = this.byKid.get(kid);
    if (!keys) return NO_KEYS;
    for (const key of keys) {
      // Rare: a key past stale-if-error is still indexed until the next load; filter then.
      if (!this.usable(this.states.get(key.issuer)!, now)) return keys.filter((k) => this.usable(this.states.get(k.issuer)!, now));
    }
    return keys;
  }

  /** Single flight: concurrent callers share the one fetch in progress. */
  private load(state: IssuerState): Promise<void> {
    state.inflight ??= this.fetchKeys(state).finally(() => {
      state.inflight = undefined;
    });
    return state.inflight;
  }

  private async fetchKeys(state: IssuerState): Promise<void> {
    const generation = this.generation;
    state.lastAttemptAt = this.options.clock();
    state.fetches++;
    try {
      const discovery = await this.getJson(state.discoveryUrl);
      const { issuer, jwks_uri: jwksUri } = (discovery ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
      if (issuer !== state.issuer) {
        throw new TrustError(
          `discovery document names issuer ${JSON.stringify(issuer)}, not the configured ${JSON.stringify(state.issuer)} (OpenID Connect Discovery §4.3)`,
        );
      }
      if (typeof jwksUri !== 'string' || !/^https?:\/\//.test(jwksUri)) throw new TrustError('discovery document has no http(s) jwks_uri');
      const jwks = (await this.getJson(jwksUri)) as { keys?: unknown } | null;
      if (!jwks || !Array.isArray(jwks.keys)) throw new Error(`${jwksUri} did not return a JWK Set ({"keys": [...]})`);
      const { keys, rejected } = importTrustedKeys(jwks.keys, state.issuer, this.options.allowedAlgorithms);
      if (rejected.length > 0) this.options.logger?.warn({ issuer: state.issuer, rejected }, 'JWKS keys refused');
      if (keys.length === 0) throw new Error(`${jwksUri} has no usable signing key (${jwks.keys.length} published, ${rejected.length} refused)`);
      if (generation !== this.generation) return;
      state.jwksUri = jwksUri;
      state.keys = Object.freeze(keys);
      state.fetchedAt = this.options.clock();
      state.lastError = undefined;
      this.reindex();
      this.options.logger?.info({ issuer: state.issuer, jwksUri, kids: keys.map((k) => k.kid ?? null) }, 'JWKS loaded');
    } catch (e) {
      if (generation !== this.generation) return;
      state.lastError = (e as Error).message;
      if (e instanceof TrustError) {
        // A misconfigured or impostor issuer: its keys are refused outright, not served stale.
        state.keys = NO_KEYS;
        state.fetchedAt = undefined;
        this.reindex();
        this.options.logger?.error({ issuer: state.issuer, error: state.lastError }, 'issuer refused');
      } else {
        const stale = state.fetchedAt !== undefined && state.keys.length > 0;
        this.options.logger?.warn({ issuer: state.issuer, error: state.lastError, servingStaleKeys: stale }, 'JWKS fetch failed');
      }
    }
  }

  private async getJson(url: string): Promise<unknown> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.options.fetchTimeoutMs), this.closing.signal]);
    let response: Response;
    try {
      response = await this.options.fetch(url, { headers: REQUEST_HEADERS, signal });
    } catch (e) {
      const name = (e as Error).name;
      throw new Error(name === 'TimeoutError' ? `${url} timed out after ${this.options.fetchTimeoutMs} ms` : `${url} unreachable: ${(e as Error).message}`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`${url} answered HTTP ${response.status}`);
    }
    try {
      return await response.json();
    } catch {
      throw new Error(`${url} did not return JSON`);
    }
  }

  private reindex(): void {
    const index = new Map<string, TrustedKey[]>();
    for (const state of this.states.values()) {
      for (const key of state.keys) {
        if (key.kid === undefined) continue;
        const list = index.get(key.kid);
        if (list) list.push(key);
        else index.set(key.kid, [key]);
      }
    }
    this.byKid = index;
  }
}
