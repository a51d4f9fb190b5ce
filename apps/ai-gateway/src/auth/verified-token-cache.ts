import { timeVerdict } from './registered-claims.js';
import type { TrustedKey } from './trusted-keys.js';
import type { VerifiedToken } from './token-verifier.js';

/** What a hit needs to know is still true; supplied by the verifier. */
export interface VerifiedTokenCacheOptions {
  /** Most tokens held; the least recently verified go first. 0: no cache. */
  maxEntries: number;
  /** Clock milliseconds (the verifier's, so tests can move time). */
  clock: () => number;
  /** Seconds of leeway on `exp` and `nbf`, as the verifier applies it (AIGW_CLOCK_SKEW_SECONDS). */
  clockToleranceSeconds: number;
  /** Changes whenever the verification policy does (audiences, window): older entries miss. */
  policyGeneration: () => number;
  /** Whether `key` is still a usable key of its issuer (JwksCache.holds: not withdrawn, not cleared, not expired). */
  keyStillHeld: (key: TrustedKey) => boolean;
}

interface Entry {
  readonly verified: VerifiedToken;
  readonly key: TrustedKey;
  readonly exp: number;
  readonly nbf: number | undefined;
  readonly generation: number;
}

/**
 * Tokens that verified, so a keystroke that repeats a token (every keystroke of an IDE until
 * it renews) costs a map lookup instead of an RSA verification. A hit is served only while
 * everything the verification relied on still holds, checked on every hit:
 * - `exp` and `nbf` against the clock, with the verifier's leeway and comparison (RFC 7519 §4.1.4-5);
 * - the verifying key is still one of its issuer's usable keys: a key that left the JWKS, an
 *   issuer whose keys were forgotten or went past stale-if-error, refuse the token at once;
 * - the policy (accepted audiences, legacy window) has not changed since.
 * Refusals are never cached, and neither is anything a request adds (bound headers and unit
 * primitives are checked per request by the guard).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: VerifiedTokenCacheOptions) {}

  /** The earlier verification of `token` if it still holds; undefined otherwise (the entry dropped). */
  get(token: string): VerifiedToken | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (this.holds(entry)) return entry.verified;
    this.entries.delete(token);
    return undefined;
  }

  /** Remembers a verification of `token` by `key`; a token without a numeric `exp` is not kept. */
  set(token: string, verified: VerifiedToken, key: TrustedKey): void {
    const { maxEntries } = this.options;
    const { exp, nbf } = verified.claims;
    if (maxEntries === 0 || typeof exp !== 'number') return;
    this.entries.delete(token);
    this.entries.set(token, { verified, key, exp, nbf: typeof nbf === 'number' ? nbf : undefined, generation: this.options.policyGeneration() });
    if (this.entries.size > maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  private holds(entry: Entry): boolean {
    // The verifier's own comparison, so a hit ends exactly when a fresh verification would refuse.
    if (timeVerdict(entry.exp, entry.nbf, Math.floor(this.options.clock() / 1000), this.options.clockToleranceSeconds) !== undefined) return false;
    return entry.generation === this.options.policyGeneration() && this.options.keyStillHeld(entry.key);
  }
}
