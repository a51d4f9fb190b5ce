import { createHash } from 'node:crypto';

/**
 * The cache key of an opaque token: its SHA-256, base64url (43 characters). The token itself is
 * never a key, so a heap dump or a debugger shows no usable credential, and every key has the
 * same size whatever the token's.
 */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/**
 * Entries of refused tokens kept at most (oldest out first), apart from the active ones, so a
 * flood of forged tokens cannot evict good ones.
 */
export const MAX_REFUSED_ENTRIES = 4096;

/**
 * A bounded map of entries that expire: at most `maxEntries`, least recently used out first
 * (a Map keeps insertion order; a hit re-inserts its entry). An entry is never returned at or
 * after its `expiresAt` (clock ms), and is dropped when found expired. No timers: expiry is
 * checked on read, and the size bound caps what expired entries can hold.
 */
export class ExpiringLru<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(readonly maxEntries: number) {}

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (now >= entry.expiresAt) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` until `expiresAt`; an entry already expired is not stored (and replaces nothing). */
  set(key: string, value: V, expiresAt: number, now: number): void {
    if (expiresAt <= now || this.maxEntries === 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * A token bucket: `perSecond` tokens a second, up to `perSecond` banked (one second's burst).
 * take() spends one if there is one. Driven by the injected clock, so tests need no timers.
 */
export class RateBudget {
  private available: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    now: number,
  ) {
    this.available = perSecond;
    this.refilledAt = now;
  }

  take(now: number): boolean {
    if (now > this.refilledAt) {
      this.available = Math.min(this.perSecond, this.available + ((now - this.refilledAt) / 1000) * this.perSecond);
      this.refilledAt = now;
    }
    if (this.available < 1) return false;
    this.available -= 1;
    return true;
  }

  /** Whole seconds until take() can succeed again (at least 1): the Retry-After of a refusal. */
  secondsUntilNext(): number {
    return Math.max(1, Math.ceil((1 - this.available) / this.perSecond));
  }
}
