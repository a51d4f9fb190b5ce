import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { HarnessResettable } from '#common';
import { CLOCK, type Clock } from '../instance/di.js';

/** GitLab's default session lifetime (session_expire_delay: 10080 minutes = one week). */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface BrowserSession {
  userId: number;
  /** The token pages publish in <meta name="csrf-token">; required on non-GET API calls. */
  csrfToken: string;
  expiresAt: number;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * Browser sessions in memory, keyed by the digest of the cookie value (a leaked session table
 * would not yield usable cookies). Expired sessions are forgotten when next looked up.
 */
@Injectable()
export class SessionsService implements HarnessResettable {
  private readonly sessions = new Map<string, BrowserSession>();

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    // Tests pass a short lifetime; the app never provides one.
    @Optional() private readonly ttlMs: number = SESSION_TTL_MS,
  ) {}

  /** Starts a session; the returned id is the cookie value, shown to the browser only. */
  create(userId: number): { id: string; session: BrowserSession } {
    this.prune();
    const id = randomBytes(32).toString('hex');
    const session = { userId, csrfToken: randomBytes(32).toString('base64url'), expiresAt: this.clock.now() + this.ttlMs };
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  get(id: string | undefined): BrowserSession | undefined {
    if (!id) return undefined;
    const key = digest(id);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAt <= this.clock.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(digest(id));
  }

  /** Every session ends (the control API's reset). */
  reset(): void {
    this.sessions.clear();
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [key, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(key);
  }
}

/** Constant-time check of a presented CSRF token against the session's. */
export function csrfTokenMatches(session: BrowserSession, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(digest(presented));
  const b = Buffer.from(digest(session.csrfToken));
  return timingSafeEqual(a, b);
}
