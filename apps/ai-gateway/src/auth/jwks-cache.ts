import { setTimeout as delay } from 'node:timers/promises';
import { PATH } from '#contracts';
import type { Logger } from '#common';
import type { AiGatewayConfig } from '../config.js';
import type { Clock, FetchFn } from '../di.js';
import { IssuerDocuments, IssuerFetchError, type Discovery, type Validators } from './issuer-documents.js';
import { importTrustedKeys, type TrustedKey } from './trusted-keys.js';

export interface JwksCacheOptions {
  /** The configured trusted issuers (AIGW_TRUSTED_ISSUERS), as written. */
  issuers: readonly string[];
  allowedAlgorithms: readonly string[];
  /** Keys are fresh this long after a full load (discovery + JWKS); then refreshed in the background. */
  ttlSeconds: number;
  /**
   * The unknown-kid re-fetch interval (AIGW_JWKS_REFETCH_INTERVAL_MS). A token whose `kid` no
   * trusted key has waits for a re-fetch of its issuer's JWKS that starts after the token
   * arrived; every such token shares that one fetch, which starts no sooner than this long
   * after the issuer's previous fetch started. Hence, however many forged kids arrive:
   * - the issuer sees at most one re-fetch per interval: ceil(elapsed / interval) + 1 fetches
   *   over any stretch of time, counting one that started before it;
   * - a key the issuer publishes is accepted on its first token, which waits at most one
   *   interval (plus the fetch) for it. 0 disables the rate limit (tests).
   */
  refetchIntervalMs: number;
  /**
   * How long a kid that a re-fetch found absent is refused at once, without a fetch or a wait
   * (AIGW_JWKS_NEGATIVE_CACHE_SECONDS; at most MAX_ABSENT_KIDS kids per issuer, oldest dropped).
   * Safe for kids derived from the key (RFC 7638 thumbprints, as GitLab's): nobody can name
   * such a kid before its key is published. An issuer with guessable kids (k1, k2, ...) lets
   * an attacker who sends the next kid early delay that key by up to this long.
   */
  negativeCacheSeconds: number;
  /**
   * While an issuer has no usable key, a failed load is retried by the next token or readiness
   * probe once this long has passed (AIGW_JWKS_COLD_RETRY_MS): keystrokes recover at most this
   * long (plus one fetch) after an issuer that was down comes back, with no restart.
   */
  coldRetryMs: number;
  /** After a failed fetch while the last good keys still serve, no new attempt for this long. */
  errorBackoffSeconds: number;
  /** How long past the TTL the last good keys keep serving while fetches fail. */
  staleIfErrorSeconds: number;
  /** Timeout of each discovery or JWKS request, body included. */
  fetchTimeoutMs: number;
  /** Largest discovery or JWKS body read (AIGW_JWKS_MAX_BYTES). */
  maxDocumentBytes: number;
  fetch: FetchFn;
  clock: Clock;
  /** Waits `ms` of the clock, or less if `signal` aborts; never rejects. Real timers by default (tests pass one that moves a manual clock). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  logger?: Logger;
}

/** JwksCacheOptions from the gateway's configuration (AIGW_TRUSTED_ISSUERS, AIGW_ALGORITHMS, AIGW_JWKS_*) and the cache's collaborators. */
export function jwksCacheOptions(config: AiGatewayConfig, deps: { fetch: FetchFn; clock: Clock; logger?: Logger }): JwksCacheOptions {
  return {
    issuers: config.trustedIssuers,
    allowedAlgorithms: config.algorithms,
    ttlSeconds: config.jwksTtlSeconds,
    refetchIntervalMs: config.jwksRefetchIntervalMs,
    negativeCacheSeconds: config.jwksNegativeCacheSeconds,
    coldRetryMs: config.jwksColdRetryMs,
    errorBackoffSeconds: config.jwksErrorBackoffSeconds,
    staleIfErrorSeconds: config.jwksStaleIfErrorSeconds,
    fetchTimeoutMs: config.jwksFetchTimeoutMs,
    maxDocumentBytes: config.jwksMaxBytes,
    ...deps,
  };
}

/** ok: keys fresh and the last fetch worked; stale: the last good keys serve while fetches fail; unavailable: no usable key. */
export type IssuerStatus = 'ok' | 'stale' | 'unavailable';

export interface IssuerCacheSnapshot {
  issuer: string;
  status: IssuerStatus;
  /** The issuer as its discovery document spells it (the `iss` tokens must carry), once loaded. */
  discoveredIssuer: string | null;
  jwksUri: string | null;
  keys: Array<string | null>;
  fetchedAt: string | null;
  fetches: number;
  lastError: string | null;
}

/** keysFor()'s answer when it needs the token's issuer to go on and was not given it. */
export const ISSUER_NEEDED: unique symbol = Symbol('the token issuer is needed');

/** Keys at once, or once the loads the rules allow have settled. Empty: refuse the token. */
export type KeysAnswer = readonly TrustedKey[] | Promise<readonly TrustedKey[]>;

const NO_KEYS: readonly TrustedKey[] = Object.freeze([]);
/** Kids remembered as absent per issuer (negative cache); the oldest entry goes first. */
export const MAX_ABSENT_KIDS = 1024;
/** Timer rounds an unknown-kid lookup waits at most; only a clock set back needs more, and then the token is refused. */
const MAX_WAIT_ROUNDS = 3;

const realSleep = (ms: number, signal: AbortSignal): Promise<void> => delay(ms, undefined, { signal }).catch(() => undefined);

type LoadKind = 'full' | 'jwks';

/** What the cache knows of one configured issuer. Times are clock milliseconds; -Infinity: never. */
class IssuerState {
  readonly discoveryUrl: string;
  /** From the last successful full load. */
  discovery: Discovery | undefined;
  keys: readonly TrustedKey[] = NO_KEYS;
  /** Validators of the JWKS response that gave `keys` (conditional re-fetches). */
  validators: Validators | undefined;
  /** End of the last successful full load: the TTL runs from here. */
  fetchedAt: number | undefined;
  /** `keys` verify tokens until then (TTL plus stale-if-error after `fetchedAt`); 0 while there are none. */
  usableUntil = 0;
  /**
   * When the next load is due, the one time the load rules read: the TTL's end after a
   * success; after a failure, the end of its back-off. 0: now (nothing loaded yet).
   */
  dueAt = 0;
  /** Why the latest attempt failed; undefined once one succeeds. */
  lastError: string | undefined;
  /** Start of the latest attempt (running or finished): unknown-kid re-fetches keep the interval from it. */
  lastAttemptAt = -Infinity;
  /** Start of the latest finished attempt: a token that arrived before it has had its fetch. */
  settledFrom = -Infinity;
  /** Start of the fetch that last confirmed `keys`: a kid absent from them was absent then. */
  confirmedFrom = -Infinity;
  fetches = 0;
  inflight: Promise<void> | undefined;
  /** The one timer every unknown-kid lookup of this issuer waits on until a re-fetch is allowed. */
  pause: Promise<void> | undefined;
  /** Negative cache: kid -> start of the fetch that found it absent. */
  readonly absentKids = new Map<string, number>();

  constructor(readonly issuer: string) {
    // OIDC Discovery §4.1: a terminating '/' of the issuer is removed before the well-known suffix.
    this.discoveryUrl = `${issuer.replace(/\/+$/, '')}${PATH.OPENID_CONFIGURATION}`;
  }
}

/**
 * Verification keys of the trusted issuers: OIDC discovery, then `jwks_uri`, filtered and
 * imported once. keysFor() is the only way to them; every rule below lives on that one path.
 * - Fresh for the TTL; then refreshed in the background while the old keys keep serving, so a
 *   keystroke waits only when no usable key exists. One fetch at a time per issuer (single flight).
 * - Unknown `kid`: coalesced, rate-limited, trailing-edge JWKS re-fetches plus a negative cache
 *   (see `refetchIntervalMs`, `negativeCacheSeconds`): forged kids cannot spend the budget a
 *   genuinely new key needs.
 * - A failed fetch (unreachable, HTTP error, oversized or invalid document, discovery naming
 *   another issuer) keeps the last good keys up to stale-if-error past the TTL, backs off, and
 *   is logged (misconfiguration as an error) and shown per issuer in `snapshot()` (readiness).
 *   An empty key set never counts as a load, and an issuer without usable keys is retried on
 *   `coldRetryMs` (the production gateway caches whatever it got, an empty or partial set
 *   included, for 24 h: providers.py L126-137 @823ced4678f5).
 * Each issuer has one due time (`IssuerState.dueAt`): TTL expiry, error back-off and cold
 * retry are all written there when a load ends, and read by one comparison.
 * URLs come only from the configuration and the issuer's own discovery document, never from a
 * token. Clock, sleep and fetch are injected, so unit tests need neither timers nor network.
 */
export class JwksCache {
  private readonly states = new Map<string, IssuerState>();
  /** kid -> keys of every issuer, rebuilt whenever a key set changes. */
  private byKid = new Map<string, readonly TrustedKey[]>();
  /** The earliest `dueAt` of all issuers: whether any load is due is one comparison per keystroke. */
  private nextDueAt = 0;
  private readonly documents: IssuerDocuments;
  private readonly ttlMs: number;
  private readonly staleMs: number;
  private readonly backoffMs: number;
  private readonly negativeMs: number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly closing = new AbortController();

  constructor(private readonly options: JwksCacheOptions) {
    for (const issuer of options.issuers) this.states.set(issuer, new IssuerState(issuer));
    this.ttlMs = options.ttlSeconds * 1000;
    this.staleMs = options.staleIfErrorSeconds * 1000;
    this.backoffMs = options.errorBackoffSeconds * 1000;
    this.negativeMs = options.negativeCacheSeconds * 1000;
    this.sleep = options.sleep ?? realSleep;
    this.documents = new IssuerDocuments({
      fetch: options.fetch,
      timeoutMs: options.fetchTimeoutMs,
      maxBytes: options.maxDocumentBytes,
      closing: this.closing.signal,
    });
  }

  /**
   * The keys a token may be verified with; an empty list means refuse it.
   * 1. A `kid` that usable keys hold: those keys, synchronously and without allocating (the
   *    per-keystroke case). They may be of any trusted issuer: each names its issuer, which the
   *    verifier binds to `iss`. A load that is due starts in the background.
   * 2. Otherwise the answer depends on the token's issuer (a configured one, see
   *    AuthSettings.trustedIssuerFor): without `issuer`, ISSUER_NEEDED, so the caller reads `iss`
   *    only when it must. With it: for a token without `kid`, the issuer's keys, loading them
   *    first if none are usable and the back-off allows; for an unknown `kid`, [] at once if a
   *    re-fetch found it absent recently or the issuer is failing and backing off, else a
   *    promise of the keys after a re-fetch that starts after the token arrived (trailing
   *    edge), meanwhile loading other issuers that have no usable key (the kid may be theirs).
   */
  keysFor(kid: string | undefined): readonly TrustedKey[] | typeof ISSUER_NEEDED;
  keysFor(kid: string | undefined, issuer: string): KeysAnswer;
  keysFor(kid: string | undefined, issuer?: string): KeysAnswer | typeof ISSUER_NEEDED {
    const now = this.options.clock();
    if (kid !== undefined) {
      const held = this.usableByKid(kid, now);
      if (held.length > 0) return this.serve(held, now);
    }
    if (issuer === undefined) return ISSUER_NEEDED;
    const state = this.states.get(issuer);
    if (!state) return NO_KEYS;
    if (kid === undefined) {
      if (this.usable(state, now)) return this.serve(state.keys, now);
      return this.loadable(state, now) ? this.keysAfterLoad(state) : NO_KEYS;
    }
    if (this.knownAbsent(state, kid, now)) return NO_KEYS;
    const waits: Array<Promise<void>> = [];
    for (const s of this.states.values()) if (s !== state && !this.usable(s, now) && this.loadable(s, now)) waits.push(this.load(s, 'full'));
    if (this.mayRefetch(state, now)) waits.push(this.fetchAfter(state, now, kid));
    return waits.length === 0 ? NO_KEYS : this.keysAfterRefetch(state, kid, now, waits);
  }

  /**
   * Whether `key` is still one of its issuer's usable keys: not withdrawn by the last load, not
   * forgotten (clear()), not past stale-if-error. A verified-token cache hit asks this instead of
   * keysFor(), so it starts a due load the same way: hits alone keep the keys refreshed.
   */
  holds(key: TrustedKey): boolean {
    const now = this.options.clock();
    const state = this.states.get(key.trustedIssuer);
    if (state === undefined || !this.usable(state, now) || !state.keys.includes(key)) return false;
    this.serve(state.keys, now);
    return true;
  }

  /** Loads every issuer whose load is due (readiness probes, start-up); never throws. */
  async ensureLoaded(): Promise<void> {
    const now = this.options.clock();
    await Promise.all([...this.states.values()].filter((s) => now >= s.dueAt).map((s) => this.load(s, 'full')));
  }

  snapshot(): IssuerCacheSnapshot[] {
    const now = this.options.clock();
    return [...this.states.values()].map((s) => ({
      issuer: s.issuer,
      status: this.status(s, now),
      discoveredIssuer: s.discovery?.issuer ?? null,
      jwksUri: s.discovery?.jwksUri ?? null,
      keys: this.usable(s, now) ? s.keys.map((k) => k.kid ?? null) : [],
      fetchedAt: s.fetchedAt === undefined ? null : new Date(s.fetchedAt).toISOString(),
      fetches: s.fetches,
      lastError: s.lastError ?? null,
    }));
  }

  /** Forgets every key, fetch and absent kid (cold cache); fetches in flight write nothing back. */
  clear(): void {
    for (const issuer of this.states.keys()) this.states.set(issuer, new IssuerState(issuer));
    this.byKid = new Map();
    this.nextDueAt = 0;
  }

  /** Aborts fetches and waits in flight (app shutdown). */
  close(): void {
    this.closing.abort();
  }

  /** Returns `keys`, first starting (not awaiting) every load that is due. */
  private serve(keys: readonly TrustedKey[], now: number): readonly TrustedKey[] {
    if (now >= this.nextDueAt) {
      for (const state of this.states.values()) if (!state.inflight && now >= state.dueAt) void this.load(state, 'full');
    }
    return keys;
  }

  private async keysAfterLoad(state: IssuerState): Promise<readonly TrustedKey[]> {
    await this.load(state, 'full');
    return this.usable(state, this.options.clock()) ? state.keys : NO_KEYS;
  }

  private async keysAfterRefetch(state: IssuerState, kid: string, arrival: number, waits: Array<Promise<void>>): Promise<readonly TrustedKey[]> {
    await Promise.all(waits);
    const found = this.usableByKid(kid, this.options.clock());
    if (found.length === 0) this.rememberAbsent(state, kid, arrival);
    return found;
  }

  private usable(state: IssuerState, now: number): boolean {
    return now < state.usableUntil;
  }

  /** A load may start now (its due time has come) or be joined (one is running). */
  private loadable(state: IssuerState, now: number): boolean {
    return state.inflight !== undefined || now >= state.dueAt;
  }

  /** An unknown kid may wait for a re-fetch unless the issuer is failing and backing off (a fetch would not help). */
  private mayRefetch(state: IssuerState, now: number): boolean {
    return state.lastError === undefined || this.loadable(state, now);
  }

  /**
   * Resolves once a fetch of the issuer that started at or after `arrival` has finished
   * (trailing edge), or as soon as an earlier one has brought the kid: joins a fetch in
   * flight, else waits on the issuer's shared timer until the interval since the last attempt
   * is over and starts the re-fetch. Gives up (resolves) when the issuer is failing and
   * backing off, or on shutdown; the caller then finds no key.
   */
  private async fetchAfter(state: IssuerState, arrival: number, kid: string): Promise<void> {
    let rounds = 0;
    while (!this.closing.signal.aborted && this.usableByKid(kid, this.options.clock()).length === 0) {
      if (state.settledFrom >= arrival) return;
      if (state.inflight) {
        await state.inflight;
        continue;
      }
      const now = this.options.clock();
      if (!this.mayRefetch(state, now)) return;
      const interval = this.options.refetchIntervalMs;
      const wait = Math.min(interval, state.lastAttemptAt + interval - now);
      if (wait <= 0) {
        void this.load(state, this.usable(state, now) ? 'jwks' : 'full');
        continue;
      }
      if (rounds++ === MAX_WAIT_ROUNDS) return;
      state.pause ??= this.sleep(wait, this.closing.signal).finally(() => {
        state.pause = undefined;
      });
      await state.pause;
    }
  }

  private status(state: IssuerState, now: number): IssuerStatus {
    if (!this.usable(state, now)) return 'unavailable';
    return state.lastError === undefined ? 'ok' : 'stale';
  }

  private usableByKid(kid: string, now: number): readonly TrustedKey[] {
    const keys = this.byKid.get(kid);
    if (!keys) return NO_KEYS;
    for (const key of keys) {
      // Rare: a key past stale-if-error is still indexed until the next load; filter then.
      if (!this.usable(this.states.get(key.trustedIssuer)!, now)) return keys.filter((k) => this.usable(this.states.get(k.trustedIssuer)!, now));
    }
    return keys;
  }

  private knownAbsent(state: IssuerState, kid: string, now: number): boolean {
    const since = state.absentKids.get(kid);
    if (since === undefined) return false;
    if (now - since < this.negativeMs) return true;
    state.absentKids.delete(kid);
    return false;
  }

  /** Remembers a kid as absent only when a successful fetch that started after the token arrived did not have it. */
  private rememberAbsent(state: IssuerState, kid: string, arrival: number): void {
    if (this.negativeMs === 0 || state.lastError !== undefined || state.confirmedFrom < arrival) return;
    state.absentKids.delete(kid);
    state.absentKids.set(kid, state.confirmedFrom);
    if (state.absentKids.size > MAX_ABSENT_KIDS) state.absentKids.delete(state.absentKids.keys().next().value!);
  }

  /** Single flight: concurrent callers share the one fetch in progress, whatever its kind. */
  private load(state: IssuerState, kind: LoadKind): Promise<void> {
    state.inflight ??= this.fetchKeys(state, kind).finally(() => {
      state.inflight = undefined;
    });
    return state.inflight;
  }

  /**
   * One attempt: `full` reads discovery then the JWKS (cold and TTL loads); `jwks` re-reads the
   * JWKS at the last known jwks_uri, conditionally (unknown-kid re-fetches: one cheap request,
   * usually a 304). Never throws: a failure is recorded, logged and served stale. Either way it
   * ends by setting the issuer's due time.
   */
  private async fetchKeys(state: IssuerState, kind: LoadKind): Promise<void> {
    const startedAt = this.options.clock();
    state.lastAttemptAt = startedAt;
    state.fetches++;
    const current = () => this.states.get(state.issuer) === state;
    try {
      const discovery = kind === 'jwks' && state.discovery ? state.discovery : await this.documents.discovery(state.issuer, state.discoveryUrl);
      const unchangedSource = state.keys.length > 0 && discovery.jwksUri === state.discovery?.jwksUri && discovery.issuer === state.discovery?.issuer;
      const jwks = await this.documents.jwks(discovery.jwksUri, unchangedSource ? state.validators : undefined);
      if (!jwks.notModified) {
        const { keys, rejected } = await importTrustedKeys(jwks.keys, { issuer: discovery.issuer, trustedIssuer: state.issuer }, this.options.allowedAlgorithms);
        if (!current()) return;
        if (rejected.length > 0) this.options.logger?.warn({ issuer: state.issuer, rejected }, 'JWKS keys refused');
        if (keys.length === 0) {
          throw new IssuerFetchError('misconfigured', `${discovery.jwksUri} has no usable signing key (${jwks.keys.length} published, ${rejected.length} refused)`);
        }
        state.keys = Object.freeze(keys);
        state.validators = jwks.validators;
        this.reindex();
        this.options.logger?.info({ issuer: state.issuer, jwksUri: discovery.jwksUri, kids: keys.map((k) => k.kid ?? null) }, 'JWKS loaded');
      }
      if (!current()) return;
      state.discovery = discovery;
      // A JWKS-only re-fetch confirms the keys but not discovery: the TTL keeps running from the last full load.
      if (kind === 'full' || state.fetchedAt === undefined) state.fetchedAt = this.options.clock();
      state.dueAt = state.fetchedAt + this.ttlMs;
      state.usableUntil = state.dueAt + this.staleMs;
      state.confirmedFrom = startedAt;
      state.lastError = undefined;
    } catch (e) {
      if (!current()) return;
      this.recordFailure(state, e, startedAt);
    } finally {
      state.settledFrom = startedAt;
      this.nextDueAt = Math.min(...Array.from(this.states.values(), (s) => s.dueAt));
    }
  }

  /**
   * Logs a failed attempt and sets when the next one is due: after errorBackoffSeconds while the
   * last good keys still serve, after coldRetryMs once none do (a gateway started before its
   * issuer recovers quickly), whichever of the two applies first.
   */
  private recordFailure(state: IssuerState, e: unknown, startedAt: number): void {
    const failure = e instanceof IssuerFetchError ? e.failure : 'unreachable';
    state.lastError = e instanceof Error ? e.message : String(e);
    const backoffEnd = startedAt + this.backoffMs;
    state.dueAt = backoffEnd < state.usableUntil ? backoffEnd : Math.max(state.usableUntil, startedAt + this.options.coldRetryMs);
    const log = { issuer: state.issuer, failure, error: state.lastError, servingStaleKeys: this.usable(state, this.options.clock()) };
    if (failure === 'misconfigured') this.options.logger?.error(log, 'JWKS refused: the issuer needs attention');
    else this.options.logger?.warn(log, 'JWKS fetch failed');
  }

  private reindex(): void {
    const index = new Map<string, TrustedKey[]>();
    for (const state of this.states.values()) {
      for (const key of state.keys) {
        if (key.kid === undefined) continue;
        state.absentKids.delete(key.kid);
        const list = index.get(key.kid);
        if (list) list.push(key);
        else index.set(key.kid, [key]);
      }
    }
    this.byKid = index;
  }
}
