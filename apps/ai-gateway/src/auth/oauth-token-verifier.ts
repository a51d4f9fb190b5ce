import { unitPrimitivesForOAuthScopes } from '#contracts';
import type { Logger } from '#common';
import type { Clock } from '../di.js';
import { ExpiringLru, MAX_REFUSED_ENTRIES, RateBudget, tokenKey } from './oauth-token-cache.js';
import { BackChannelError, type OAuthTokenIntrospection, type TokenState } from './oauth-token-introspection.js';
import { MAX_TOKEN_BYTES } from './token-verifier.js';

/** An OAuth access token GitLab said is active, as the guard hands it to handlers. */
export interface VerifiedOAuthToken {
  ok: true;
  kind: 'oauth2';
  /** The OAuth scopes GitLab listed for the token. */
  oauthScopes: readonly string[];
  /** The unit primitives those scopes grant (contracts OAUTH_SCOPES_GRANTING): ai_features or api -> code_suggestions. */
  scopes: readonly string[];
  /** When the token expires (clock ms), if GitLab said. */
  expiresAt: number | undefined;
}

/** The token is not one GitLab accepts now: 401. */
export interface RefusedOAuthToken {
  ok: false;
  unavailable?: undefined;
  reason: 'oversized' | 'jose-shaped' | 'inactive' | 'expired';
  /** For the log; never the token. */
  detail: string;
}

/** Nothing is known of the token now (GitLab unreachable or failing, or the gateway's lookup budget spent): 503. */
export interface UnverifiableOAuthToken {
  ok: false;
  unavailable: true;
  reason: 'back-channel-failed' | 'lookup-budget-spent';
  detail: string;
  retryAfterSeconds: number;
}

export type OAuthVerification = VerifiedOAuthToken | RefusedOAuthToken | UnverifiableOAuthToken;

export interface OAuthTokenVerifierOptions {
  introspection: OAuthTokenIntrospection;
  /** A positive answer serves this long (AIGW_OAUTH_CACHE_SECONDS), never past the token's expiry; 0: every keystroke asks GitLab. */
  cacheSeconds: number;
  /** A token GitLab refused is refused without asking again this long (AIGW_OAUTH_NEGATIVE_CACHE_SECONDS); 0: not remembered. */
  negativeCacheSeconds: number;
  /** Most active tokens remembered (AIGW_OAUTH_CACHE_MAX_ENTRIES), least recently used out first. */
  maxEntries: number;
  /** Back-channel calls started at most this many a second, one second's worth banked (AIGW_OAUTH_LOOKUPS_PER_SECOND). */
  lookupsPerSecond: number;
  clock: Clock;
  logger?: Logger | undefined;
}

/** The back channel as readiness shows it: `unknown` before the first call, then the outcome of the latest. */
export interface BackChannelState {
  status: 'unknown' | 'ok' | 'failing';
  url: string;
  lastError: string | null;
  /** RFC 3339, or null before the first answer. */
  lastAnswerAt: string | null;
  cachedTokens: number;
}

/** Whether a token is in a JOSE compact serialization (a JWS has three '.'-separated parts, a JWE five): never an opaque token. */
export function looksLikeJose(token: string): boolean {
  return token.includes('.');
}

/**
 * Verifies opaque OAuth access tokens (seed 000 option 1) by asking GitLab (the back channel),
 * with a cache in front:
 * - a positive answer is served from memory for AIGW_OAUTH_CACHE_SECONDS, counted from when the
 *   question was sent, and never past the token's expiry (`expires_in` from that same instant,
 *   or `exp`). So a revoked token is refused at most AIGW_OAUTH_CACHE_SECONDS after its
 *   revocation (with caching off: once the call in flight when it was revoked has answered);
 * - keys are the token's SHA-256 (tokenKey), never the token; at most AIGW_OAUTH_CACHE_MAX_ENTRIES
 *   active tokens, least recently used out first;
 * - single flight: concurrent keystrokes with a token not in the cache share one call;
 * - a token GitLab refused is refused from memory for AIGW_OAUTH_NEGATIVE_CACHE_SECONDS (a
 *   client retrying its revoked token on every keystroke costs one call per period), at most
 *   MAX_REFUSED_ENTRIES of them apart from the active ones;
 * - calls are rate-limited (AIGW_OAUTH_LOOKUPS_PER_SECOND, a token bucket over all tokens): a
 *   flood of forged tokens, each one new, costs GitLab at most that many calls a second; past
 *   the budget a token not in the cache gets 503 with Retry-After (unverifiable, not refused);
 * - GitLab unreachable, slow, redirecting, rate limiting or answering garbage: fail closed, as
 *   Envoy's ext_authz does by default (failure_mode_allow false), but with 503 and Retry-After
 *   (RFC 9110 §15.6.4) rather than its default status_on_error 403: our 403 means "scope lacks
 *   the unit primitive", final; never 401 either (the token may be good: an IDE told its token
 *   is bad signs the user in again, more load on a GitLab that is down), never a 500. Cached
 *   positives keep serving until their bound, never longer (no stale-if-error: that would
 *   stretch the revocation bound).
 * A token with a '.' is a JWT (or JWE), never sent to GitLab.
 */
export class OAuthTokenVerifier {
  private readonly active: ExpiringLru<VerifiedOAuthToken>;
  private readonly refused: ExpiringLru<RefusedOAuthToken>;
  private readonly inflight = new Map<string, Promise<OAuthVerification>>();
  private readonly budget: RateBudget;
  private lastAnswerAt: number | undefined;
  private lastError: string | undefined;

  constructor(private readonly options: OAuthTokenVerifierOptions) {
    this.active = new ExpiringLru(options.maxEntries);
    this.refused = new ExpiringLru(MAX_REFUSED_ENTRIES);
    this.budget = new RateBudget(options.lookupsPerSecond, options.clock());
  }

  verify(token: string): OAuthVerification | Promise<OAuthVerification> {
    if (token.length > MAX_TOKEN_BYTES) return { ok: false, reason: 'oversized', detail: `token of ${token.length} bytes exceeds ${MAX_TOKEN_BYTES}` };
    if (looksLikeJose(token)) return { ok: false, reason: 'jose-shaped', detail: "a JWT (a token with '.') is never an OAuth access token; send it as oidc" };
    const key = tokenKey(token);
    const now = this.options.clock();
    const hit = this.active.get(key, now) ?? this.refused.get(key, now);
    if (hit !== undefined) return hit;
    const joined = this.inflight.get(key);
    if (joined !== undefined) return joined;
    if (!this.budget.take(now)) {
      return {
        ok: false,
        unavailable: true,
        reason: 'lookup-budget-spent',
        detail: `more than ${this.options.lookupsPerSecond} back-channel calls a second (AIGW_OAUTH_LOOKUPS_PER_SECOND)`,
        retryAfterSeconds: this.budget.secondsUntilNext(),
      };
    }
    const flight = this.lookup(token, key, now).finally(() => this.inflight.delete(key));
    this.inflight.set(key, flight);
    return flight;
  }

  state(): BackChannelState {
    return {
      status: this.lastError !== undefined ? 'failing' : this.lastAnswerAt !== undefined ? 'ok' : 'unknown',
      url: this.options.introspection.url,
      lastError: this.lastError ?? null,
      lastAnswerAt: this.lastAnswerAt === undefined ? null : new Date(this.lastAnswerAt).toISOString(),
      cachedTokens: this.active.size,
    };
  }

  /** Aborts the back-channel calls in flight (app shutdown). */
  close(): void {
    this.options.introspection.close();
  }

  /** Forgets every answer (harness reset; a cold cache). */
  clear(): void {
    this.active.clear();
    this.refused.clear();
  }

  /** One back-channel call; never throws. `askedAt`: when the question left, the start of every bound. */
  private async lookup(token: string, key: string, askedAt: number): Promise<OAuthVerification> {
    let state: TokenState;
    try {
      state = await this.options.introspection.stateOf(token);
    } catch (e) {
      const failure = e instanceof BackChannelError ? e.failure : 'unreachable';
      this.lastError = e instanceof Error ? e.message : String(e);
      const log = { oauth: { failure, error: this.lastError } };
      if (failure === 'redirect' || failure === 'bad-answer') this.options.logger?.error(log, 'OAuth back channel misconfigured: GitLab needs attention');
      else this.options.logger?.warn(log, 'OAuth back channel failed');
      return { ok: false, unavailable: true, reason: 'back-channel-failed', detail: this.lastError, retryAfterSeconds: 1 };
    }
    const now = this.options.clock();
    this.lastAnswerAt = now;
    this.lastError = undefined;
    if (!state.active) return this.remember(key, { ok: false, reason: 'inactive', detail: state.detail }, askedAt, now);
    if (state.expiresAt !== undefined && state.expiresAt <= now) {
      return this.remember(key, { ok: false, reason: 'expired', detail: 'the back channel called it active with an expiry in the past' }, askedAt, now);
    }
    const verified: VerifiedOAuthToken = Object.freeze({
      ok: true,
      kind: 'oauth2',
      oauthScopes: Object.freeze([...state.scopes]),
      scopes: Object.freeze(unitPrimitivesForOAuthScopes(state.scopes)),
      expiresAt: state.expiresAt,
    });
    const until = Math.min(askedAt + this.options.cacheSeconds * 1000, state.expiresAt ?? Number.POSITIVE_INFINITY);
    this.refused.delete(key);
    this.active.set(key, verified, until, now);
    return verified;
  }

  private remember(key: string, refusal: RefusedOAuthToken, askedAt: number, now: number): RefusedOAuthToken {
    // A token GitLab no longer accepts is forgotten as active at once (it may be cached from an earlier answer).
    this.active.delete(key);
    this.refused.set(key, Object.freeze(refusal), askedAt + this.options.negativeCacheSeconds * 1000, now);
    return refusal;
  }
}
